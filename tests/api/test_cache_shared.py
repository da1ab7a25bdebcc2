"""One Redis client per process for the cache (chatbot.cache.FailSoftRedisCache).

Django's cache handler builds a backend object per thread and per async context, so under
ASGI every request got its own ``RedisCache``, its own connection pool and a new Redis
connection. These requests go through the ASGI handler the server runs, each in its own
context as uvicorn runs them, and count the connections the cache opens."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis
from django.core.cache import caches
from django.test import AsyncClient

from tests.support.redisdb import redis_test_url, use_redis_cache

CONNECTIONS_MADE: list[int] = []


class CountingPool(redis.BlockingConnectionPool):
    def make_connection(self):  # type: ignore[no-untyped-def]
        CONNECTIONS_MADE.append(1)
        return super().make_connection()


@pytest.fixture
def redis_cache(settings):
    url = use_redis_cache(
        settings, 14, "shared-client-test", pool_class=f"{__name__}.CountingPool", max_connections=50
    )
    CONNECTIONS_MADE.clear()
    return url


@pytest.mark.django_db(transaction=True)
def test_thirty_requests_each_in_its_own_context_open_one_redis_connection(redis_cache):
    async def visit() -> list[int]:
        statuses = []
        for _ in range(30):  # one after another: one connection is all they need
            # A task per request, as uvicorn runs them (each starts from a copy of the
            # server's context, so nothing a request stored in its context outlives it).
            response = await asyncio.create_task(AsyncClient().get("/api/chatbot/history?shop=acme"))
            statuses.append(response.status_code)
        return statuses

    statuses = asyncio.run(visit())
    assert all(status < 500 for status in statuses), statuses
    # Every request read the cache (the shop and the rate limits)...
    assert redis.Redis.from_url(redis_cache).dbsize() > 0
    # ...through one connection, not one per request (it was 30 before).
    assert len(CONNECTIONS_MADE) == 1


def test_threads_share_one_client_and_one_redis_object(redis_cache):
    seen: list[tuple[int, int]] = []

    def work() -> None:
        cache = caches["default"]  # a new backend object in each thread
        cache.set("k", 1)
        seen.append((id(cache._cache), id(cache._cache.get_client(write=True))))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert len(set(seen)) == 1
    assert len(CONNECTIONS_MADE) <= 8  # at most one per thread at once, kept by the pool


def test_another_location_gets_its_own_client(redis_cache, settings):
    first = caches["default"]._cache
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": redis_test_url(13)},
    }
    assert caches["default"]._cache is not first
