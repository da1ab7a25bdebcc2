"""A tapped quick-reply chip: ``POST /api/chatbot/stream-message`` takes the chip's label
as ``text`` and its ``action``; the action is validated, stored with the shopper's
message and handed to the assistant (docs/contracts.md, "Quick replies")."""

import pytest

from chatbot.assistants.base import ShopAssistant
from chatbot.models import Message
from chatbot.vocabulary import FinalReply, QuickReply, TextDelta

from .conftest import post

URL = "/api/chatbot/stream-message"


class RecordingAssistant(ShopAssistant):
    name = "recording"
    seen: list = []

    def reply(self, context):
        RecordingAssistant.seen.append((context.message, context.action))
        yield TextDelta("ok")
        chip = QuickReply("In stock only", {"type": "refine", "in_stock": True})
        yield FinalReply(text="ok", quick_replies=(chip, "Shipping?"))


@pytest.fixture
def recording(monkeypatch):
    RecordingAssistant.seen = []
    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: RecordingAssistant())
    return RecordingAssistant.seen


def send(client, action, text="In stock only", cid="chip-1"):
    body = {"shop": "acme", "text": text, "clientMessageId": cid}
    if action is not ...:
        body["action"] = action
    return post(client, URL, body)


@pytest.mark.django_db
def test_action_is_stored_with_the_message_and_reaches_the_assistant(visitor, recording):
    response = send(visitor, {"type": "refine", "in_stock": True})
    assert response.status_code == 202, response.content
    body = response.json()
    # The transcript shows the shopper's words: the chip's label.
    assert body["message"]["text"] == "In stock only"
    assert body["message"]["action"] == {"type": "refine", "in_stock": True}
    stored = Message.objects.get(pk=body["message"]["id"])
    assert stored.action == {"type": "refine", "in_stock": True}
    assert recording == [("In stock only", {"type": "refine", "in_stock": True})]
    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.quick_replies == [
        {"label": "In stock only", "action": {"type": "refine", "in_stock": True}},
        {"label": "Shipping?", "action": {"type": "ask"}},
    ]


@pytest.mark.django_db
def test_a_message_without_action_has_none(visitor, recording):
    response = send(visitor, ..., text="hello")
    assert response.status_code == 202
    assert response.json()["message"]["action"] is None
    assert recording == [("hello", None)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("refine", "object"),
        ({"type": "teleport"}, "action.type"),
        ({"in_stock": True}, "action.type"),
        ({"type": "refine", "in_stock": "yes"}, "in_stock"),
        ({"type": "refine", "max_price": True}, "max_price"),
        ({"type": "refine", "sort": "random"}, "sort"),
        ({"type": "faq", "topic": "shipping", "extra": 1}, "extra"),
        ({"type": "ask", "text": "x" * 1100}, "1024"),
    ],
)
def test_bad_actions_are_400_with_the_error_envelope(visitor, recording, action, says):
    response = send(visitor, action)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert says in error["message"]
    assert not Message.objects.exists()
    assert recording == []
