"""The token route's Stream part: users, channel, token."""

from __future__ import annotations

import re

import jwt
import pytest
import responses
from django.test import override_settings

from chatbot.engines.stream import StreamEngine
from chatbot.engines.stream import client as stream_service
from chatbot.vocabulary import Shopper

from .conftest import API_KEY, API_SECRET, BASE_URL

pytestmark = pytest.mark.django_db


def _shopper(conversation, name="Guest 4567"):
    return Shopper(chat_user_id=conversation.chat_user_id, display_name=name)


def test_session_payload_names_the_shopper_and_never_the_secret(stream_api, conversation, clock):
    payload = StreamEngine().session_payload(conversation, _shopper(conversation))

    assert payload["engine"] == "stream"
    assert payload["apiKey"] == API_KEY
    assert payload["userId"] == conversation.chat_user_id
    assert payload["userName"] == "Guest 4567"
    assert payload["channel"] == {"type": "messaging", "id": conversation.channel_id}
    assert payload["assistantUserId"] == "assistant-demo"
    assert payload["baseUrl"] == BASE_URL
    assert API_SECRET not in repr(payload)

    claims = jwt.decode(payload["token"], API_SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims["user_id"] == conversation.chat_user_id
    assert claims["exp"] == payload["expiresAt"] == int(clock.now) + 3600
    assert claims["iat"] <= int(clock.now)


def test_token_verifies_with_the_secret_and_expires(stream_api, conversation):
    payload = StreamEngine().session_payload(conversation, _shopper(conversation))
    claims = jwt.decode(payload["token"], API_SECRET, algorithms=["HS256"])
    assert claims["user_id"] == payload["userId"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(payload["token"], "another-secret-that-is-long-enough-for-hs256", algorithms=["HS256"])


@override_settings(CHATBOT_TOKEN_TTL=120)
def test_token_ttl_comes_from_settings(stream_api, conversation, clock):
    payload = StreamEngine().session_payload(conversation, _shopper(conversation))
    assert payload["expiresAt"] == int(clock.now) + 120


def test_first_token_creates_users_and_channel_then_costs_no_call(stream_api, conversation):
    engine = StreamEngine()
    engine.session_payload(conversation, _shopper(conversation))

    assert stream_api.routes() == [
        "POST /users",
        f"POST /channels/messaging/{conversation.channel_id}/query",
    ]
    users = stream_api.bodies("POST", r"^/users$")[0]["users"]
    assert users[conversation.chat_user_id] == {
        "id": conversation.chat_user_id,
        "name": "Guest 4567",
        "role": "user",
        "chat_user_id": conversation.chat_user_id,
    }
    assert users["assistant-demo"] == {
        "id": "assistant-demo",
        "name": "Northwind Outfitters assistant",
        "role": "user",
        "chatbot_role": "assistant",
        "shop_id": "demo",
    }
    query = stream_api.bodies("POST", r"/query$")[0]
    assert query["data"]["members"] == [conversation.chat_user_id, "assistant-demo"]
    assert query["data"]["shop_id"] == "demo"
    assert query["data"]["locale"] == "en"
    assert query["data"]["name"] == "Northwind Outfitters · Guest 4567"
    assert query["data"]["created_by"] == {"id": "assistant-demo"}
    assert (query["watch"], query["state"], query["presence"]) == (False, False, False)

    for _ in range(3):
        engine.session_payload(conversation, _shopper(conversation))
    assert len(stream_api.calls) == 2

    request = stream_api.calls[0].request
    assert f"api_key={API_KEY}" in request.url
    assert request.headers["stream-auth-type"] == "jwt"
    assert jwt.decode(request.headers["Authorization"], API_SECRET, algorithms=["HS256"]) == {"server": True}


def test_a_new_display_name_is_upserted_again(stream_api, conversation):
    engine = StreamEngine()
    engine.session_payload(conversation, _shopper(conversation))
    engine.session_payload(conversation, _shopper(conversation, name="Ada Lovelace"))
    assert [r for r in stream_api.routes() if r == "POST /users"] == ["POST /users", "POST /users"]


def test_no_base_url_key_when_stream_default(stream_api, conversation, monkeypatch):
    monkeypatch.delenv("STREAM_CHAT_URL", raising=False)
    stream_api.rsps.add(
        responses.POST, re.compile(r"https://chat\.stream-io-api\.com/.*"), json={}, status=201
    )
    with override_settings(STREAM_CHAT_BASE_URL=""):
        payload = StreamEngine().session_payload(conversation, _shopper(conversation))
    assert "baseUrl" not in payload
    assert [call.request.url.split("?")[0] for call in stream_api.calls] == [
        "https://chat.stream-io-api.com/users",
        f"https://chat.stream-io-api.com/channels/messaging/{conversation.channel_id}/query",
    ]


def test_odd_ids_are_made_stream_safe_deterministically(stream_api, db, shop):
    from chatbot.models import Conversation

    conversation = Conversation.objects.create(
        shop_id="demo", chat_user_id="User@Example.COM", display_name="Ada"
    )
    payload = StreamEngine().session_payload(conversation, Shopper("User@Example.COM", "Ada"))
    channel_id = payload["channel"]["id"]
    assert channel_id == stream_service.channel_id_for(conversation)
    assert channel_id.startswith("demo-user_example_com-")
    assert all(ch.isdigit() or ch.islower() or ch in "-_" for ch in channel_id)
    assert payload["userId"] == stream_service.shopper_user_id("User@Example.COM")
    assert payload["userId"] != stream_service.shopper_user_id("user@example.com")
