"""The one way the chat reads a JSON request body: the DRF views (``ChatJSONParser``) and
Stream's webhook (``loads``) both come through here.

``json.loads`` recurses once per nesting level: about 2 KB of ``[[[[…`` (≥ 950 levels)
raised ``RecursionError``, which no parser catches, and every such request cost an HTML 500
and a 70-line traceback in the logs. Here it is a 400 ``invalid_json``, as is anything
nested deeper than any body the chat accepts (``MAX_DEPTH``), a body that is not UTF-8,
and JavaScript's ``NaN``/``Infinity`` (not JSON). A body longer than Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 ``too_large``, read no further than the limit.
"""

from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .exceptions import ApiError

# The chat's bodies are 2 levels deep (a message with an action); Stream's webhook events
# about 5. Far above both, far below where the decoder runs out of stack.
MAX_DEPTH = 32


class InvalidJSON(ValueError):
    """The body is not JSON the chat can read; the message says why, for the client."""


class BodyTooLarge(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not valid JSON.")


def _depth(value: Any) -> int:
    """Nesting depth without recursion (the point is not to recurse on hostile input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(raw: bytes | str) -> Any:
    """Parse a request body, or raise ``InvalidJSON`` with a message fit for the client."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJSON("The body is not UTF-8 text.") from None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidJSON(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    except InvalidJSON:
        raise
    except ValueError as exc:
        raise InvalidJSON(f"The body is not valid JSON ({exc}).") from None
    if _depth(value) > MAX_DEPTH:
        raise InvalidJSON(f"The body is nested more than {MAX_DEPTH} levels deep.")
    return value


def without_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string in it (PostgreSQL refuses
    them in text and JSON columns). Recursion is bounded: ``loads`` refused deep bodies."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def upload_limit() -> int | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return int(limit) if limit is not None else None


def read_limited(stream: IO[bytes] | None, declared_length: str | None = None) -> bytes:
    """The body, refused (``BodyTooLarge``) past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` whatever
    Content-Length claims: Django enforces that limit for forms only, not for a raw read."""
    limit = upload_limit()
    if limit is not None and declared_length:
        try:
            if int(declared_length) > limit:
                raise BodyTooLarge()
        except ValueError:
            pass
    if stream is None:
        return b""
    raw = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise BodyTooLarge()
    return raw


def too_large() -> ApiError:
    limit = upload_limit() or 0
    return ApiError(413, "too_large", f"The request body is larger than {limit:,} bytes.")


class ChatJSONParser(JSONParser):
    """DRF's JSON parser, reading the body through ``loads``: every way JSON can be wrong
    is a 400 ``invalid_json`` and a body over the limit a 413, never a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        meta = getattr(getattr(request, "_request", None), "META", {}) or {}
        try:
            raw = read_limited(stream, meta.get("CONTENT_LENGTH"))
            return loads(raw)
        except BodyTooLarge:
            raise too_large() from None
        except InvalidJSON as exc:
            raise ApiError(400, "invalid_json", str(exc)) from None
