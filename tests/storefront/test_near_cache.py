"""The near copies of shop facts (chatbot.nearcache) in front of the Redis cache, and the
rate limits' one round trip (``FailSoftRedisCache.count_requests``).

Every request read the shop index, the shop's row, its facts and its chat settings from
Redis: five round trips before any work. Each process now keeps them for
``NEAR_SECONDS``; a change made through the models is seen at once by the process that made
it and by the others within ``NEAR_SECONDS``."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from chatbot import nearcache
from chatbot.cache import FailSoftRedisCache
from chatbot.models import ShopChatSettings
from chatbot.shop_settings import settings_for_shop
from storefront.models import Shop
from storefront.resolver import shop_by_slug
from tests.support.redisdb import use_redis_cache

SHOP_KEYS = ("storefront:shops:v1", "storefront:shop:", "chatbot:shop-info:", "chatbot:shop-settings:")


@pytest.fixture
def redis_cache(settings):
    yield use_redis_cache(settings, 14, "near-cache-test")
    nearcache.clear()


@pytest.fixture
def reads(monkeypatch):
    """Keys the Redis cache was asked for, counted."""
    seen: Counter[str] = Counter()
    real_get = FailSoftRedisCache.get

    def counting_get(self, key, default=None, version=None):  # type: ignore[no-untyped-def]
        seen[key] += 1
        return real_get(self, key, default, version)

    monkeypatch.setattr(FailSoftRedisCache, "get", counting_get)
    return seen


def post(client: Client, url: str, body: dict):
    client.cookies["csrftoken"] = "t" * 32
    return client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN="t" * 32)


def token(client: Client) -> int:
    return post(client, "/api/chatbot/stream-chat-token", {"shop": "demo"}).status_code


def shop_reads(seen: Counter[str]) -> int:
    return sum(n for key, n in seen.items() if key.startswith(SHOP_KEYS))


@pytest.mark.django_db
def test_the_shop_facts_are_read_from_redis_once_per_near_window(redis_cache, reads, demo):
    client = Client()
    assert client.get("/s/demo/").status_code == 200
    first = shop_reads(reads)
    assert first >= 4  # index, row, facts, settings: the first page reads them all
    reads.clear()
    for _ in range(5):
        assert client.get("/s/demo/").status_code == 200
        assert client.get("/api/chatbot/history?shop=demo").status_code in (200, 404)
    assert shop_reads(reads) == 0, dict(reads)


@pytest.mark.django_db
def test_a_change_through_the_models_is_seen_at_once_here_and_within_the_window_elsewhere(
    redis_cache, demo, monkeypatch
):
    assert settings_for_shop("demo").welcome_message == ""
    row = ShopChatSettings.objects.get(shop_id="demo")
    row.welcome_message = "Hello from the shop"
    row.save()
    assert settings_for_shop("demo").welcome_message == "Hello from the shop"  # this process

    # Another process's change: the shared entry is replaced; this process's copy is not
    # told, and holds for at most NEAR_SECONDS.
    monkeypatch.setattr(nearcache, "NEAR_SECONDS", 0.2)
    nearcache.clear()
    assert settings_for_shop("demo").welcome_message == "Hello from the shop"
    ShopChatSettings.objects.filter(shop_id="demo").update(welcome_message="Changed elsewhere")
    cache.delete("chatbot:shop-settings:v2:demo")  # what the other process's receiver did
    assert settings_for_shop("demo").welcome_message == "Hello from the shop"
    time.sleep(0.25)
    assert settings_for_shop("demo").welcome_message == "Changed elsewhere"


@pytest.mark.django_db
def test_a_renamed_shop_is_resolved_by_its_new_slug_at_once(redis_cache, demo):
    assert shop_by_slug("demo") is not None
    shop = Shop.objects.get(slug="demo")
    shop.slug = "northwind"
    shop.save()
    assert shop_by_slug("demo") is None
    assert shop_by_slug("northwind").pk == shop.pk


@pytest.mark.django_db
def test_each_caller_gets_its_own_shop_instance(redis_cache, demo):
    first = shop_by_slug("demo")
    first.name = "changed by one request"
    assert shop_by_slug("demo").name != "changed by one request"


@pytest.mark.django_db
def test_the_near_copies_are_bounded(redis_cache, demo, monkeypatch):
    monkeypatch.setattr(nearcache, "MAX_COPIES", 10)
    for n in range(50):  # unknown shop ids from request bodies are cached as "no such shop"
        post(Client(), "/api/chatbot/stream-chat-token", {"shop": f"nope-{n}"})
    assert len(nearcache._copies) <= 10


@pytest.mark.django_db
def test_off_with_a_process_local_cache(demo, monkeypatch):
    nearcache.clear()
    assert settings_for_shop("demo").welcome_message == ""
    ShopChatSettings.objects.filter(shop_id="demo").update(welcome_message="Direct")
    cache.delete("chatbot:shop-settings:v2:demo")
    assert settings_for_shop("demo").welcome_message == "Direct"
    assert nearcache._copies == {}


@pytest.mark.django_db
def test_rate_limits_on_redis_count_both_keys_in_one_round_trip(redis_cache, demo, settings, monkeypatch):
    settings.CHATBOT_ADDRESS_TOKEN_RATE_LIMIT = 3
    pipelines: list[list[str]] = []
    real_execute = redis.client.Pipeline.execute

    def counting_execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        pipelines.append([str(command[0][0]) for command in self.command_stack])
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_execute)
    statuses = [
        post(Client(), "/api/chatbot/stream-chat-token", {"shop": "demo"}).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    counted = [p for p in pipelines if p.count("INCRBY") + p.count("INCR") == 2]
    assert len(counted) == 5, pipelines  # address and identity, one pipeline per request


@pytest.mark.django_db
def test_rate_limits_fail_open_while_redis_is_down(demo, settings):
    settings.CACHES = {
        "default": {"BACKEND": "chatbot.cache.FailSoftRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.CHATBOT_ADDRESS_TOKEN_RATE_LIMIT = 1
    statuses = [
        post(Client(), "/api/chatbot/stream-chat-token", {"shop": "demo"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
