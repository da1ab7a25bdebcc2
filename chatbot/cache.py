"""``chatbot.cache.FailSoftRedisCache``: Django's Redis cache that keeps the site answering
while Redis is down.

The chat keeps nothing in the cache it cannot lose — shop facts, rate-limit counters, stop
flags, stream slots, sign-in markers; messages live in the database — yet with Django's
``RedisCache`` every one of those reads raised ``ConnectionError`` while Redis was
stopped, and every message route answered 500 (bench/faults.py, phase ``redis``). This
backend turns a connection failure into a miss: reads return the default, writes do
nothing, ``add``/``touch`` say yes (limits and stream slots fail open rather than refuse
every shopper), and ``incr`` says the key is gone (the counters start again). It logs one
warning per ``WARN_EVERY`` seconds, not one per call. Anything other than a connection
failure (a wrong type, a bad command) still raises: that is a bug, not an outage.

``CACHES = {"default": {"BACKEND": "chatbot.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}}``
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("chatbot")

OUTAGE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY = 10.0
T = TypeVar("T")


class FailSoftRedisCache(RedisCache):
    _warned_at = 0.0

    def _soft(self, call: Callable[[], T], fallback: T, what: str) -> T:
        try:
            return call()
        except OUTAGE as exc:
            now = time.monotonic()
            if now - FailSoftRedisCache._warned_at > WARN_EVERY:
                FailSoftRedisCache._warned_at = now
                logger.warning(
                    "Cache unavailable (%s on %s); carrying on without it", type(exc).__name__, what
                )
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._soft(lambda: RedisCache.get(self, key, default, version), default, "get")

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._soft(lambda: RedisCache.get_many(self, keys, version), {}, "get_many")

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._soft(lambda: RedisCache.has_key(self, key, version), False, "has_key")

    def set(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> None:
        self._soft(lambda: RedisCache.set(self, key, value, timeout, version), None, "set")

    def set_many(self, data: dict[Any, Any], timeout: Any = 300, version: int | None = None) -> list[Any]:
        return self._soft(lambda: RedisCache.set_many(self, data, timeout, version), list(data), "set_many")

    def add(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> bool:
        return self._soft(lambda: RedisCache.add(self, key, value, timeout, version), True, "add")

    def touch(self, key: Any, timeout: Any = 300, version: int | None = None) -> bool:
        return self._soft(lambda: RedisCache.touch(self, key, timeout, version), True, "touch")

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        result = self._soft(lambda: RedisCache.incr(self, key, delta, version), None, "incr")
        if result is None:
            raise ValueError(f"Key {key!r} not found (the cache is unavailable).")
        return result

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._soft(lambda: RedisCache.delete(self, key, version), False, "delete")

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._soft(lambda: RedisCache.delete_many(self, keys, version), None, "delete_many")

    def clear(self) -> None:
        self._soft(lambda: RedisCache.clear(self), None, "clear")
