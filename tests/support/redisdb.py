"""Redis databases for tests that need a real Redis.

CI runs the SQLite and the PostgreSQL suites side by side (Makefile, ``test-python``); each
suite needs Redis databases of its own, since some tests flush theirs. The PostgreSQL run
sets ``CHATBOT_TEST_REDIS_DB_SHIFT`` and gets databases below the SQLite run's."""

from __future__ import annotations

import os


def redis_test_url(db: int) -> str:
    shift = int(os.environ.get("CHATBOT_TEST_REDIS_DB_SHIFT", "0") or 0)
    return f"redis://127.0.0.1:6379/{db - shift}"
