"""Events written to their stream by the publisher's own call (chatbot.engines.local.push).

Each test serves a real event stream (the view's response, the memory hub, this app's
ASGI handler's ``send_response``) on an event loop, with a recording ``send`` in place of
the server's: the same bytes in the same order as the queued way, whatever the
connection does."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler

from chatbot import lifecycle
from chatbot.engines.local import hub, views
from config.asgi_handler import SyncBlockASGIHandler

_conversations = itertools.count(9_000_000)


@pytest.fixture(autouse=True)
def _memory_hub(monkeypatch):
    # One process's hub, of its own; and no shutdown handler chained to the test runner's
    # signals (a stream does that when it runs on the main thread's loop).
    own = hub.MemoryHub()
    monkeypatch.setattr(hub, "get_hub", lambda: own)
    monkeypatch.setattr(lifecycle, "install_signal_handlers", lambda: None)


class Connection:
    """The server's ``send``, as uvicorn's behaves: while writing is paused it waits until
    the client has read, then writes; a closed connection refuses."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.ended = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        if not self.writable.is_set():
            await self.writable.wait()
        if self.closed:
            raise OSError("connection closed")
        if message["type"] == "http.response.body":
            if message.get("body"):
                self.parts.append(message["body"])
            self.ended = not message.get("more_body", False)

    @property
    def events(self) -> list[bytes]:
        """Every event sent after the stream's opening, as its own bytes (a part may carry
        several), a ``retry:`` line before one left out."""
        events = b"".join(self.parts).split(b"\n\n")[1:-1]
        return [(e.split(b"\n", 1)[1] if e.startswith(b"retry: ") else e) + b"\n\n" for e in events]


def stream(conversation_id: int) -> views.EventStreamResponse:
    grant = views.Grant(conversation_id, "guest-direct", None, time.time())
    return views.event_stream_response(grant, views._Slots("guest-direct"), "", asgi=True)


async def serve(
    response: views.EventStreamResponse, connection: Connection, handler: Any = None
) -> asyncio.Task[None]:
    handler = handler or SyncBlockASGIHandler.__new__(SyncBlockASGIHandler)
    task = asyncio.ensure_future(handler.send_response(response, connection.send))
    for _ in range(50):  # until the stream waits for events
        await asyncio.sleep(0.01)
        if connection.parts:
            break
    await asyncio.sleep(0.01)
    return task


def delta(conversation_id: int, text: str) -> bytes:
    event = hub.get_hub().publish(conversation_id, "reply.delta", {"messageId": 1, "text": text})
    assert event is not None
    return event.sse_bytes


async def finish(task: asyncio.Task[None], conversation_id: int) -> None:
    hub.get_hub().publish(conversation_id, "session.ended", {"reason": "signed_out", "at": time.time() + 1})
    await asyncio.wait_for(task, 5)


def test_an_event_published_while_the_stream_waits_is_on_the_connection_when_publish_returns():
    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        task = await serve(stream(cid), connection)
        sent = delta(cid, "Hello")
        # No await in between: the stream's task has not run; the publisher wrote it.
        assert connection.events == [sent]
        more = [delta(cid, f" part {i}") for i in range(3)]
        assert connection.events == [sent, *more]
        await finish(task, cid)
        assert connection.ended

    asyncio.run(run())


def test_under_djangos_own_handler_the_stream_sends_the_events_itself():
    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        task = await serve(stream(cid), connection, ASGIHandler.__new__(ASGIHandler))
        sent = [delta(cid, "Hello"), delta(cid, " there")]
        assert connection.events == []  # queued for the stream's task
        await asyncio.sleep(0.05)
        assert connection.events == sent
        await finish(task, cid)

    asyncio.run(run())


def test_a_paused_connection_gets_every_event_once_and_in_order():
    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        task = await serve(stream(cid), connection)
        first = delta(cid, "one")
        connection.writable.clear()  # the client stops reading
        waiting = delta(cid, "two")  # its write waits
        queued = [delta(cid, "three"), delta(cid, "four")]  # these queue behind it
        await asyncio.sleep(0.05)
        assert connection.events == [first]
        connection.writable.set()
        await asyncio.sleep(0.05)
        assert connection.events == [first, waiting, *queued]
        later = delta(cid, "five")  # the connection writable again: straight out
        assert connection.events == [first, waiting, *queued, later]
        await finish(task, cid)

    asyncio.run(run())


def test_a_middleware_that_replaces_the_stream_sees_every_event():
    async def shouting(parts: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for part in parts:
            yield part.upper()

    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        response = stream(cid)
        response.streaming_content = shouting(aiter(response))  # as GZipMiddleware does
        task = await serve(response, connection)
        sent = delta(cid, "quiet")
        await asyncio.sleep(0.05)
        assert connection.events == [sent.upper()]
        await finish(task, cid)

    asyncio.run(run())


def test_the_event_that_ends_a_stream_ends_it():
    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        task = await serve(stream(cid), connection)
        delta(cid, "bye")
        hub.end_local_streams()  # the server shuts down
        await asyncio.wait_for(task, 5)
        assert connection.ended
        assert connection.events[-1] == b"event: server.restarting\ndata: {}\n\n"

    asyncio.run(run())


def test_a_closed_connection_never_fails_the_publisher_and_ends_the_stream():
    async def run() -> None:
        cid, connection = next(_conversations), Connection()
        task = await serve(stream(cid), connection)
        connection.closed = True
        delta(cid, "into the void")  # no exception reaches the reply publishing it
        with pytest.raises(OSError):
            await asyncio.wait_for(task, 5)  # the stream's own send meets the closed connection

    asyncio.run(run())
