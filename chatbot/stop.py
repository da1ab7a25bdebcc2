"""The shopper's stop button.

A stop is written to the shared cache (any process may be running the reply, and a reply
still queued must see it when it starts) and remembered in this process. A running reply
asks only the in-process set (``stopped_here``), per delta and for free; the reply runtime
refreshes that set for all the replies it runs with one ``get_many`` every
``POLL_SECONDS`` (``refresh``), instead of one cache read per reply a few times a second
(with a thousand replies on Redis, those reads were most of the server's work).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.core.cache import cache

_STOP_SECONDS = 600
POLL_SECONDS = 0.5

_here: set[int] = set()
_lock = threading.Lock()


def _key(reply_id: int) -> str:
    return f"chatbot:stop:{reply_id}"


def request_stop(reply_id: int) -> None:
    with _lock:
        _here.add(reply_id)
    cache.set(_key(reply_id), True, _STOP_SECONDS)


def stop_requested(reply_id: int) -> bool:
    """Asked anywhere (reads the shared cache unless this process already knows)."""
    if stopped_here(reply_id):
        return True
    if cache.get(_key(reply_id)):
        with _lock:
            _here.add(reply_id)
        return True
    return False


def arm(reply_id: int) -> None:
    """A reply starts: forget whatever this process knew of an earlier row with its id,
    and take a stop pressed while it was queued from the shared cache."""
    forget(reply_id)
    stop_requested(reply_id)


def stopped_here(reply_id: int) -> bool:
    return reply_id in _here


def refresh(reply_ids: Iterable[int]) -> None:
    """One cache round trip for every given reply: stops pressed on another process."""
    ids = [rid for rid in reply_ids if rid not in _here]
    if not ids:
        return
    found = cache.get_many([_key(rid) for rid in ids])
    if found:
        with _lock:
            _here.update(rid for rid in ids if found.get(_key(rid)))


def forget(reply_id: int) -> None:
    with _lock:
        _here.discard(reply_id)
