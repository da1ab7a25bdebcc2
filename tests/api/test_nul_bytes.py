"""NUL bytes in what the chat's routes receive never reach PostgreSQL (which refuses them
in text and JSON columns, a 500): the message text keeps everything but the NUL (it drops
control characters, as it always did), ids with NUL are refused with 400, and a shop id
with NUL is an unknown shop. Run on PostgreSQL too (``DATABASE_URL=postgres://…``)."""

from __future__ import annotations

import pytest

from chatbot.models import Message

from .conftest import post

URL = "/api/chatbot/stream-message"


@pytest.mark.django_db
def test_nul_in_the_text_is_dropped_and_the_rest_stored(visitor, assistant):
    response = post(visitor, URL, {"shop": "acme", "text": "rain\x00 jacket", "clientMessageId": "n-1"})
    assert response.status_code == 202, response.content
    assert Message.objects.get(role="shopper").text == "rain jacket"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"shop": "acme", "text": "hi", "clientMessageId": "n\x00-1"},
        {"shop": "acme", "text": "hi", "clientMessageId": "n-2", "action": {"type": "ask", "text": "a\x00b"}},
        {"shop": "acme", "text": "hi", "clientMessageId": "n-3", "action": {"type": "faq", "topic": "\x00"}},
    ],
)
def test_nul_in_an_id_or_an_action_is_a_400(visitor, assistant, body):
    response = post(visitor, URL, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/chatbot/stream-chat-token"),
        ("post", URL),
        ("get", "/api/chatbot/history?shop=ac%00me"),
        ("get", "/api/chatbot/events?shop=ac%00me"),
    ],
)
def test_nul_in_the_shop_id_is_an_unknown_shop(visitor, assistant, method, url, settings):
    # The chat on its own, without the demo host's RefuseNulMiddleware (which answers 400).
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "RefuseNul" not in m]
    if method == "post":
        response = post(visitor, url, {"shop": "ac\x00me", "text": "hi", "clientMessageId": "n-4"})
    else:
        response = visitor.get(url)
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "unknown_shop"
