"""The Stream REST double (tests/doubles/stream_double.py) speaks to the real SDK, and the
engine runs end to end against it over local HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatbot.engines.stream import StreamEngine
from chatbot.models import Message
from chatbot.vocabulary import FinalReply, Shopper
from tests.doubles.stream_double import StreamDouble

from .conftest import API_KEY, API_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def double():
    with StreamDouble(API_KEY, API_SECRET) as running:
        yield running


@pytest.fixture
def on_double(double):
    with override_settings(
        STREAM_CHAT_ENABLED=True,
        STREAM_CHAT_API_KEY=API_KEY,
        STREAM_CHAT_API_SECRET=API_SECRET,
        STREAM_CHAT_BASE_URL=double.base_url,
        CHATBOT_REPLY_MODE="inline",
    ):
        yield double


def test_sdk_calls_work_and_are_recorded(double):
    client = StreamChat(API_KEY, API_SECRET, base_url=double.base_url)
    client.upsert_users([{"id": "u1", "name": "Ada"}, {"id": "bot", "name": "Bot"}])
    channel = client.channel("messaging", "shop-u1", {"members": ["u1", "bot"]})
    channel.create("bot")
    channel.send_message({"id": "m1", "text": "hi"}, "u1")
    client.update_message_partial("m1", {"set": {"text": "hi!"}}, "u1")
    client.patch("messages/m1/ephemeral", data={"set": {"text": "typing"}, "user": {"id": "u1"}})
    channel.send_event({"type": "ai_indicator.clear"}, "bot")
    client.update_app_settings(
        event_hooks=[{"hook_type": "webhook", "webhook_url": "https://x", "enabled": True}]
    )
    assert client.get_app_settings()["app"]["event_hooks"][0]["webhook_url"] == "https://x"

    assert double.paths() == [
        "POST /users",
        "POST /channels/messaging/shop-u1/query",
        "POST /channels/messaging/shop-u1/message",
        "PUT /messages/m1",
        "PATCH /messages/m1/ephemeral",
        "POST /channels/messaging/shop-u1/event",
        "PATCH /app",
        "GET /app",
    ]
    assert double.messages["m1"]["text"] == "hi!"  # the ephemeral update did not persist
    assert double.ephemeral_updates == [{"id": "m1", "text": "typing"}]
    with pytest.raises(StreamAPIException) as info:
        channel.send_message({"id": "m1", "text": "again"}, "u1")
    assert info.value.status_code == 400
    assert "already exists" in info.value.response_text


def test_wrong_secret_or_key_is_refused(double):
    with pytest.raises(StreamAPIException) as info:
        StreamChat(
            API_KEY, "a-different-secret-that-is-32-bytes-long", base_url=double.base_url
        ).upsert_users([{"id": "u"}])
    assert info.value.status_code == 401
    with pytest.raises(StreamAPIException):
        StreamChat("wrong-key", API_SECRET, base_url=double.base_url).get_app_settings()
    assert double.users == {}


def test_injected_failures(double):
    double.fail("PUT", r"^/messages/", 429, headers={"X-RateLimit-Reset": "1"})
    client = StreamChat(API_KEY, API_SECRET, base_url=double.base_url)
    with pytest.raises(StreamAPIException) as info:
        client.update_message_partial("m", {"set": {}}, "u")
    assert info.value.status_code == 429


def test_engine_end_to_end_on_the_double(on_double, conversation):
    engine = StreamEngine()
    payload = engine.session_payload(conversation, Shopper(conversation.chat_user_id, "Guest 4567"))
    assert payload["baseUrl"] == on_double.base_url
    cid = f"messaging:{conversation.channel_id}"
    assert on_double.channels[cid]["members"] == [conversation.chat_user_id, "assistant-demo"]

    question = Message.objects.create(
        conversation=conversation, role="shopper", text="Any rain jackets?", client_message_id="q-1"
    )
    engine.deliver_shopper_message(conversation, question)
    reply = Message.objects.create(
        conversation=conversation, role="assistant", status="pending", reply_to=question
    )
    writer = engine.open_reply(conversation, reply)
    writer.thinking()
    writer.delta("Yes, ")
    writer.delta("two.")
    writer.finish(FinalReply(text="Yes, two."))

    stored = on_double.messages[f"{conversation.channel_id}-reply-{reply.pk}"]
    assert stored["text"] == "Yes, two."
    assert stored["generating"] is False
    assert stored["ai_generated"] is True
    assert on_double.messages[f"{conversation.channel_id}-q-1"]["user"]["id"] == conversation.chat_user_id
    assert [e.get("ai_state", e["type"]) for e in on_double.events] == [
        "AI_STATE_THINKING",
        "AI_STATE_GENERATING",
        "ai_indicator.clear",
    ]


def test_bootstrap_against_the_double_is_idempotent(on_double, make_shop):
    make_shop("demo", name="Northwind Outfitters")
    on_double.app["event_hooks"] = [{"id": "keep", "hook_type": "sns", "enabled": True, "event_types": []}]
    url = "https://shop.example/api/chatbot/webhooks/stream"
    call_command("bootstrap_chatbot", "--webhook-url", url, stdout=StringIO())
    call_command("bootstrap_chatbot", "--webhook-url", url, stdout=StringIO())
    hooks = on_double.app["event_hooks"]
    assert hooks[0]["id"] == "keep"
    assert [h.get("webhook_url") for h in hooks] == [None, url]
    assert on_double.paths().count("PATCH /app") == 1
    assert "assistant-demo" in on_double.users
