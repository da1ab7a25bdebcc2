"""The shopper's stop button: a flag in the shared cache that reply writers poll."""

from __future__ import annotations

from django.core.cache import cache

_STOP_SECONDS = 600


def _key(reply_id: int) -> str:
    return f"chatbot:stop:{reply_id}"


def request_stop(reply_id: int) -> None:
    cache.set(_key(reply_id), True, _STOP_SECONDS)


def stop_requested(reply_id: int) -> bool:
    return bool(cache.get(_key(reply_id)))
