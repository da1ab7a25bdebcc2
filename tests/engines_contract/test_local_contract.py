"""The local engine against the contract, observed through the event hub: in memory (one
process) and on Redis (several processes, as deployed with ``REDIS_URL``)."""

from __future__ import annotations

import time

import pytest
import redis

from chatbot.engines.local.hub import MemoryHub, RedisHub
from tests.support.redisdb import redis_test_url

from .contract import EngineContract
from .observers import HubObserver

# Its own database, away from the live tests' (15): conversation ids repeat across runs.
REDIS_URL = redis_test_url(13)


class TestLocalEngineContract(EngineContract):
    engine_name = "local"
    redis_url = ""
    hub_class: type = MemoryHub

    @pytest.fixture
    def engine_settings(self, settings):
        settings.STREAM_CHAT_ENABLED = False
        settings.REDIS_URL = self.redis_url
        settings.CHATBOT_REPLY_MODE = "inline"

    @pytest.fixture
    def observer(self, engine_settings):
        observer = HubObserver()
        assert isinstance(observer.hub, self.hub_class)
        yield observer
        observer.close()

    @pytest.fixture
    def pause(self):
        # The local writer reads the real monotonic clock between stop-flag checks.
        return time.sleep


@pytest.mark.redis
class TestLocalEngineOnRedisContract(TestLocalEngineContract):
    redis_url = REDIS_URL
    hub_class = RedisHub

    @pytest.fixture
    def engine_settings(self, settings):
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.RedisError:
            pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
        settings.STREAM_CHAT_ENABLED = False
        settings.REDIS_URL = self.redis_url
        settings.CHATBOT_REPLY_MODE = "inline"
