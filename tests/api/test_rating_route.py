"""The rating route as a shopper's browser uses it: CSRF enforced, the conversation is
always the shopper's own (from the session), bad input is a JSON 400."""

from __future__ import annotations

import pytest
from django.test import Client

from chatbot.models import ConversationRating

from .conftest import post

pytestmark = pytest.mark.django_db

RATING = "/api/chatbot/rating"


def chat(client: Client, text: str = "Do you have tents?") -> dict:
    response = post(
        client, "/api/chatbot/stream-message", {"shop": "acme", "text": text, "clientMessageId": "q-1"}
    )
    assert response.status_code == 202, response.content
    return response.json()


def rate(client: Client, body: dict, **extra):
    return post(client, RATING, {"shop": "acme", **body}, **extra)


def test_a_shopper_rates_their_answered_conversation(visitor, assistant):
    chat(visitor)
    conversation_id = ConversationRatingTarget.of(visitor)
    response = rate(visitor, {"score": 5})
    assert response.status_code == 201, response.content
    assert response.json()["rating"]["score"] == 5
    rating = ConversationRating.objects.get()
    assert (rating.conversation_id, rating.score, rating.comment) == (conversation_id, 5, "")


def test_a_comment_after_the_click_changes_the_same_rating(visitor, assistant):
    chat(visitor)
    assert rate(visitor, {"score": 2}).status_code == 201
    again = rate(visitor, {"score": 2, "comment": "  Took too long  "})
    assert again.status_code == 200
    assert again.json()["rating"]["comment"] == "Took too long"
    assert list(ConversationRating.objects.values_list("score", "comment")) == [(2, "Took too long")]


def test_without_csrf_the_rating_is_refused(visitor, assistant):
    chat(visitor)
    response = visitor.post(RATING, {"shop": "acme", "score": 5}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not ConversationRating.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"score": 0},
        {"score": 6},
        {"score": "great"},
        {"score": 4, "comment": "x" * 1001},
        {"score": None},
    ],
)
def test_bad_input_is_a_json_400(visitor, assistant, body):
    chat(visitor)
    response = rate(visitor, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]
    assert not ConversationRating.objects.exists()


def test_nothing_to_rate_before_an_answer(visitor, assistant):
    assert rate(visitor, {"score": 5}).json()["error"]["code"] == "not_found"  # no chat at all
    post(visitor, "/api/chatbot/stream-chat-token", {"shop": "acme"})  # a conversation, no answer
    response = rate(visitor, {"score": 5})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nothing_to_rate"


def test_another_shopper_cannot_rate_someone_elses_conversation(visitor, assistant):
    chat(visitor)
    theirs = ConversationRatingTarget.of(visitor)
    other = Client(enforce_csrf_checks=True)
    chat(other, "hello")
    # The other shopper names the first one's conversation: refused, nothing stored.
    response = rate(other, {"score": 1, "conversationId": theirs})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not ConversationRating.objects.filter(conversation_id=theirs).exists()
    # A body cannot pick another identity either: the session decides whose rating it is.
    assert rate(other, {"score": 1, "userId": "someone-else"}).status_code == 201
    assert ConversationRating.objects.get().conversation_id != theirs


def test_the_route_is_in_the_openapi_schema(client):
    schema = client.get("/api/chatbot/schema", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/chatbot/rating" in schema
    assert "RatingRequest" in schema


class ConversationRatingTarget:
    @staticmethod
    def of(client: Client) -> int:
        response = client.get("/api/chatbot/history", {"shop": "acme"})
        return response.json()["conversation"]["id"]


def test_ratings_are_rate_limited_per_shopper(visitor, assistant, settings):
    chat(visitor)
    settings.CHATBOT_RATE_LIMIT = 2
    assert [rate(visitor, {"score": 3}).status_code for _ in range(2)] == [201, 200]
    refused = rate(visitor, {"score": 3})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
