"""A per-process copy, a couple of seconds long, of the shop facts every request reads.

Every request resolves its shop (the shop index, the shop's row), and the chat and the
widget read the shop's facts and chat settings: four or five cache reads before any real
work. With Redis as the cache (every deployment beyond one process) each was a round trip
— about 6 % of the server's CPU under bench/load.py, and, while streams keep the event loop
busy, one more wait for the GIL per read. These facts change when a shop owner edits
them, a few times a day, so each process keeps what it read for ``NEAR_SECONDS``.

Freshness: a change made through the models drops the copy in the process that made it at
once (the models' signal receivers call ``forget``), and the shared entry, so every other
process reads the new facts within ``NEAR_SECONDS``. With a process-local default cache
(``LocMemCache``: the embedded default and the tests) the near copy is off: that cache
already costs no round trip, and a second copy could only be staler than it.

Values must be immutable or never mutated by callers (frozen dataclasses, model instances
the code only reads): every caller in the process gets the same object.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver

NEAR_SECONDS = 2.0
# Keys include shop ids from request bodies (unknown ones are cached as "no such shop"), so
# the copies are bounded: past this many, they all go (re-read on next use).
MAX_COPIES = 2000

_copies: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()
_enabled: bool | None = None


def _near() -> bool:
    global _enabled
    if _enabled is None:
        _enabled = not isinstance(caches["default"], LocMemCache)
    return _enabled


def get(key: str) -> Any:
    """The value for ``key``: the near copy while fresh, else the shared cache's (kept
    near if found); None if neither has it."""
    if _near():
        copy = _copies.get(key)
        if copy is not None and copy[0] > time.monotonic():
            return copy[1]
    value = cache.get(key)
    if value is not None and _near():
        _keep(key, value)
    return value


def set(key: str, value: Any, timeout: int) -> None:
    cache.set(key, value, timeout)
    if _near():
        _keep(key, value)


def _keep(key: str, value: Any) -> None:
    if len(_copies) >= MAX_COPIES:
        with _lock:
            _copies.clear()
    _copies[key] = (time.monotonic() + NEAR_SECONDS, value)


def forget(*keys: str) -> None:
    """Drops the near copies and the shared entries (a model changed)."""
    with _lock:
        for key in keys:
            _copies.pop(key, None)
    cache.delete_many(list(keys))


def clear() -> None:
    """Drops every near copy (the shared cache was cleared)."""
    global _enabled
    with _lock:
        _copies.clear()
    _enabled = None


@receiver(setting_changed)
def _cache_settings_changed(setting: str, **kwargs: object) -> None:
    if setting == "CACHES":
        clear()
