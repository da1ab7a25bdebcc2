"""Writes an open event stream's events to its connection from the publisher's own call.

An event reaches a browser in two ways. The queued way: the publisher puts it in the
stream's inbox, which wakes the stream's task; the task resumes the three async
generators between the inbox and the ASGI server (the hub's ``subscribe``, the view's
``_event_stream``, Django's ``send_response`` loop) and sends. The direct way, taken when
the stream's task is idle (parked on an empty inbox) and the response is served by this
app's ASGI handler: the publisher calls the server's ``send`` itself, there and then.

The bytes and their order are the same either way: a direct write happens only where the
task would have sent that very event next (nothing queued, nothing being sent), and once
a direct write has to wait (the client reads slowly and the server paused writing), every
later event takes the queued way and the task's sends wait for it first. What the direct
way saves is the task's wake-up and the generators' resumptions: with 1,000 streaming
replies (20 events a second each) the stream side of every event was about half the
chat's per-event CPU on the event loop, and the chat's per-event cost 1.6x the bare Django
SSE view's; written directly, about a quarter less (bench/stream_cost.py; CHANGELOG,
thirteenth pass).

``DirectWriter.wrap`` is called by ``config.asgi_handler`` with the server's ``send``;
under any other handler (Django's own, WSGI) the writer stays unattached and every event
takes the queued way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]


class _Resumed:
    """A ``send`` coroutine already started and suspended (the server waits for the
    client to read), as an awaitable a task can finish: each value and exception the task
    passes in goes to the coroutine, as ``await`` would have."""

    def __init__(self, coroutine: Any, waiting: Any) -> None:
        self.coroutine = coroutine
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self.waiting
        while True:
            try:
                value = yield waiting
            except BaseException as exc:  # handed to the coroutine, as await does
                try:
                    waiting = self.coroutine.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = self.coroutine.send(value)
            except StopIteration:
                return


class DirectWriter:
    """One event stream's connection, for direct writes (see the module's docstring)."""

    __slots__ = ("_closed", "_pending", "_send", "open", "stream")

    def __init__(self) -> None:
        self.stream: object = None  # the response's own iterator (a middleware may replace it)
        self._send: Send | None = None
        self._pending: asyncio.Future[None] | None = None
        self.open = False  # headers and the first part sent, the response not ended
        self._closed = False

    def wrap(self, send: Send, iterator: object) -> Send:
        """The ``send`` the response's parts go through. ``iterator`` is what the handler
        is about to iterate: when a middleware has replaced the stream (compression, say),
        its bytes are not the events' own, and no event is written directly."""
        if iterator is not self.stream:
            return send
        self._send = send
        return self._send_in_order

    async def _send_in_order(self, message: dict[str, Any]) -> None:
        pending = self._pending
        if pending is not None:
            await pending  # a direct write still on its way goes first
        assert self._send is not None
        await self._send(message)
        # Open once the first part is out (the headers before it); closed by the last.
        body = message.get("type") == "http.response.body"
        self.open = not self._closed and body and bool(message.get("more_body"))

    def write(self, body: bytes) -> bool:
        """Sends ``body`` now, in order with everything sent before; False when it cannot
        (not attached, not open, an earlier direct write still waiting, the send failed):
        the caller queues it for the stream's task instead. Call it only while the
        stream's task is idle with nothing queued."""
        send = self._send
        if send is None or not self.open or self._pending is not None:
            return False
        coroutine: Any = send({"type": "http.response.body", "body": body, "more_body": True})
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return True  # written: the usual case
        except Exception:
            # The server refused it (the response is over): the stream's task meets the
            # same refusal on its next send and ends.
            self.open = False
            return False
        # The server paused writing: the write finishes when the client has read, and
        # until then later events queue and the task's sends wait for it.
        pending = self._pending = asyncio.ensure_future(_Resumed(coroutine, waiting))
        pending.add_done_callback(self._written)
        return True

    def _written(self, task: asyncio.Future[None]) -> None:
        if self._pending is task:
            self._pending = None
        # A send that failed (the client left) is the stream's end, which its task meets on
        # its next send: the exception is taken here so nothing logs it as never retrieved.
        if not task.cancelled():
            task.exception()

    def close(self) -> None:
        """The stream ended: no more direct writes. A write still waiting finishes first
        (the response's last part waits for it), or fails with the connection."""
        self.open = False
        self._closed = True
