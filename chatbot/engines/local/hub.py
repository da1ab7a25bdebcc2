"""Live events of a conversation, fanned out to the browsers watching it.

Publishers are replies running on an event loop (usually the server's own) and sync
code (routes, admin, sign-in); subscribers are SSE responses on the ASGI event loop (a
sync generator under WSGI). Publishing never waits: the memory hub hands an event to the
streams' queues (directly when the reply runs on the stream's loop), the Redis hub to its
batch publisher. Every event gets an id so a browser that reconnects resumes after the
last one it saw (``Last-Event-ID``).

Two hubs, picked by ``REDIS_URL``:
- :class:`MemoryHub` — one process: a short replay buffer per conversation (a reply's
  deltas only until it ends: its final event carries the whole message) and asyncio
  queues woken thread-safely.
- :class:`RedisHub` — several processes: each event is appended to a Redis stream per
  conversation (replay, bounded) and announced on one pub/sub channel, in batches (one
  script call per batch); each process runs one listener that hands events to its local
  subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from functools import lru_cache
from typing import Any

import orjson

from ... import conf

logger = logging.getLogger("chatbot.events")

REPLAY_EVENTS = 500  # per conversation: enough to resume a long reply
# Events that end a reply carry the whole message: the reply's deltas are dropped from the
# replay buffer then (a browser resuming after one of them gets the final message instead).
REPLY_ENDS = frozenset({"reply.done", "reply.failed"})
REPLAY_SECONDS = 3600
HEARTBEAT_SECONDS = 15.0
PUBLISH_FAILURE_LOG_SECONDS = 10.0  # while Redis is down: one traceback per this many seconds
# Suffixed with the Redis database number (RedisHub.channel): a stream key lives in its
# database, but a pub/sub channel is server-wide, so two sites on one Redis server with
# different databases heard each other's events (same conversation ids, other shoppers' text).
PUBSUB_CHANNEL = "chatbot:events"


class Event:
    """One event of a conversation, as its streams send it. Treated as immutable once
    published (every stream of the conversation shares it).

    A plain slotted class rather than a frozen dataclass: a frozen dataclass's ``__init__``
    sets each field through ``object.__setattr__``, and an event is made for every delta of
    every reply (20,000 a second at 1,000 streaming replies, bench/concurrency.py)."""

    __slots__ = ("_data_json", "_sse", "data", "id", "order", "type")

    def __init__(
        self,
        id: str,
        type: str,
        data: dict[str, Any],
        order: tuple[int, int] | None = None,
        data_json: bytes | None = None,
    ) -> None:
        self.id = id
        self.type = type
        self.data = data
        # The id's order key, when the publisher has it at hand (the memory hub): a stream
        # then compares without parsing the id again, once per event per stream.
        self.order = order
        self._data_json = data_json  # ``data`` encoded, when the publisher has it already
        self._sse: bytes | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.id, self.type, self.data) == (other.id, other.type, other.data)

    __hash__ = None  # type: ignore[assignment]  # its data is a dict: never a key

    def __repr__(self) -> str:
        return f"Event(id={self.id!r}, type={self.type!r}, data={self.data!r})"

    @property
    def order_key(self) -> tuple[int, int]:
        """Where the event stands in its conversation's order (streams and replay compare it)."""
        return self.order or _order_key(self.id)

    @property
    def sse_bytes(self) -> bytes:
        """The event as the wire carries it, encoded once however many streams send it
        (a conversation open in several tabs and devices)."""
        encoded = self._sse
        if encoded is None:
            encoded = self._sse = b"id: %s\nevent: %s\ndata: %s\n\n" % (
                self.id.encode(),
                self.type.encode(),
                self._data_json if self._data_json is not None else json_bytes(self.data),
            )
        return encoded


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII as is, as ``ensure_ascii=False``). orjson: the
    standard library's encoder was 2.5 us an event, a twentieth of the event loop's time
    at 1,000 streaming replies; orjson takes 0.1. Anything orjson refuses (an integer
    past 64 bits) takes the standard library's path."""
    try:
        encoded = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    # orjson returns its whole output buffer, never trimmed: at least 1 KiB, past that the
    # next power of two (a 10 KB reply's JSON holds 128 KiB; orjson issue 483, Home
    # Assistant's pull request 181240). The replay buffer keeps each event for up to an
    # hour and every delta of a streaming reply until it ends: at 1,000 streaming replies
    # that was ~400 MB of a server's memory for ~40 MB of JSON (bench/concurrency.py). A
    # right-sized copy costs ~0.1 us; join copies when given two parts.
    return b"".join((encoded, b""))


# Put into every open stream of this process when it shuts down (chatbot.lifecycle): the
# stream sends it and ends, and the browser reconnects, to another process if need be.
SERVER_RESTARTING = "server.restarting"
RESTARTING = Event("", SERVER_RESTARTING, {})
HEARTBEAT = Event("", "heartbeat", {})  # internal: the stream's timer, never sent as an event


class _Inbox:
    """An async stream's pending events: a list and at most one waiting reader.

    ``asyncio.Queue`` did the same with a deque of getters, a future per ``get`` and a
    wake-up per ``put``; at 25,000 events a second its bookkeeping was about a third of the
    hub's own time. The reader takes everything pending at once (one write per batch)."""

    __slots__ = ("items", "loop", "waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: list[Event] = []
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, event: Event) -> None:  # on the inbox's loop only
        self.items.append(event)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def drain(self) -> list[Event]:
        while not self.items:
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        items, self.items = self.items, []
        return items


class _Heartbeat:
    """Puts ``HEARTBEAT`` into a stream's inbox every ``every`` seconds until cancelled.

    The first beat comes after a random half to whole period: streams opened together (a
    page of shoppers after a deploy, a load test) would otherwise beat together, and each
    beat's slot refresh is a trip to a worker thread: a thousand at once stalled the
    token route for hundreds of milliseconds (bench/concurrency.py)."""

    def __init__(self, events: _Inbox, every: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.events = events
        self.every = every
        self.handle = self.loop.call_later(every * random.uniform(0.5, 1.0), self._fire)

    def _fire(self) -> None:
        self.events.put_nowait(HEARTBEAT)
        self.handle = self.loop.call_later(self.every, self._fire)

    def cancel(self) -> None:
        self.handle.cancel()


def _order_key(event_id: str) -> tuple[int, int]:
    """Event ids are "<ms>-<seq>" (Redis stream ids; the memory hub mimics them)."""
    try:
        ms, _, seq = event_id.partition("-")
        return int(ms), int(seq or 0)
    except ValueError:
        return (0, 0)


class _Subscriber:
    """One open stream of this process. An async stream (ASGI) is woken on its event
    loop; a sync stream (WSGI: runserver, the sync baseline) blocks on a thread queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.aqueue: _Inbox | None = _Inbox(loop) if loop is not None else None
        self.squeue: queue.SimpleQueue[Event] | None = queue.SimpleQueue() if loop is None else None
        # Sends an event to the browser there and then, False when it cannot (set by
        # ``subscribe``; chatbot.engines.local.push).
        self.direct: Callable[[Event], bool] | None = None

    def put(self, event: Event) -> None:
        if self.squeue is not None:
            self.squeue.put(event)
        elif self.loop is not None and self.aqueue is not None:
            # A reply running on the stream's own loop (the usual case under ASGI) hands
            # the event over directly: written at once while the stream's task is idle
            # with nothing queued, else queued for it. From another thread, through the
            # loop's wake-up.
            if asyncio._get_running_loop() is self.loop:
                inbox = self.aqueue
                direct = self.direct
                if direct is not None and inbox.waiter is not None and not inbox.items and direct(event):
                    return
                inbox.put_nowait(event)
                return
            with contextlib.suppress(RuntimeError):  # the loop closed: the stream is gone
                self.loop.call_soon_threadsafe(self.aqueue.put_nowait, event)


class _LocalFanout:
    """Subscribers of this process, per conversation, woken from any thread.

    Each conversation's subscribers are a tuple, replaced whole under the lock when a
    stream opens or closes and read without it when an event is dispatched (reading a dict
    entry is atomic): dispatch is once per event, opening and closing once per stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, tuple[_Subscriber, ...]] = {}

    def add(self, conversation_id: int, *, sync: bool = False) -> _Subscriber:
        subscriber = _Subscriber(None if sync else asyncio.get_running_loop())
        with self._lock:
            self._subscribers[conversation_id] = (*self._subscribers.get(conversation_id, ()), subscriber)
        return subscriber

    def remove(self, conversation_id: int, subscriber: _Subscriber) -> None:
        with self._lock:
            rest = tuple(s for s in self._subscribers.get(conversation_id, ()) if s is not subscriber)
            if rest:
                self._subscribers[conversation_id] = rest
            else:
                self._subscribers.pop(conversation_id, None)

    def dispatch(self, conversation_id: int, event: Event) -> None:
        for subscriber in self._subscribers.get(conversation_id, ()):
            subscriber.put(event)

    def dispatch_all(self, event: Event) -> int:
        with self._lock:
            subscribers = [sub for subs in self._subscribers.values() for sub in subs]
        for subscriber in subscribers:
            subscriber.put(event)
        return len(subscribers)


class _Ordering:
    """Drops what a stream already delivered (replay and live overlap by design)."""

    def __init__(self, last_event_id: str) -> None:
        self.last = _order_key(last_event_id) if last_event_id else (-1, -1)

    def fresh(self, event: Event) -> bool:
        key = event.order_key
        if key <= self.last:
            return False
        self.last = key
        return True

    def delivering(self, send_now: Callable[[Event], bool]) -> Callable[[Event], bool]:
        """``send_now`` for live events only, each at most once and in order: an event
        already delivered counts as sent (dropped, as the queued way drops it); one it
        cannot send stays undelivered, for the queued way."""

        def deliver(event: Event) -> bool:
            if event is HEARTBEAT or event is RESTARTING:
                return False  # the stream's task acts on these
            key = event.order_key
            if key <= self.last:
                return True
            try:
                sent = send_now(event)
            except Exception:  # never into the publisher (a reply): the task sends it
                logger.exception("Could not write an event directly; the stream sends it")
                return False
            if sent:
                self.last = key
            return sent

        return deliver


class EventHub:
    def __init__(self) -> None:
        self.fanout = _LocalFanout()

    def publish(self, conversation_id: int, event_type: str, data: dict[str, Any]) -> Event | None:
        """Send an event to the conversation's streams (the memory hub returns it with its
        id; the Redis hub queues it and returns None)."""
        raise NotImplementedError

    def flush(self, timeout: float = 5.0) -> bool:
        return True

    def replay(self, conversation_id: int, after_id: str) -> list[Event]:
        raise NotImplementedError

    def forget(self, conversation_id: int) -> None:
        """Drop the conversation's replay buffer (its events carry message texts for up to
        ``REPLAY_SECONDS``): the conversation was deleted."""
        raise NotImplementedError

    async def _areplay(self, conversation_id: int, after_id: str) -> list[Event]:
        return self.replay(conversation_id, after_id)

    async def _ensure_listening(self) -> None:
        return None

    def _ensure_listening_sync(self) -> None:
        return None

    async def subscribe(
        self,
        conversation_id: int,
        last_event_id: str = "",
        heartbeat: float = HEARTBEAT_SECONDS,
        send_now: Callable[[Event], bool] | None = None,
    ) -> AsyncIterator[list[Event] | None]:
        """Yield events after ``last_event_id`` then live ones, in batches (whatever
        arrived while the stream was busy sending goes out together); ``None`` is a
        heartbeat, every ``heartbeat`` seconds whether or not events flow.

        ``send_now``: sends a live event to the browser itself, False when it cannot. It
        is offered each event published on this loop while this generator waits with
        nothing queued; what it sends is not yielded (chatbot.engines.local.push)."""
        await self._ensure_listening()
        subscriber = self.fanout.add(conversation_id)
        events = subscriber.aqueue
        assert events is not None
        ordering = _Ordering(last_event_id)
        if send_now is not None:
            subscriber.direct = ordering.delivering(send_now)
        # One timer per stream for its heartbeats, not a timeout per event: waiting with
        # asyncio.wait_for for each event costs a task and a timer each time, which at
        # 25,000 events a second was most of the loop's work.
        beat = _Heartbeat(events, heartbeat)
        try:
            # Registered before replaying, so nothing falls between; the ordering drops
            # what the replay already gave.
            if last_event_id:
                earlier = await self._areplay(conversation_id, last_event_id)
                replayed = [event for event in earlier if ordering.fresh(event)]
                if replayed:
                    yield replayed
            while True:
                batch = await events.drain()
                fresh: list[Event] = []
                heartbeat_due = False
                for event in batch:
                    if event is HEARTBEAT:
                        heartbeat_due = True
                    elif event is RESTARTING:
                        yield [*fresh, event]
                        return
                    elif ordering.fresh(event):
                        fresh.append(event)
                if fresh:
                    yield fresh
                if heartbeat_due:
                    yield None
        finally:
            beat.cancel()
            self.fanout.remove(conversation_id, subscriber)

    def subscribe_sync(
        self, conversation_id: int, last_event_id: str = "", heartbeat: float = HEARTBEAT_SECONDS
    ) -> Iterator[Event | None]:
        """The same for a WSGI server, where a stream holds its thread anyway."""
        self._ensure_listening_sync()
        subscriber = self.fanout.add(conversation_id, sync=True)
        assert subscriber.squeue is not None
        ordering = _Ordering(last_event_id)
        try:
            if last_event_id:
                for event in self.replay(conversation_id, last_event_id):
                    if ordering.fresh(event):
                        yield event
            while True:
                try:
                    event = subscriber.squeue.get(timeout=heartbeat)
                except queue.Empty:
                    yield None
                    continue
                if event is RESTARTING:
                    yield event
                    return
                if ordering.fresh(event):
                    yield event
        finally:
            self.fanout.remove(conversation_id, subscriber)


_FIELDS = 5  # an event in the replay buffer: type, delta's reply id, data JSON, id's ms, id's seq


class _Replay:
    """One conversation's replay buffer: per event its type, the reply a delta belongs to
    (else None), its data as the JSON the streams sent and its id's two parts, laid one
    after the other in a single deque (``_FIELDS`` entries an event; the deque's bound is a
    multiple of it, so dropping the oldest event drops all of its entries).

    Every entry is a number, a string or bytes, which the cyclic garbage collector never
    tracks, so keeping an event allocates nothing it tracks. A tuple per event (the eleventh
    pass) was tracked from its creation until the first young collection met it, and the
    collector counts such allocations: at 1,000 streaming replies those 20,000 new tuples a
    second started a young collection every quarter second or so, each walking every
    stream's in-flight objects (about 30 a stream) and moving them on to the middle
    generation (bench/concurrency.py; CHANGELOG, twelfth pass). Events are built back only
    for a replay (a reconnect)."""

    __slots__ = ("entries", "last_at")

    def __init__(self) -> None:
        self.entries: deque[Any] = deque(maxlen=REPLAY_EVENTS * _FIELDS)
        self.last_at = float("-inf")  # when the newest event was published (monotonic)

    def __len__(self) -> int:
        return len(self.entries) // _FIELDS

    def append(self, at: float, event: Event, data_json: bytes, order: tuple[int, int]) -> None:
        reply_id = event.data.get("messageId") if event.type == "reply.delta" else None
        self.entries.extend((event.type, reply_id, data_json, order[0], order[1]))
        self.last_at = at

    def _events(self) -> Iterator[tuple[str, Any, bytes, int, int]]:
        fields = iter(self.entries)
        return zip(fields, fields, fields, fields, fields, strict=True)

    def drop_deltas_of(self, reply_id: Any) -> None:
        """Takes the deltas of reply ``reply_id`` out (its end is kept instead)."""
        events = list(self._events())
        kept = [e for e in events if e[0] != "reply.delta" or e[1] != reply_id]
        if len(kept) != len(events):
            self.entries.clear()
            for event in kept:
                self.entries.extend(event)

    def after(self, key: tuple[int, int]) -> list[tuple[str, bytes, int, int]]:
        """(type, data, ms, seq) of each event after ``key``, oldest first."""
        return [(kind, data, ms, seq) for kind, _, data, ms, seq in self._events() if (ms, seq) > key]


def _event_of(event_type: str, data_json: bytes, ms: int, seq: int) -> Event:
    return Event(f"{ms}-{seq}", event_type, orjson.loads(data_json), (ms, seq), data_json)


class MemoryHub(EventHub):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._buffers: dict[int, _Replay] = {}
        self._last_ms = 0
        self._seq = 0

    def _next_id(self) -> tuple[int, int]:
        ms = int(time.time() * 1000)
        if ms <= self._last_ms:
            ms = self._last_ms
            self._seq += 1
        else:
            self._seq = 0
        self._last_ms = ms
        return ms, self._seq

    def publish(self, conversation_id: int, event_type: str, data: dict[str, Any]) -> Event:
        now = time.monotonic()
        data_json = json_bytes(data)
        with self._lock:
            order = self._next_id()
            event = Event(f"{order[0]}-{order[1]}", event_type, data, order, data_json)
            buffer = self._buffers.get(conversation_id)
            if buffer is None:
                buffer = self._buffers[conversation_id] = _Replay()
            elif event_type in REPLY_ENDS:
                self._drop_deltas(buffer, data)
            buffer.append(now, event, data_json, order)
            if len(self._buffers) > 10_000:  # bound memory: forget idle conversations
                self._forget_idle(now)
        self.fanout.dispatch(conversation_id, event)
        return event

    @staticmethod
    def _drop_deltas(buffer: _Replay, data: dict[str, Any]) -> None:
        """Takes the deltas of the reply ``data`` ends out of ``buffer``. Kept, they were most of
        a process's memory: ~600 bytes each, hundreds per reply, for up to an hour per
        conversation (1,000 streaming replies: ~250 MB, bench/concurrency.py)."""
        message = data.get("message")
        reply_id = message.get("id") if isinstance(message, dict) else None
        if reply_id is not None:
            buffer.drop_deltas_of(reply_id)

    def _forget_idle(self, now: float) -> None:
        for cid in [
            cid for cid, buf in self._buffers.items() if not buf or now - buf.last_at > REPLAY_SECONDS
        ]:
            del self._buffers[cid]

    def replay(self, conversation_id: int, after_id: str) -> list[Event]:
        after = _order_key(after_id)
        with self._lock:
            buffer = self._buffers.get(conversation_id)
            rows = buffer.after(after) if buffer is not None else []
        return [_event_of(*row) for row in rows]

    def forget(self, conversation_id: int) -> None:
        with self._lock:
            self._buffers.pop(conversation_id, None)


class RedisHub(EventHub):
    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        # Blocking: a burst of reply threads publishing waits for a free connection
        # instead of failing with "Too many connections".
        pool = redis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=int(conf.get("REDIS_MAX_CONNECTIONS")), timeout=20
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.channel = f"{PUBSUB_CHANNEL}:{pool.connection_kwargs.get('db', 0)}"
        self.publisher = _BatchPublisher(self.redis, self.channel)
        self._listeners: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._listeners_lock = threading.Lock()
        self._sync_listener: threading.Thread | None = None

    @staticmethod
    def _stream_key(conversation_id: int) -> str:
        return f"chatbot:events:{conversation_id}"

    def publish(self, conversation_id: int, event_type: str, data: dict[str, Any]) -> None:
        # Queued for the batch publisher: the caller (a reply on the event loop) never
        # waits for Redis. Local subscribers learn of the event through the pub/sub
        # listener like every other process does, so each event arrives once and in order.
        self.publisher.put(conversation_id, event_type, json_bytes(data).decode())

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything published so far is in Redis (tests, shutdown)."""
        return self.publisher.flushed(timeout)

    def forget(self, conversation_id: int) -> None:
        self.flush()  # an event still queued for it would bring the key back
        self.redis.delete(self._stream_key(conversation_id))

    def replay(self, conversation_id: int, after_id: str) -> list[Event]:
        rows: list[tuple[str, dict[str, str]]] = self.redis.xrange(  # type: ignore[assignment]
            self._stream_key(conversation_id), min=f"({after_id}", max="+"
        )
        return [Event(rid, fields["type"], json.loads(fields["data"])) for rid, fields in rows]

    async def _areplay(self, conversation_id: int, after_id: str) -> list[Event]:
        return await asyncio.to_thread(self.replay, conversation_id, after_id)

    async def _ensure_listening(self) -> None:
        loop = asyncio.get_running_loop()
        with self._listeners_lock:
            task = self._listeners.get(loop)
            if task is not None and not task.done():
                return
            ready = asyncio.Event()
            self._listeners[loop] = loop.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), timeout=5)

    def _ensure_listening_sync(self) -> None:
        with self._listeners_lock:
            if self._sync_listener is not None and self._sync_listener.is_alive():
                return
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(**{self.channel: self._on_message})
            self._sync_listener = pubsub.run_in_thread(sleep_time=1.0, daemon=True)

    def _on_message(self, item: dict[str, Any]) -> None:
        # One message per flush of a publisher: [[conversation, id, type, data], ...].
        for conversation_id, event_id, event_type, data in orjson.loads(item["data"]):
            self.fanout.dispatch(int(conversation_id), Event(event_id, event_type, data))

    async def _listen(self, ready: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.url, decode_responses=True)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                ready.set()
                async for item in pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    self._on_message(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Redis event listener lost its connection; reconnecting")
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()


# One round trip per flush, whatever it holds: each event appended to its conversation's
# stream (its id made by Redis, so ids stay ordered whichever process writes), and one
# PUBLISH announcing all of them. Per event before: an XADD, then a pipelined EXPIRE +
# PUBLISH, through a blocking pool, from every reply thread — at 100 conversations most
# of the server's time went to Redis socket I/O and deltas took seconds.
_PUBLISH_BATCH = """
local parts = {}
for i = 1, #KEYS do
  local at = 3 + (i - 1) * 3
  local id = redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*',
                        'type', ARGV[at + 2], 'data', ARGV[at + 3])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
  parts[i] = '[' .. ARGV[at + 1] .. ',"' .. id .. '",'
             .. cjson.encode(ARGV[at + 2]) .. ',' .. ARGV[at + 3] .. ']'
end
redis.call('PUBLISH', ARGV[1], '[' .. table.concat(parts, ',') .. ']')
return #KEYS
"""
BATCH_MAX = 500
# The shortest time between two batches' starts. A lone event after a quiet moment goes at
# once; under a steady stream of deltas the publisher wakes at most this often, so each
# batch carries what arrived meanwhile. Without it the publisher woke for nearly every
# delta: in bench/concurrency.py's two-worker run (250 replies, 5,000 deltas a second) the
# script calls, their packing and each worker's reading of every announcement were about a
# quarter of the workers' CPU.
BATCH_INTERVAL_SECONDS = 0.002


class _BatchPublisher:
    """One thread per process that writes queued events to Redis in batches: whatever
    accumulated while the previous batch was on the wire (or during the short interval
    between batches) goes in the next one, so a lone event waits for nothing and a burst
    costs one round trip per batch, not per event."""

    def __init__(self, client: Any, channel: str) -> None:
        self.redis = client
        self.channel = channel
        self.script = client.register_script(_PUBLISH_BATCH)
        self.cond = threading.Condition()
        self.queue: deque[tuple[int, str, str]] = deque()
        self.sent = 0
        self.queued = 0
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.last_batch_at = 0.0

    def put(self, conversation_id: int, event_type: str, body: str) -> None:
        with self.cond:
            idle = not self.queue
            self.queue.append((conversation_id, event_type, body))
            self.queued += 1
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="chatbot-publish", daemon=True)
                self.thread.start()
            # The publisher waits only while the queue is empty: with events queued it is
            # sending or about to take them, and waking it again per delta cost a turn at
            # the GIL each.
            if idle:
                self.cond.notify_all()

    def flushed(self, timeout: float) -> bool:
        with self.cond:
            target = self.queued
            return self.cond.wait_for(lambda: self.sent >= target, timeout)

    def _run(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: bool(self.queue))
            pause = self.last_batch_at + BATCH_INTERVAL_SECONDS - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with self.cond:
                batch = [self.queue.popleft() for _ in range(min(BATCH_MAX, len(self.queue)))]
            self.last_batch_at = time.monotonic()
            self._send(batch)
            with self.cond:
                self.sent += len(batch)
                self.cond.notify_all()

    _failure_logged_at = 0.0
    _failures_unlogged = 0

    def _log_publish_failure(self, events: int) -> None:
        """One ERROR with the traceback per ``PUBLISH_FAILURE_LOG_SECONDS`` while Redis is
        down, counting the batches in between: a flush every few hundred ms must not
        write a traceback each (bench/faults.py, phase ``redis``)."""
        now = time.monotonic()
        if now - _BatchPublisher._failure_logged_at < PUBLISH_FAILURE_LOG_SECONDS:
            _BatchPublisher._failures_unlogged += 1
            return
        skipped, _BatchPublisher._failures_unlogged = _BatchPublisher._failures_unlogged, 0
        _BatchPublisher._failure_logged_at = now
        logger.exception(
            "Could not publish %d chat event(s) to Redis (%d more batches failed since the last report)",
            events,
            skipped,
        )

    def _send(self, batch: list[tuple[int, str, str]]) -> None:
        keys = [RedisHub._stream_key(cid) for cid, _t, _b in batch]
        args: list[Any] = [self.channel, REPLAY_EVENTS, REPLAY_SECONDS]
        for cid, event_type, body in batch:
            args += [int(cid), event_type, body]
        for attempt in (1, 2):
            try:
                self.script(keys=keys, args=args)
                return
            except Exception:
                if attempt == 2:
                    # Live subscribers miss these; the stored messages (history) do not.
                    self._log_publish_failure(len(batch))
                else:
                    time.sleep(0.2)


@lru_cache(maxsize=4)
def _hub_for(url: str) -> EventHub:
    return RedisHub(url) if url else MemoryHub()


def get_hub() -> EventHub:
    return _hub_for(conf.get("REDIS_URL") or "")


def end_local_streams() -> int:
    """Every open stream of this process ends with ``server.restarting`` (shutdown)."""
    return get_hub().fanout.dispatch_all(RESTARTING)
