"""One id per request, carried into every log line and back to the caller.

The id comes from ``X-Request-ID`` (a caller or an upstream proxy that already has one),
else ``Fly-Request-Id`` (fly-proxy's own, so our logs line up with fly's), else a new one.
It lives in a context variable: under ASGI each request runs in its own task and context,
and asgiref copies the context into the threads that run sync views, so log lines from a
view, a service call or an SSE stream all see the id of the request that caused them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"

# Ids we accept from outside: they end up in log lines and a response header, so nothing
# that could forge a log line or split a header gets through.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def get_request_id() -> str | None:
    return _request_id.get()


def incoming_request_id(request: HttpRequest) -> str:
    for header in (REQUEST_ID_HEADER, "Fly-Request-Id"):
        value = request.headers.get(header, "").strip()
        if value and _SAFE_ID.match(value):
            return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Put first in MIDDLEWARE so even the health checks and errors raised by later
    middleware are answered with the id."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        request_id = incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            # Sync servers reuse threads: without the reset, the next log line written
            # outside a request on this thread would carry a stale id.
            _request_id.reset(token)
        assert isinstance(response, HttpResponseBase)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Under ASGI the context belongs to this request's task alone, and keeping the id set
        # lets the lines logged while a streaming response is sent carry it too. A plain
        # response resets it: under WSGI with an async-only middleware below (servestatic)
        # this path runs inside async_to_sync, which copies the context back to the server's
        # thread, and the id would outlive its request there.
        token = _request_id.set(request_id)
        response = await self.get_response(request)  # type: ignore[misc]
        if not response.streaming:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
