"""Rule: who is chatting comes from the host's real session, never from a request body; a
guest is bound to a signed HttpOnly cookie, and no value page scripts can read is a
credential. Sign-in joins the guest's conversation; sign-out starts a new guest.

Written with the feature (named below, checked to exist) plus what was not yet covered:
identity fields in the message body are ignored on every route."""

from __future__ import annotations

import pytest
from django.test import Client

from chatbot.models import Conversation, Message
from tests.api.conftest import post

from .references import missing

REFERENCES = [
    "tests.api.test_token_route::test_a_known_visitor_naming_someone_else_is_refused",
    "tests.api.test_token_route::test_a_visitor_claiming_a_staff_role_is_refused",
    "tests.api.test_token_route::test_seed_example_from_a_new_visitor_gets_a_token_for_their_own_new_identity",
    "tests.api.test_isolation::test_a_forged_session_cookie_reads_nothing_and_mints_nothing",
    "tests.api.test_isolation::test_a_script_readable_cookie_alone_reads_nothing",
    "tests.api.test_isolation::test_events_need_the_owners_cookies_not_a_url_token",
    "tests.storefront.test_chat_identity::test_a_new_visitor_gets_a_guest_in_an_httponly_session_cookie_with_the_page",
    "tests.storefront.test_chat_identity::test_a_guest_conversation_joins_the_account_at_sign_in",
    "tests.storefront.test_chat_identity::test_sign_out_makes_a_new_guest_who_sees_nothing_and_the_next_customer_sees_only_theirs",
    "tests.live.test_identity_streams::test_sign_in_ends_the_guest_stream_and_the_customer_stream_carries_on",
    "tests.live.test_identity_streams::test_sign_out_ends_that_browsers_stream_and_not_the_other_devices",
]


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []


@pytest.fixture(autouse=True)
def memory_shops(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"
    settings.CHATBOT_REPLY_MODE = "inline"


@pytest.mark.django_db
def test_identity_fields_in_a_message_body_are_ignored(monkeypatch):
    from tests.support.assistants import EchoAssistant

    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: EchoAssistant())
    alice, mallory = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alice_id = post(alice, "/api/chatbot/stream-chat-token", {"shop": "acme"}).json()["userId"]
    post(
        alice, "/api/chatbot/stream-message", {"shop": "acme", "text": "alice here", "clientMessageId": "a1"}
    )
    claims = {"userId": alice_id, "chatUserId": alice_id, "user_id": alice_id, "userRole": "customer"}
    sent = post(
        mallory,
        "/api/chatbot/stream-message",
        {"shop": "acme", "text": "I am alice", "clientMessageId": "m1", **claims},
    )
    assert sent.status_code == 202
    assert sent["X-Chatbot-User"] != alice_id
    alice_conversation = Conversation.objects.get(chat_user_id=alice_id)
    assert list(alice_conversation.messages.filter(role="shopper").values_list("text", flat=True)) == [
        "alice here"
    ]
    assert Message.objects.get(text="I am alice").conversation.chat_user_id != alice_id
    mallorys = mallory.get("/api/chatbot/history?shop=acme").json()["messages"]
    assert mallorys[0]["text"] == "I am alice"
