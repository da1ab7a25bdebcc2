"""A server told to stop (SIGTERM: a rolling deploy) mid-reply, with real processes.

- Open event streams end at once with ``server.restarting`` (so the server is not held
  open by them, and browsers reconnect).
- A reply that can finish within ``CHATBOT_SHUTDOWN_GRACE_SECONDS`` finishes; one that
  cannot is saved with the text the shopper saw and ends ``interrupted``, retryable.
- The process exits within the grace period, under plain uvicorn (no graceful timeout of
  its own) and under ``bin/serve`` (gunicorn + uvicorn workers).
- Two processes on Redis: the one running a reply is killed; the shopper's stream, served
  by the other, shows the interruption.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
import redis

from tests.support.live import TICKING_ENV, LiveSite, Shopper, reading, wait_for
from tests.support.redisdb import redis_test_url

ENV = {**TICKING_ENV, "CHATBOT_SHUTDOWN_GRACE_SECONDS": "4"}


def deltas(stream) -> str:
    return "".join(e["data"]["text"] for e in stream.events if e["event"] == "reply.delta")


def history_reply(shopper: Shopper, base: str, reply_id: int) -> dict:
    history = shopper.session.get(f"{base}/api/chatbot/history?shop=acme", timeout=10).json()
    return next(m for m in history["messages"] if m["id"] == reply_id)


def exits_within(proc: subprocess.Popen[bytes], seconds: float) -> float:
    started = time.monotonic()
    proc.wait(timeout=seconds)
    return time.monotonic() - started


@pytest.mark.parametrize("serve", [False, True], ids=["uvicorn", "bin-serve"])
def test_sigterm_lets_a_short_reply_finish_and_ends_streams_with_a_reconnect_hint(serve):
    with LiveSite(env=ENV) as site:
        site.manage("migrate", "--noinput")
        base = site.start(serve=serve, uvicorn_graceful=None)
        proc = site.servers[0][0]
        shopper = Shopper(base, "acme")
        shopper.token()
        with reading(f"{base}/api/chatbot/events?shop=acme", session=shopper.session) as stream:
            assert stream.ready.wait(5)
            sent = shopper.post("/api/chatbot/stream-message", {"text": "ticks:20", "clientMessageId": "s1"})
            reply_id = sent.json()["reply"]["id"]
            wait_for(lambda: deltas(stream), 10)
            proc.send_signal(signal.SIGTERM)
            restarting = stream.wait_for("server.restarting", timeout=3)
            assert not any(e["event"] == "reply.done" for e in stream.events if e is not restarting)
            took = exits_within(proc, 4 + 6)
        # 2 s of reply were left: it finished inside the grace period, then the process went.
        assert took < 4 + 3, took
        again = site.start()
        shopper.base = again
        done = history_reply(shopper, again, reply_id)
        assert done["status"] == "done" and done["text"].count("@") == 20


@pytest.mark.parametrize("serve", [False, True], ids=["uvicorn", "bin-serve"])
def test_sigterm_interrupts_a_long_reply_after_the_grace_period_keeping_its_text(serve):
    with LiveSite(env=ENV) as site:
        site.manage("migrate", "--noinput")
        base = site.start(serve=serve, uvicorn_graceful=None)
        proc = site.servers[0][0]
        shopper = Shopper(base, "acme")
        shopper.token()
        with reading(f"{base}/api/chatbot/events?shop=acme", session=shopper.session) as stream:
            assert stream.ready.wait(5)
            sent = shopper.post("/api/chatbot/stream-message", {"text": "ticks:400", "clientMessageId": "s2"})
            reply_id = sent.json()["reply"]["id"]
            wait_for(lambda: deltas(stream).count("@") >= 5, 10)
            signalled = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            stream.wait_for("server.restarting", timeout=3)
        took = exits_within(proc, 4 + 10)
        assert time.monotonic() - signalled < 4 + 4, took  # the grace, then out

        again = site.start()
        shopper.base = again
        cut = history_reply(shopper, again, reply_id)
        assert cut["status"] == "interrupted"
        # What the reply had streamed when the grace ran out: more than before the signal,
        # far from all 400 ticks, and saved although no checkpoint was due.
        assert 5 < cut["text"].count("@") < 400, cut["text"][-80:]
        retry = shopper.post("/api/chatbot/stream-message", {"text": "ticks:400", "clientMessageId": "s2"})
        assert retry.status_code == 202 and retry.json()["reply"]["id"] != reply_id


def test_a_message_sent_while_the_server_drains_is_refused_with_503_and_not_stored():
    with LiveSite(env=ENV) as site:
        site.manage("migrate", "--noinput")
        base = site.start(uvicorn_graceful=None)
        proc = site.servers[0][0]
        shopper = Shopper(base, "acme")
        shopper.token()
        with reading(f"{base}/api/chatbot/events?shop=acme", session=shopper.session) as stream:
            assert stream.ready.wait(5)
            shopper.post("/api/chatbot/stream-message", {"text": "ticks:400", "clientMessageId": "d1"})
            wait_for(lambda: deltas(stream), 10)
            proc.send_signal(signal.SIGTERM)
            stream.wait_for("server.restarting", timeout=3)
        # The listening socket is closed at once only after the drain; meanwhile a
        # kept-alive connection still reaches the app.
        refused = shopper.post("/api/chatbot/stream-message", {"text": "hello?", "clientMessageId": "d2"})
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "shutting_down"
        assert refused.headers["Retry-After"]
        proc.wait(15)
        again = site.start()
        shopper.base = again
        history = shopper.session.get(f"{again}/api/chatbot/history?shop=acme", timeout=10).json()
        assert [m["text"] for m in history["messages"] if m["role"] == "shopper"] == ["ticks:400"]


@pytest.mark.redis
def test_two_processes_on_redis_the_one_running_the_reply_killed_the_other_shows_it():
    url = redis_test_url(12)
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    with LiveSite(env={**ENV, "REDIS_URL": url}) as site:
        site.manage("migrate", "--noinput")
        streams = site.start()  # serves the shopper's event stream
        replies = site.start()  # takes the message, so it runs the reply
        shopper = Shopper(streams, "acme")
        shopper.token()
        with reading(f"{streams}/api/chatbot/events?shop=acme", session=shopper.session) as stream:
            assert stream.ready.wait(5)
            sent = shopper.post(
                "/api/chatbot/stream-message", {"text": "ticks:400", "clientMessageId": "r1"}, base=replies
            )
            reply_id = sent.json()["reply"]["id"]
            wait_for(lambda: deltas(stream).count("@") >= 50, 15)  # past a checkpoint and its flush
            site.servers[1][0].kill()
            failed = stream.wait_for("reply.failed", timeout=30)
            assert failed["data"]["message"]["id"] == reply_id
            assert failed["data"]["message"]["status"] == "interrupted"
            assert failed["data"]["retryable"] is True
            assert failed["data"]["message"]["text"] and deltas(stream).startswith(
                failed["data"]["message"]["text"]
            )
