"""``POST /api/chatbot/webhooks/stream``: verified, deduplicated, answered at once, and
mapped onto the pipeline."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from chatbot import pipeline
from chatbot.engines.stream import webhook as webhooks
from chatbot.models import Message, WebhookDelivery
from tests.support.assistants import EchoAssistant, FailingAssistant

from .conftest import API_SECRET, gzipped, sign

pytestmark = pytest.mark.django_db

URL = "/api/chatbot/webhooks/stream"


def message_new(
    conversation, *, text="Do you have rain jackets?", user_id=None, message_id="9d7c-stream-msg", **extra
):
    """A ``message.new`` body shaped as in Stream's webhook docs."""
    user_id = user_id or conversation.chat_user_id
    user = {"id": user_id, "role": "user", "name": "Guest 4567", "chat_user_id": conversation.chat_user_id}
    message = {
        "id": message_id,
        "text": text,
        "html": f"<p>{text}</p>\n",
        "type": "regular",
        "user": user,
        "attachments": [],
        "latest_reactions": [],
        "own_reactions": [],
        "reaction_counts": {},
        "reaction_scores": {},
        "reply_count": 0,
        "cid": f"messaging:{conversation.channel_id}",
        "created_at": "2026-11-20T07:54:46.277381Z",
        "updated_at": "2026-11-20T07:54:46.277381Z",
        "shadowed": False,
        "mentioned_users": [],
        "silent": False,
        "pinned": False,
        **extra,
    }
    return {
        "type": "message.new",
        "cid": f"messaging:{conversation.channel_id}",
        "channel_id": conversation.channel_id,
        "channel_type": "messaging",
        "message": message,
        "user": {**user, "total_unread_count": 0, "unread_channels": 0},
        "watcher_count": 1,
        "created_at": "2026-11-20T07:54:46.296743Z",
        "members": [
            {"user_id": conversation.chat_user_id, "user": user},
            {"user_id": "assistant-demo", "user": {"id": "assistant-demo", "role": "user"}},
        ],
    }


def post(client, event, *, secret=API_SECRET, webhook_id="wh-1", gzip_body=False, signature=None):
    body = json.dumps(event).encode()
    headers = {"HTTP_X_SIGNATURE": signature if signature is not None else sign(body, secret)}
    if webhook_id:
        headers["HTTP_X_WEBHOOK_ID"] = webhook_id
        headers["HTTP_X_WEBHOOK_ATTEMPT"] = "1"
    if gzip_body:
        body = gzipped(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def received(monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "receive_shopper_message", lambda *a, **kw: calls.append((a, kw)))
    return calls


@pytest.fixture
def stops(monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "request_stop", calls.append)
    return calls


def test_route_is_named():
    assert reverse("chatbot:stream-webhook") == URL


def test_shopper_message_typed_in_stream_enters_the_pipeline(client, stream_settings, conversation, received):
    response = post(client, message_new(conversation))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert len(received) == 1
    args, kwargs = received[0]
    assert args == (conversation, "Do you have rain jackets?", "9d7c-stream-msg")
    assert kwargs == {"deliver": False, "engine_message_id": "9d7c-stream-msg"}
    assert WebhookDelivery.objects.filter(webhook_id="wh-1", event_type="message.new").exists()


def test_gzipped_body_is_verified_on_the_uncompressed_bytes(client, stream_settings, conversation, received):
    response = post(client, message_new(conversation), gzip_body=True)
    assert response.status_code == 200, response.content
    assert len(received) == 1


@pytest.mark.parametrize(
    ("secret", "signature"),
    [("another-secret-entirely-0123456789abcdef", None), (API_SECRET, "deadbeef"), (API_SECRET, "")],
)
def test_bad_signature_is_refused(client, stream_settings, conversation, received, secret, signature):
    response = post(client, message_new(conversation), secret=secret, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert API_SECRET not in response.content.decode()
    assert received == []
    assert not WebhookDelivery.objects.exists()


def test_signature_of_other_bytes_is_refused(client, stream_settings, conversation, received):
    event = message_new(conversation)
    good = sign(json.dumps(event).encode())
    event["message"]["text"] = "tampered"
    assert post(client, event, signature=good).status_code == 401
    assert received == []


def test_same_webhook_id_is_processed_once(client, stream_settings, conversation, received):
    assert post(client, message_new(conversation), webhook_id="wh-7").json() == {"status": "accepted"}
    second = post(client, message_new(conversation), webhook_id="wh-7")
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert len(received) == 1


def test_bot_and_ai_generated_messages_are_ignored(client, stream_settings, conversation, received):
    post(client, message_new(conversation, user_id="assistant-demo"), webhook_id="a")
    post(client, message_new(conversation, ai_generated=True), webhook_id="b")
    post(client, message_new(conversation, type="system"), webhook_id="c")
    post(client, message_new(conversation, text="   "), webhook_id="d")
    post(client, message_new(conversation, user_id="some-moderator"), webhook_id="e")
    assert received == []


def test_message_that_came_through_our_route_is_not_stored_twice(
    client, stream_settings, conversation, received
):
    Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text="hi",
        client_message_id="abc-1",
        engine_message_id=f"{conversation.channel_id}-abc-1",
    )
    post(client, message_new(conversation, message_id=f"{conversation.channel_id}-abc-1"), webhook_id="x")
    # The webhook can also beat our send's answer: the client_message_id still matches.
    post(client, message_new(conversation, message_id="other", client_message_id="abc-1"), webhook_id="y")
    assert received == []


def test_unknown_channel_is_ignored(client, stream_settings, conversation, received):
    event = message_new(conversation)
    event["channel_id"] = "demo-nobody"
    event["cid"] = "messaging:demo-nobody"
    assert post(client, event).status_code == 200
    assert received == []


def test_other_event_types_are_acknowledged_and_ignored(client, stream_settings, conversation, received):
    response = post(client, {"type": "typing.start", "channel_id": conversation.channel_id}, webhook_id="t")
    assert response.json() == {"status": "ignored", "type": "typing.start"}
    assert not WebhookDelivery.objects.exists()


def test_invalid_json_is_a_400(client, stream_settings):
    body = b"not json"
    response = client.post(URL, data=body, content_type="application/json", HTTP_X_SIGNATURE=sign(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_deeply_nested_signed_body_is_a_400_without_a_traceback(client, stream_settings, caplog):
    body = b'{"type": "message.new", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(URL, data=body, content_type="application/json", HTTP_X_SIGNATURE=sign(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]


def test_nul_in_a_shoppers_stream_message_is_dropped_not_the_message(
    client, stream_settings, conversation, received
):
    response = post(client, message_new(conversation, text="rain\x00 jacket"))
    assert response.status_code == 200, response.content
    args, _ = received[0]
    assert args[1] == "rain jacket"


def test_get_is_not_allowed(client, stream_settings):
    response = client.get(URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@override_settings(STREAM_CHAT_API_SECRET="")
def test_without_a_secret_nothing_can_be_verified(client, conversation):
    assert post(client, message_new(conversation)).status_code == 404


def test_stop_event_stops_the_streaming_reply(client, stream_settings, conversation, stops):
    question = Message.objects.create(
        conversation=conversation, role="shopper", text="q", client_message_id="q1"
    )
    old = Message.objects.create(
        conversation=conversation, role="assistant", status="done", reply_to=question
    )
    streaming = Message.objects.create(
        conversation=conversation,
        role="assistant",
        status="streaming",
        reply_to=question,
        engine_message_id=f"{conversation.channel_id}-reply-9",
    )
    # Stream's stopAIResponse(): no message id, as in Stream's AIIndicatorStopEvent.
    event = {
        "type": "ai_indicator.stop",
        "cid": f"messaging:{conversation.channel_id}",
        "channel_id": conversation.channel_id,
        "channel_type": "messaging",
        "user": {"id": conversation.chat_user_id, "chat_user_id": conversation.chat_user_id},
        "created_at": "2026-11-20T07:54:46.296743Z",
    }
    assert post(client, event, webhook_id="s1").json() == {"status": "accepted"}
    assert stops == [streaming.pk]

    event["message_id"] = f"{conversation.channel_id}-reply-9"
    post(client, event, webhook_id="s2")
    assert stops == [streaming.pk, streaming.pk]
    assert old.pk not in stops


def test_work_runs_after_the_answer_in_thread_mode(client, stream_settings, conversation, monkeypatch):
    submitted = []
    monkeypatch.setattr(webhooks.jobs, "submit_after_commit", lambda fn, *args: submitted.append((fn, args)))
    response = post(client, message_new(conversation))
    assert response.status_code == 200
    assert submitted == [(webhooks.handle_event, (message_new(conversation),))]


def test_hashed_channel_ids_still_map_to_their_conversation(stream_settings, db, shop, received):
    from chatbot.engines.stream import client as stream_service
    from chatbot.models import Conversation

    conversation = Conversation.objects.create(shop_id="demo", chat_user_id="Odd.User@Mail", display_name="O")
    event = message_new(conversation)
    event["channel_id"] = stream_service.channel_id_for(conversation)
    event["message"]["user"]["id"] = stream_service.shopper_user_id("Odd.User@Mail")
    webhooks.handle_event(event)
    assert len(received) == 1
    assert received[0][0][0] == conversation


def test_webhook_message_gets_a_real_reply_through_the_pipeline(
    client, stream_api, conversation, clock, monkeypatch
):
    """Integration: the real pipeline answers a message typed in Stream, and the answer
    is streamed back into the channel as the assistant."""
    monkeypatch.setattr(pipeline, "assistant_for_shop", lambda shop_id: EchoAssistant())
    response = post(client, message_new(conversation, text="hello"))
    assert response.status_code == 200

    stored = Message.objects.get(conversation=conversation, role="shopper")
    assert stored.engine_message_id == "9d7c-stream-msg"
    assert stored.client_message_id == "9d7c-stream-msg"
    reply = Message.objects.get(conversation=conversation, role="assistant")
    assert reply.status == Message.Status.DONE, reply.error_code
    assert reply.text == "You said: hello"

    routes = stream_api.routes()
    # deliver=False: the shopper's message is not posted back into Stream.
    sent = [body["message"] for body in stream_api.bodies("POST", r"/message$")]
    assert [m["user"]["id"] for m in sent] == ["assistant-demo"]
    assert routes[-1].endswith("/event")
    final = stream_api.bodies("PUT", r"^/messages/")[-1]["set"]
    assert final["text"] == reply.text
    assert final["generating"] is False

    # Stream delivers the same event again (a retry): nothing happens twice.
    again = post(client, message_new(conversation, text="hello"))
    assert again.json() == {"status": "duplicate"}
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_assistant_failure_shows_the_fallback_in_stream(client, stream_api, conversation, clock, monkeypatch):
    broken = FailingAssistant("model offline", code="assistant_unavailable")
    monkeypatch.setattr(pipeline, "assistant_for_shop", lambda shop_id: broken)
    post(client, message_new(conversation, text="hello"))

    reply = Message.objects.get(conversation=conversation, role="assistant")
    assert reply.status == Message.Status.FAILED
    final = stream_api.bodies("PUT", r"^/messages/")[-1]["set"]
    assert final["text"] == reply.text == pipeline.FALLBACK_TEXT["en"]
    assert final["ai_error"] == "assistant_unavailable"
    assert stream_api.events()[-1]["ai_state"] == "AI_STATE_ERROR"
