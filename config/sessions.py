"""Sessions kept in the database and read through the shared cache, for at most a minute.

``SESSION_ENGINE`` when ``REDIS_URL`` is set. Every request reads its session (the guest's
chat identity, a signed-in customer), and with the database engine that was one query per
request — the largest single query cost under bench/load.py (5 % of the server's CPU).
Django's ``cached_db`` engine reads it from the cache instead and writes both.

Why at most a minute: the cache is fail-soft (``chatbot.cache``). A sign-out while Redis
is unreachable deletes the database row but cannot delete the cached copy; if Redis comes
back with its data, that copy would keep the signed-out session alive until it expired —
by Django's default, for the session's whole age (two weeks). Capped, a copy outlives the
row by at most ``CACHE_SECONDS``. Without a shared cache (one process, ``LocMemCache``) the
database engine stays: a per-process copy would go stale when another process writes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

CACHE_SECONDS = 60


class _CappedCache:
    """The session cache, with every entry's lifetime capped at ``CACHE_SECONDS``."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    @staticmethod
    def _cap(timeout: Any) -> int:
        return CACHE_SECONDS if timeout is None else max(0, min(int(timeout), CACHE_SECONDS))

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self._cache.set(key, value, self._cap(timeout))

    async def aset(self, key: str, value: Any, timeout: Any = None) -> None:
        await self._cache.aset(key, value, self._cap(timeout))

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __getattr__(self, name: str) -> Any:  # get, aget, delete, adelete, has_key …
        return getattr(self._cache, name)


class SessionStore(CachedDBStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _CappedCache(self._cache)
