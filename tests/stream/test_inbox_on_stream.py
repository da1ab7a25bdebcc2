"""The staff inbox on the Stream engine, against the local Stream REST double: the
hand-off notice, a staff answer from the admin page and the hand-back all reach the
shopper's Stream channel (posted by the assistant user, labelled for the widget)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chatbot.models import Conversation, ShopChatSettings
from chatbot.pipeline import receive_shopper_message
from tests.doubles.stream_double import StreamDouble

from .conftest import API_KEY, API_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_double():
    with (
        StreamDouble(API_KEY, API_SECRET) as double,
        override_settings(
            STREAM_CHAT_ENABLED=True,
            STREAM_CHAT_API_KEY=API_KEY,
            STREAM_CHAT_API_SECRET=API_SECRET,
            STREAM_CHAT_BASE_URL=double.base_url,
            CHATBOT_REPLY_MODE="inline",
            CHATBOT_ASSISTANT="local",
        ),
    ):
        yield double


def channel_messages(double: StreamDouble, conversation: Conversation) -> list[dict]:
    cid = f"messaging:{conversation.channel_id}"
    return [m for m in double.messages.values() if m["cid"] == cid]


def test_staff_reply_and_hand_back_reach_the_stream_channel(
    on_double, conversation, admin_client, django_capture_on_commit_callbacks
):
    ShopChatSettings.objects.create(shop_id="demo", expected_wait_minutes=4)
    with django_capture_on_commit_callbacks(execute=True):
        receive_shopper_message(conversation, "I want to talk to a person", "q-1")
    conversation.refresh_from_db()
    assert conversation.state == "waiting"
    notice = channel_messages(on_double, conversation)[-1]
    assert notice["chatbot_role"] == "system" and notice["chatbot_notice"] == "handoff"
    assert "usually within 4 minutes" in notice["text"]

    page = f"/admin/chatbot/conversation/{conversation.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        answered = admin_client.post(page, {"action": "reply", "text": "Hi, Anna from Northwind here."})
    assert answered.status_code == 302
    staff = channel_messages(on_double, conversation)[-1]
    assert (staff["text"], staff["chatbot_role"]) == ("Hi, Anna from Northwind here.", "staff")
    assert staff["user"]["id"] == "assistant-demo"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(page, {"action": "handback"})
    back = channel_messages(on_double, conversation)[-1]
    assert back["chatbot_notice"] == "back" and back["text"] == "The assistant is back. Ask me anything."

    # The assistant answers on the channel again (the route reads the conversation afresh).
    conversation.refresh_from_db()
    assert (conversation.state, conversation.handoff_at) == ("assistant", None)
    with django_capture_on_commit_callbacks(execute=True):
        _message, reply, _started = receive_shopper_message(conversation, "hello", "q-2")
    assert reply is not None and reply.role == "assistant"
    reply.refresh_from_db()
    assert reply.status == "done"
    assert channel_messages(on_double, conversation)[-1]["text"] == reply.text
