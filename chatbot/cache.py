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

It also keeps **one Redis client per process** for each location and options. Django's cache
handler builds a backend object per thread and per async context — under ASGI, per request —
and each ``RedisCache`` builds its own client, its own connection pool and so its own Redis
connection: every request connected to Redis anew and built a ``redis.Redis`` per command
(py-spy on the token route: ~14 % of its CPU in ``make_connection`` and ``Redis.__init__``;
the abandoned pools' sockets waited for the collector). redis-py's pools and clients are
thread-safe and re-create their connections after a fork, so sharing them is what
redis-py intends.

``CACHES = {"default": {"BACKEND": "chatbot.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}}``
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("chatbot")

OUTAGE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY = 10.0
T = TypeVar("T")


class SharedRedisCacheClient(RedisCacheClient):
    """Django's client, but it hands out one ``redis.Redis`` per pool instead of a new one
    per command (building one fills a ~200-entry callback table)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's private helpers, which its type stubs do not list
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._lock:  # two threads must not build two pools for one server
                client = self._clients.get(index)
                if client is None:
                    client = django._client(connection_pool=django._get_connection_pool(write))
                    self._clients[index] = client
        return client


class FailSoftRedisCache(RedisCache):
    _servers: list[str]  # set by Django's RedisCache.__init__
    _options: dict[str, Any]
    _warned_at = 0.0
    _shared: ClassVar[dict[tuple[Any, ...], SharedRedisCacheClient]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    @cached_property
    def _cache(self) -> SharedRedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with FailSoftRedisCache._shared_lock:
            client = FailSoftRedisCache._shared.get(key)
            if client is None:
                client = FailSoftRedisCache._shared[key] = self._class(self._servers, **self._options)
        return client

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

    def count_requests(self, keys: list[tuple[str, int]], version: int | None = None) -> list[int]:
        """Adds one to each (key, seconds to live) counter, in one round trip: SET NX with
        the expiry (a new window starts at 0), then INCR. Their new values; while Redis is
        unreachable, 1 each (limits fail open, as ``add`` does)."""

        def run() -> list[int]:
            pipe = self._cache.get_client(write=True).pipeline(transaction=False)
            for key, timeout in keys:
                name = self.make_and_validate_key(key, version=version)
                pipe.set(name, 0, ex=int(timeout), nx=True)
                pipe.incr(name)
            return [int(n) for n in pipe.execute()[1::2]]

        return self._soft(run, [1] * len(keys), "count_requests")

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._soft(lambda: RedisCache.delete(self, key, version), False, "delete")

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._soft(lambda: RedisCache.delete_many(self, keys, version), None, "delete_many")

    def clear(self) -> None:
        from . import nearcache  # its copies are of what was just cleared

        self._soft(lambda: RedisCache.clear(self), None, "clear")
        nearcache.clear()
