"""Redis databases for tests that need a real Redis.

CI runs the SQLite and the PostgreSQL suites side by side (Makefile, ``test-python``); each
suite needs Redis databases of its own, since some tests flush theirs. The PostgreSQL run
sets ``CHATBOT_TEST_REDIS_DB_SHIFT`` and gets databases below the SQLite run's."""

from __future__ import annotations

import os
from typing import Any

import pytest
import redis


def redis_test_url(db: int) -> str:
    shift = int(os.environ.get("CHATBOT_TEST_REDIS_DB_SHIFT", "0") or 0)
    return f"redis://127.0.0.1:6379/{db - shift}"


def use_redis_cache(settings: Any, db: int, key_prefix: str, **options: Any) -> str:
    """Points the default cache at this suite's Redis database ``db``, flushed first, through
    the site's own backend (``chatbot.cache.FailSoftRedisCache``); its URL."""
    url = redis_test_url(db)
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    cache: dict[str, Any] = {
        "BACKEND": "chatbot.cache.FailSoftRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
    }
    if options:
        cache["OPTIONS"] = options
    settings.CACHES = {"default": cache}
    return url
