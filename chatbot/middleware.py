"""``chatbot.middleware.ChatErrorsMiddleware``: the chat's routes answer JSON even for the
failures that happen before a chat view runs.

The views themselves turn everything they can meet into ``{"error": {"code", "message"}}``
(``chatbot.exceptions``, ``chatbot.jsonbody``), and unknown paths under the chat's prefix
have a JSON 404 route. What is left happens in the host's middleware: ``CommonMiddleware``
and ``CsrfViewMiddleware`` validate the Host header (``DisallowedHost``: an HTML 400 logged
at ERROR with a traceback), and any host middleware may answer with its own HTML error.
Put this middleware near the top of ``MIDDLEWARE`` (``manage.py check`` warns, W008, if it
is missing); on other paths it does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import NoReverseMatch, reverse

from .exceptions import _CODES, error_body, from_django_exception
from .jsonbody import upload_limit

DEFAULT_PREFIX = "/api/chatbot/"


@lru_cache(maxsize=1)
def chat_prefix() -> str:
    """Where the host mounted ``chatbot.urls`` (``/api/chatbot/`` unless included under
    another path)."""
    try:
        return reverse("chatbot:token").rsplit("/", 1)[0] + "/"
    except NoReverseMatch:
        return DEFAULT_PREFIX


def is_chat_path(request: HttpRequest) -> bool:
    return request.path.startswith(chat_prefix())


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    response["Cache-Control"] = "no-store"
    return response


def refuse_early(request: HttpRequest) -> JsonResponse | None:
    """The checks Django would fail later with an HTML page, done first as JSON."""
    try:
        request.get_host()
    except DisallowedHost as exc:
        error = from_django_exception(exc)
        assert error is not None
        return _json_error(error.status_code, error.error_code, str(error.detail))
    limit = upload_limit()
    declared = request.META.get("CONTENT_LENGTH")
    if limit is not None and declared and declared.isdigit() and int(declared) > limit:
        return _json_error(413, "too_large", f"The request body is larger than {limit:,} bytes.")
    return None


def as_json(response: HttpResponseBase) -> HttpResponseBase:
    """An error some other layer answered in HTML (or with no body), as the chat's JSON."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    if getattr(response, "streaming", False):
        return response
    replaced = _json_error(
        response.status_code,
        _CODES.get(response.status_code, "error"),
        response.reason_phrase or "The request failed.",
    )
    for header in ("Allow", "Retry-After", "X-Request-ID"):
        if header in response:
            replaced[header] = response[header]
    return replaced


class ChatErrorsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if not is_chat_path(request):
            return self.get_response(request)
        early = refuse_early(request)
        if early is not None:
            return early
        return as_json(self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_chat_path(request):
            return await self.get_response(request)
        early = refuse_early(request)
        if early is not None:
            return early
        return as_json(await self.get_response(request))
