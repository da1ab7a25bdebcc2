"""Sessions read through the shared cache (``config.sessions``, the engine with REDIS_URL):
no session query per request once read, and a copy that outlives its database row — a
sign-out while Redis was unreachable — is served for at most ``CACHE_SECONDS``."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chatbot import nearcache
from chatbot.cache import FailSoftRedisCache
from config import sessions
from tests.support.redisdb import use_redis_cache

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_sessions(settings):
    url = use_redis_cache(settings, 14, "sessions-test")
    settings.SESSION_ENGINE = "config.sessions"
    yield redis.Redis.from_url(url)
    nearcache.clear()


def sign_in(client: Client) -> None:
    response = client.post(
        "/accounts/login/?next=/s/demo/orders/", {"username": "demo@example.com", "password": "demo12345"}
    )
    assert response.status_code == 302, response.content[:300]
    assert client.get("/s/demo/orders/").status_code == 200


def session_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_signed_in_customer_is_read_from_the_cache_not_the_database(redis_sessions, demo):
    client = Client()
    sign_in(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/s/demo/orders/").status_code == 200
    assert session_queries(queries) == []
    ttls = [redis_sessions.ttl(key) for key in redis_sessions.scan_iter("*config.sessions*")] or [
        redis_sessions.ttl(key) for key in redis_sessions.scan_iter("*cached_db*")
    ]
    assert ttls and all(0 < ttl <= sessions.CACHE_SECONDS for ttl in ttls), ttls


def test_a_sign_out_redis_missed_is_honoured_once_the_capped_copy_lapses(redis_sessions, demo, monkeypatch):
    monkeypatch.setattr(sessions, "CACHE_SECONDS", 1)
    client = Client()
    sign_in(client)
    old_cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    # Redis unreachable for the sign-out's cache delete: the database row goes, the copy stays.
    monkeypatch.setattr(FailSoftRedisCache, "delete", lambda self, key, version=None: False)
    client.post("/accounts/logout/")
    monkeypatch.undo()
    monkeypatch.setattr(sessions, "CACHE_SECONDS", 1)

    stolen = Client()
    stolen.cookies[django_settings.SESSION_COOKIE_NAME] = old_cookie
    time.sleep(1.2)
    response = stolen.get("/s/demo/orders/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_without_redis_sessions_stay_in_the_database():
    assert django_settings.SESSION_ENGINE == "config.session_db"  # tests/storefront/test_session_db.py
