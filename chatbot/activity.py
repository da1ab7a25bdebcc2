"""Whether a shopper's conversation is *active*: a reply in flight, or staff involved lately.

The chat's template tag reads this on every page to decide whether the widget should
connect before the shopper opens it (an active conversation needs live events for the
unread badge; an idle one needs nothing until the click). So it lives in Django's cache,
keyed by shop and chat user id: one cache read per page, no database query.

Two expiry times are kept per conversation, so the two kinds of activity cannot erase
each other:

- ``reply``: a reply is being written (``mark_active``), until ``clear_active`` says it
  ended, or its time runs out if nobody says so (a killed process);
- ``hold``: a hand-off or a staff message (``handed_off``) keeps the conversation active
  for an hour whatever replies start and end meanwhile.

Every function is cheap and never raises: the cache being down means "not active", and
a mark that could not be written only costs a returning visitor their badge until they
open the chat.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from django.core.cache import cache

logger = logging.getLogger(__name__)

HANDOFF_SECONDS = 3600
_PREFIX = "chatbot:active"


class _ConversationLike(Protocol):
    shop_id: str
    chat_user_id: str


def _key(shop_id: str, chat_user_id: str) -> str:
    # Cache keys must be short and free of spaces/control characters (memcached rules).
    return f"{_PREFIX}:{shop_id}:{chat_user_id}"[:240]


def _read(key: str) -> dict[str, float]:
    value: Any = cache.get(key)
    if not isinstance(value, dict):
        return {}
    return {k: float(v) for k, v in value.items() if k in ("reply", "hold") and isinstance(v, int | float)}


def _write(key: str, marks: dict[str, float], now: float) -> None:
    live = {k: v for k, v in marks.items() if v > now}
    if not live:
        cache.delete(key)
        return
    cache.set(key, live, timeout=max(1, int(max(live.values()) - now) + 1))


def _extend(conversation: _ConversationLike, slot: str, seconds: int) -> None:
    try:
        key = _key(conversation.shop_id, conversation.chat_user_id)
        now = time.time()
        marks = _read(key)
        # Only ever lengthen: a shorter mark must not cut a longer one that is pending.
        marks[slot] = max(marks.get(slot, 0.0), now + max(0, int(seconds)))
        _write(key, marks, now)
    except Exception:  # the cache is an optimisation here; never fail the caller
        logger.warning("chatbot.activity: could not mark a conversation active", exc_info=True)


def mark_active(conversation: _ConversationLike, seconds: int) -> None:
    """A reply is in flight: active for at most ``seconds`` unless ``clear_active`` comes first."""
    _extend(conversation, "reply", seconds)


def handed_off(conversation: _ConversationLike) -> None:
    """A hand-off or a staff message: active for the next hour."""
    _extend(conversation, "hold", HANDOFF_SECONDS)


def clear_active(conversation: _ConversationLike) -> None:
    """The reply ended. A hand-off's (or staff message's) hour is kept."""
    try:
        key = _key(conversation.shop_id, conversation.chat_user_id)
        now = time.time()
        marks = _read(key)
        if not marks:
            return
        marks.pop("reply", None)
        _write(key, marks, now)
    except Exception:
        logger.warning("chatbot.activity: could not clear a conversation's activity", exc_info=True)


def is_active(shop_id: str, chat_user_id: str) -> bool:
    """One cache read. False for an unknown visitor, an expired mark, or a cache outage."""
    if not shop_id or not chat_user_id:
        return False
    try:
        now = time.time()
        return any(v > now for v in _read(_key(shop_id, chat_user_id)).values())
    except Exception:
        return False
