"""One exception tree for the chatbot, and the DRF handler that renders every API error
as ``{"error": {"code", "message"}}`` with the right status."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    ImproperlyConfigured,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ChatbotError(Exception):
    """Root of the chatbot's errors. ``payload``/``response`` carry what a vendor said."""

    def __init__(self, message: str, *, payload: Any = None, response: Any = None) -> None:
        super().__init__(message)
        self.payload = payload
        self.response = response


class ChatbotImproperlyConfigured(ChatbotError, ImproperlyConfigured):
    """A setting is missing or contradicts another."""


class ChatbotImproperlyInstalled(ChatbotImproperlyConfigured):
    """An optional package is missing; the message names what to install."""


class VendorError(ChatbotError):
    """Stream, Coze or an OpenAI-compatible server answered with an error."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.code = code


class ApiError(drf_exceptions.APIException):
    """An API error with our stable ``code``: raise ``ApiError(status, code, message)``."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.headers = headers or {}


def chat_disabled() -> ApiError:
    """The kill switch or the shop's switch is off."""
    return ApiError(503, "chat_disabled", "The chat is switched off right now. Please try again later.")


def session_changed() -> ApiError:
    """The request carries a session cookie a sign-in or sign-out just replaced
    (``chatbot.signin.session_replaced``): try again once the new cookie is in."""
    return ApiError(
        409,
        "session_changed",
        "You have just signed in or out; please try again in a moment.",
        headers={"Retry-After": "1"},
    )


def shutting_down() -> ApiError:
    """This process is shutting down (``chatbot.lifecycle``); nothing was stored, so the
    widget sends again, and the proxy routes it to a process that is not."""
    return ApiError(
        503,
        "shutting_down",
        "The chat server is restarting; please try again in a moment.",
        headers={"Retry-After": "2"},
    )


def error_response(exc: ApiError) -> JsonResponse:
    """An ``ApiError`` as the JSON response a plain Django view returns (the DRF views get
    the same body from ``api_exception_handler``)."""
    response = JsonResponse(error_body(exc.error_code, str(exc.detail)), status=exc.status_code)
    response["Cache-Control"] = "no-store"
    for name, value in exc.headers.items():
        response[name] = value
    return response


_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "rate_limited",
    status.HTTP_503_SERVICE_UNAVAILABLE: "chat_disabled",
}


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def from_django_exception(exc: Exception) -> ApiError | None:
    """What Django raises while reading a request (the body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a multipart body without a boundary, too many fields, a
    Host not in ``ALLOWED_HOSTS``, a body cut off) as the chat's JSON error. Left to Django
    each became an HTML 400 logged at ERROR with a traceback: the client's fault, not ours."""
    if isinstance(exc, RequestDataTooBig):
        return ApiError(413, "too_large", "The request body is too large.")
    if isinstance(exc, DisallowedHost):
        return ApiError(400, "bad_host", "This site does not answer to that Host header.")
    if isinstance(exc, (SuspiciousOperation, BadRequest, MultiPartParserError)):
        return ApiError(400, "invalid_request", f"The request could not be read: {exc}")
    if isinstance(exc, UnreadablePostError):
        return ApiError(400, "invalid_request", "The request body was cut off.")
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = from_django_exception(exc) or exc
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        code = exc.error_code
        for name, value in exc.headers.items():
            response[name] = value
    elif isinstance(exc, drf_exceptions.ValidationError):
        code = "invalid_request"
    elif isinstance(exc, drf_exceptions.PermissionDenied) and "CSRF" in str(exc.detail):
        code = "csrf_failed"
    else:
        code = _CODES.get(response.status_code, "error")
    response.data = error_body(
        code, _flatten(exc.detail if isinstance(exc, drf_exceptions.APIException) else exc)
    )
    return response
