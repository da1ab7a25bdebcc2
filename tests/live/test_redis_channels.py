"""Two sites on one Redis server, each in its own database, hear only their own events:
Redis keys live in a database, but pub/sub channels are server-wide (chatbot.engines.local.hub)."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from chatbot.engines.local.hub import RedisHub
from tests.support.redisdb import redis_test_url


def test_two_sites_on_one_redis_server_hear_only_their_own_events():
    mine, other = redis_test_url(10), redis_test_url(11)
    try:
        for url in (mine, other):
            redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    site, neighbour = RedisHub(mine), RedisHub(other)
    heard: list[str] = []

    def watch() -> None:  # a shopper of `site` watching conversation 1
        for event in site.subscribe_sync(1, heartbeat=0.2):
            if event is not None:
                heard.append(event.type)
                if event.type == "test.mine":
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    time.sleep(0.5)  # subscribed
    neighbour.publish(1, "test.other", {"text": "another shop's shopper"})  # the same conversation id
    assert neighbour.flush()
    site.publish(1, "test.mine", {})
    assert site.flush()
    watcher.join(5)
    assert heard == ["test.mine"]
