"""chatbot.engines.local.hub._BatchPublisher: how the live events of a process reach Redis.

The publisher is given a recording stand-in for the Redis script (one call per batch, as
the real one): what is measured is how the queued events are grouped, which is the
publisher's own job. The real script and Redis are exercised in test_redis_channels.py.
"""

from __future__ import annotations

import threading
import time

from chatbot.engines.local import hub


class RecordingScript:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.lock = threading.Lock()

    def __call__(self, keys: list[str], args: list[object]) -> int:
        with self.lock:
            self.batches.append([int(key.rsplit(":", 1)[1]) for key in keys])
        return len(keys)


class FakeRedis:
    def __init__(self) -> None:
        self.script = RecordingScript()

    def register_script(self, _source: str) -> RecordingScript:
        return self.script


def publisher() -> tuple[hub._BatchPublisher, RecordingScript]:
    client = FakeRedis()
    return hub._BatchPublisher(client, f"{hub.PUBSUB_CHANNEL}:0"), client.script


def test_a_lone_event_goes_at_once_in_a_batch_of_its_own(monkeypatch):
    pauses: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(hub.time, "sleep", lambda s: (pauses.append(s), real_sleep(s)))
    events, script = publisher()
    events.put(7, "reply.delta", '{"text":"Hi"}')
    assert events.flushed(5)
    assert script.batches == [[7]]
    assert pauses == []  # nothing was sent before: no pause


def test_a_steady_stream_of_events_goes_in_batches_not_one_round_trip_per_event():
    events, script = publisher()
    started = time.monotonic()
    for n in range(200):  # one every 0.2 ms: 5,000 a second, as 250 replies stream
        events.put(n, "reply.delta", "{}")
        time.sleep(0.0002)
    assert events.flushed(5)
    took = time.monotonic() - started
    sent = [n for batch in script.batches for n in batch]
    assert sent == list(range(200))  # every event, once, in order
    # At most one batch per interval (plus the first, which goes at once): woken per event,
    # the publisher made one batch for nearly every one.
    assert len(script.batches) <= took / hub.BATCH_INTERVAL_SECONDS + 2, (len(script.batches), took)
    assert len(script.batches) < 200


def test_flushing_waits_for_events_queued_while_a_batch_is_on_the_wire():
    events, script = publisher()
    gate = threading.Event()
    original = script.__call__

    def slow(keys: list[str], args: list[object]) -> int:
        gate.wait(5)
        return original(keys, args)

    events.script = slow  # type: ignore[assignment]
    events.put(1, "reply.delta", "{}")
    time.sleep(0.05)  # the first batch is now waiting on the wire
    events.put(2, "reply.delta", "{}")  # queued behind it: the publisher is not woken again
    assert not events.flushed(0.1)
    gate.set()
    assert events.flushed(5)
    assert [n for batch in script.batches for n in batch] == [1, 2]
