"""Redis down (the cache's server stopped): the chat still takes messages and answers with
the demo's cache backend, ``chatbot.cache.FailSoftRedisCache`` — no 500 on any route. The
live version, Redis stopped under a running server, is bench/faults.py's ``redis`` phase."""

from __future__ import annotations

import logging

import pytest

from chatbot.models import Message

from .conftest import post

DOWN = {
    "default": {
        "BACKEND": "chatbot.cache.FailSoftRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 1},
    }
}


@pytest.mark.django_db
def test_every_route_answers_while_the_cache_is_down(visitor, assistant, settings, caplog):
    settings.CACHES = DOWN
    token = post(visitor, "/api/chatbot/stream-chat-token", {"shop": "acme"})
    assert token.status_code == 200, token.content
    sent = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hello", "clientMessageId": "d-1"}
    )
    assert sent.status_code == 202, sent.content
    again = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hello", "clientMessageId": "d-1"}
    )
    assert again.status_code == 200  # the same id: nothing new stored
    history = visitor.get("/api/chatbot/history?shop=acme")
    assert next(m["text"] for m in history.json()["messages"]) == "hello"
    stop = post(visitor, "/api/chatbot/stop", {"shop": "acme", "messageId": sent.json()["reply"]["id"]})
    assert stop.status_code == 202
    assert Message.objects.filter(role="shopper").count() == 1
    warnings = [r for r in caplog.records if "Cache unavailable" in r.getMessage()]
    assert len(warnings) <= 1  # one warning, not one per cache call
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "django.request"]


def test_a_bug_is_not_hidden_as_an_outage(settings):
    from django.core.cache import cache

    settings.CACHES = DOWN
    with pytest.raises(ValueError):
        cache.incr("never-set")  # the key is "gone" while Redis is down: counters start again


def test_a_redis_outage_logs_one_traceback_per_ten_seconds_not_one_per_batch(caplog, monkeypatch):
    import redis

    from chatbot.engines.local import hub

    monkeypatch.setattr(hub._BatchPublisher, "_failure_logged_at", 0.0)
    monkeypatch.setattr(hub.time, "sleep", lambda s: None)
    publisher = hub._BatchPublisher(
        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1), f"{hub.PUBSUB_CHANNEL}:0"
    )
    for _ in range(20):  # twenty flushes while Redis is down
        publisher._send([(1, "reply.delta", "{}")])
    failures = [r for r in caplog.records if "Could not publish" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info
