"""``GET /api/chatbot/events`` — the local engine's live events (SSE).

Authorised like every other chat route, by the shopper's own cookies (the host's session),
never by a token in the URL: URLs end up in access logs, and a token works from any client
for as long as it lives. The stream then watches for its session ending:

- ``session.ended`` from ``chatbot.signin`` (sign-in carried the guest away, or this
  session signed out): forwarded to the browser, and the stream ends;
- a backstop for what no event reported (a sign-out in a process without a shared hub,
  an expired or deleted session): every ``SESSION_CHECK_HEARTBEATS``-th heartbeat the
  stream checks that its session still exists, and ends with ``session.ended`` if not.

An identity holds at most ``CHATBOT_MAX_STREAMS_PER_VISITOR`` open streams (slots in the
shared cache, refreshed on each heartbeat, freed on close or after a missed beat or two);
the widget shares one stream between a browser's tabs, so only a client that opens
streams on purpose meets the limit — and only its own identity is refused.

Under ASGI the stream is an async generator on the event loop: an open stream does no
work in a thread (its heartbeats and its slot's release take a short trip to one).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from ... import conf, lifecycle
from ...conversations import conversation_for
from ...exceptions import ApiError, chat_disabled, error_response, session_changed, shutting_down
from ...identity import identify
from ...offloop import release_connection
from ...shop_settings import settings_for_shop
from ...shops import shop_id_for_request, shop_info
from ...signin import SESSION_ENDED, session_fingerprint, session_replaced
from . import hub as events
from .push import DirectWriter

SESSION_CHECK_HEARTBEATS = 4  # the session backstop runs on every 4th heartbeat (1 min at 15 s)
# retry: how long the browser waits before reconnecting on its own.
_STREAM_OPENING = b"retry: 2000\n: connected\n\n"


@dataclass(frozen=True)
class Grant:
    """What an authorised stream may watch, and whose it is."""

    conversation_id: int
    chat_user_id: str
    session_key: str | None
    opened_at: float

    @property
    def sid(self) -> str:
        return session_fingerprint(self.session_key)


def _authorise(request: HttpRequest) -> Grant:
    """Whose stream this is; an ``ApiError`` when there is none to give."""
    if session_replaced(request):  # checked before anything reads the session (chatbot.signin)
        raise session_changed()
    shop_id = shop_id_for_request(request, request.GET.get("shop"))
    shop = shop_info(shop_id)
    if shop is None:
        raise ApiError(404, "unknown_shop", f"No shop {shop_id!r} here.")
    if not settings_for_shop(shop.id).enabled:
        raise chat_disabled()
    identity = identify(request, shop.language)  # never mints: a stream starts no chat
    conversation = conversation_for(shop.id, identity.shopper, create=False) if identity.known else None
    if conversation is None:
        raise ApiError(
            404, "no_conversation", "You have no conversation in this shop yet; call the token route first."
        )
    session = getattr(request, "session", None)
    return Grant(
        conversation.pk, identity.shopper.chat_user_id, getattr(session, "session_key", None), time.time()
    )


def _session_alive(session_key: str | None) -> bool:
    """False once the session the stream was opened with is gone (signed out, expired)."""
    if not session_key or settings.SESSION_ENGINE.endswith("signed_cookies"):
        return True  # nothing stored server-side to look up
    try:
        return bool(import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key))
    except Exception:  # a database or cache hiccup must not cut every stream
        return True
    finally:
        release_connection()  # the check runs on a shared thread


def _heartbeat() -> float:
    """Seconds between keep-alive comments; the slot refresh and the session check ride on them."""
    return max(0.5, float(conf.get("CHATBOT_SSE_HEARTBEAT_SECONDS")))


class _Slots:
    """At most ``CHATBOT_MAX_STREAMS_PER_VISITOR`` open streams per identity."""

    def __init__(self, chat_user_id: str) -> None:
        self.prefix = f"chatbot:stream-slot:{chat_user_id}:"
        self.token = secrets.token_hex(8)
        self.key: str | None = None

    @staticmethod
    def ttl() -> int:
        return int(_heartbeat() * 3) + 5

    def claim(self) -> bool:
        for i in range(max(1, int(conf.get("CHATBOT_MAX_STREAMS_PER_VISITOR")))):
            key = f"{self.prefix}{i}"
            if cache.add(key, self.token, self.ttl()):
                self.key = key
                return True
        return False

    def refresh(self) -> None:
        if self.key is not None and not cache.touch(self.key, self.ttl()):
            cache.add(self.key, self.token, self.ttl())  # expired during a long pause

    def release(self) -> None:
        if self.key is not None and cache.get(self.key) == self.token:
            cache.delete(self.key)
        self.key = None


_in_thread = sync_to_async  # readable at call sites below


def _ended(grant: Grant, event: events.Event) -> bool:
    """Whether this ``session.ended`` event is about this stream."""
    data = event.data
    if data.get("sid") and data["sid"] != grant.sid:
        return False  # another device of the same customer signed out
    try:
        return float(data.get("at", 0)) >= grant.opened_at
    except (TypeError, ValueError):
        return False


def _ended_sse(event_id: str, reason: str) -> bytes:
    return events.Event(event_id, SESSION_ENDED, {"reason": reason}).sse_bytes


def _on_heartbeat(grant: Grant, slots: _Slots, beats: int) -> tuple[bytes, bool]:
    """Keeps the stream's slot; every few beats checks its session still exists.
    Returns what to send and whether the stream ends (in a worker thread under ASGI)."""
    slots.refresh()
    if beats % SESSION_CHECK_HEARTBEATS == 0 and not _session_alive(grant.session_key):
        return _ended_sse("", "session_gone"), True
    return b": ping\n\n", False


class EventStreamResponse(StreamingHttpResponse):
    """An SSE response whose async stream already yields bytes, handed to the ASGI
    server as they come.

    Django's StreamingHttpResponse wraps an async stream in two more async generators
    and runs each part through ``make_bytes`` twice; at 25,000 events a second that was
    about a tenth of the event loop's time (py-spy, bench/reply_latency.py at 500
    conversations). A middleware that replaces ``streaming_content`` still yields bytes,
    and a sync stream (WSGI) takes Django's own path."""

    # The stream's events' writer, attached by config.asgi_handler (chatbot.engines.local.push).
    direct_writer: DirectWriter | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self.is_async:
            stream: AsyncIterator[bytes] = getattr(self, "_iterator")  # noqa: B009 (Django's own)
            return stream
        return super().__aiter__()


def _on_event(grant: Grant, event: events.Event) -> tuple[bytes, bool]:
    """What to send for an event (bytes, as the wire carries them; every stream of either
    server kind sends them as they are) and whether the stream ends."""
    if event.type == events.SERVER_RESTARTING:
        # This process is shutting down: reconnect soon (the proxy picks a live one).
        return f"retry: {lifecycle.RECONNECT_MS}\nevent: {event.type}\ndata: {{}}\n\n".encode(), True
    if event.type != SESSION_ENDED:
        return event.sse_bytes, False  # nearly every event: serialised once for all its streams
    if _ended(grant, event):
        return _ended_sse(event.id, str(event.data.get("reason", ""))), True
    return b"", False  # another device's sign-out, or from before this stream opened


async def _event_stream(
    grant: Grant, slots: _Slots, last_event_id: str, writer: DirectWriter
) -> AsyncIterator[bytes]:
    def send_now(event: events.Event) -> bool:
        # What the loop below would send for this event, written by the publisher itself
        # while this stream waits (chatbot.engines.local.push); an event that ends the
        # stream is left to the loop.
        out, done = _on_event(grant, event)
        return not done and (not out or writer.write(out))

    try:
        # On the server's main loop here: the one place the shutdown handler can be
        # chained in (it ends this stream on SIGTERM).
        lifecycle.install_signal_handlers()
        yield _STREAM_OPENING
        beats = 0
        hub = events.get_hub()
        subscription = hub.subscribe(
            grant.conversation_id, last_event_id, heartbeat=_heartbeat(), send_now=send_now
        )
        async for batch in subscription:
            if batch is None:
                beats += 1
                out, done = await _in_thread(_on_heartbeat, thread_sensitive=False)(grant, slots, beats)
                if out:
                    yield out
                if done:
                    return
                continue
            # One chunk for the whole batch: one write to the socket, not one per event.
            chunk: list[bytes] = []
            done = False
            for event in batch:
                out, done = _on_event(grant, event)
                if out:
                    chunk.append(out)
                if done:
                    break
            if chunk:
                yield b"".join(chunk)  # a single part is returned as it is, not copied
            if done:
                return
    finally:
        writer.close()
        await _in_thread(slots.release, thread_sensitive=False)()


def _event_stream_sync(grant: Grant, slots: _Slots, last_event_id: str) -> Iterator[bytes]:
    try:
        yield _STREAM_OPENING
        beats = 0
        hub = events.get_hub()
        for event in hub.subscribe_sync(grant.conversation_id, last_event_id, heartbeat=_heartbeat()):
            if event is None:
                beats += 1
                out, done = _on_heartbeat(grant, slots, beats)
            else:
                out, done = _on_event(grant, event)
            if out:
                yield out
            if done:
                return
    finally:
        slots.release()


def event_stream_response(
    grant: Grant, slots: _Slots, last_event_id: str, *, asgi: bool
) -> EventStreamResponse:
    """The stream of ``grant``'s conversation after ``last_event_id``, as a response.

    Under ASGI the stream is an async generator and holds no thread; under WSGI
    (runserver, a sync gunicorn) Django would buffer an async generator forever, so the
    stream is a plain generator there — it holds its worker thread, as WSGI must."""
    if not asgi:
        return EventStreamResponse(
            _event_stream_sync(grant, slots, last_event_id), content_type="text/event-stream; charset=utf-8"
        )
    writer = DirectWriter()
    stream = _event_stream(grant, slots, last_event_id, writer)
    writer.stream = stream
    response = EventStreamResponse(stream, content_type="text/event-stream; charset=utf-8")
    response.direct_writer = writer  # attached by config.asgi_handler, which sends the response
    return response


def events_view(request: HttpRequest) -> HttpResponseBase:
    """``GET /api/chatbot/events?shop=…[&lastEventId=…]``

    A sync view: under ASGI it runs in the request's own thread with the middleware
    (``config.asgi_handler``), so authorising the stream and claiming its slot take no
    trip of their own. (As an async view they took three: back to the event loop, and
    twice to the loop's default executor — six threads — where under load each waited its
    turn for a database connection: bench/load.py's event streams waited a median of
    5-13 s for their first line, and a quarter gave up at 30 s.) The stream itself is an
    async generator under ASGI and runs on the loop."""
    try:
        if request.method != "GET":
            raise ApiError(405, "method_not_allowed", "Use GET.")
        if not conf.get("CHATBOT_ENABLED"):
            raise chat_disabled()
        if lifecycle.shutting_down():
            raise shutting_down()
        try:
            grant = _authorise(request)
        finally:
            # The request's thread stays lent to the stream for its whole life, and so
            # would this connection, until request_finished at the stream's end.
            release_connection()
        slots = _Slots(grant.chat_user_id)
        if not slots.claim():
            raise ApiError(
                429,
                "too_many_streams",
                "This chat already has its most open event streams; close a tab or try again shortly.",
                headers={"Retry-After": str(_Slots.ttl())},
            )
    except ApiError as refused:
        return error_response(refused)
    last_event_id = (request.headers.get("Last-Event-ID") or request.GET.get("lastEventId", ""))[:40]
    response = event_stream_response(grant, slots, last_event_id, asgi=isinstance(request, ASGIRequest))
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # proxies must not hold back events
    response["X-Chatbot-User"] = grant.chat_user_id
    return response
