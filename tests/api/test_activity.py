"""chatbot.activity: the cache mark that lets a returning visitor's page stay silent."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from chatbot import activity
from tests.api.conftest import post


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(activity.time, "time", lambda: now[0])
    return now


def conv(user: str = "g1", shop: str = "acme") -> SimpleNamespace:
    return SimpleNamespace(shop_id=shop, chat_user_id=user)


def test_a_reply_in_flight_is_active_until_it_ends():
    c = conv()
    assert not activity.is_active("acme", "g1")
    activity.mark_active(c, 120)
    assert activity.is_active("acme", "g1")
    assert not activity.is_active("acme", "g2")
    assert not activity.is_active("other", "g1")
    activity.clear_active(c)
    assert not activity.is_active("acme", "g1")


def test_a_reply_mark_expires_by_itself(clock):
    activity.mark_active(conv(), 60)
    clock[0] += 59
    assert activity.is_active("acme", "g1")
    clock[0] += 2
    assert not activity.is_active("acme", "g1")


def test_a_reply_ending_keeps_the_hand_off_hour(clock):
    c = conv()
    activity.handed_off(c)
    activity.mark_active(c, 120)
    activity.clear_active(c)
    assert activity.is_active("acme", "g1")
    clock[0] += 3599
    assert activity.is_active("acme", "g1")
    clock[0] += 2
    assert not activity.is_active("acme", "g1")


def test_a_shorter_mark_never_shortens_a_longer_one(clock):
    c = conv()
    activity.mark_active(c, 600)
    activity.mark_active(c, 10)
    clock[0] += 300
    assert activity.is_active("acme", "g1")


def test_a_cache_outage_means_not_active_and_never_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("get", "set", "delete"):
        monkeypatch.setattr(cache, name, broken)
    activity.mark_active(conv(), 60)
    activity.handed_off(conv())
    activity.clear_active(conv())
    assert activity.is_active("acme", "g1") is False


def render_tag(client) -> str:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = SessionStore(session_key=client.cookies["sessionid"].value)
    request.user = AnonymousUser()
    return Template("{% load chatbot %}{% chatbot_widget %}").render(Context({"request": request}))


def test_the_widget_tag_says_active_only_while_the_conversation_is(visitor, assistant, settings):
    from chatbot.models import Conversation

    settings.CHATBOT_SHOP_ID = "acme"
    response = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "a1"}
    )
    assert response.status_code == 202
    conversation = Conversation.objects.get(shop_id="acme")
    activity.clear_active(conversation)  # the reply pipeline's own marks are not this test's subject
    html = render_tag(visitor)
    assert 'id="chatbot-loader"' in html
    assert "data-active" not in html
    assert 'data-reply-timeout="90"' in html
    activity.handed_off(conversation)
    assert 'data-active="1"' in render_tag(visitor)
