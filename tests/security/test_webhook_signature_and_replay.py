"""Rule: webhooks are verified (Stream: HMAC-SHA256 of the raw body with the API secret,
header ``X-Signature``) and deduplicated by ``X-Webhook-Id``.

Written with the feature (named below) plus: a forged delivery leaves nothing behind — in
particular it does not record its ``X-Webhook-Id``, which would make the real delivery
with that id look like a replay and be dropped."""

from __future__ import annotations

import json

import pytest

from chatbot.models import WebhookDelivery
from tests.stream.conftest import API_SECRET, sign, stream_settings  # noqa: F401 - fixture
from tests.stream.test_webhooks import URL, message_new

from .references import missing

REFERENCES = [
    "tests.stream.test_webhooks::test_bad_signature_is_refused",
    "tests.stream.test_webhooks::test_signature_of_other_bytes_is_refused",
    "tests.stream.test_webhooks::test_gzipped_body_is_verified_on_the_uncompressed_bytes",
    "tests.stream.test_webhooks::test_same_webhook_id_is_processed_once",
    "tests.stream.test_webhooks::test_message_that_came_through_our_route_is_not_stored_twice",
    "tests.stream.test_webhooks::test_without_a_secret_nothing_can_be_verified",
    "tests.stream.test_webhooks::test_deeply_nested_signed_body_is_a_400_without_a_traceback",
]


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []


@pytest.fixture
def conversation(db):
    from chatbot.models import Conversation

    return Conversation.objects.create(shop_id="demo", chat_user_id="g-hook", display_name="Guest")


@pytest.mark.django_db
def test_a_forged_delivery_does_not_burn_its_webhook_id(client, stream_settings, conversation, monkeypatch):  # noqa: F811
    received = []
    monkeypatch.setattr("chatbot.pipeline.receive_shopper_message", lambda *a, **kw: received.append(a))
    body = json.dumps(message_new(conversation)).encode()
    forged = client.post(
        URL, data=body, content_type="application/json", HTTP_X_SIGNATURE="0" * 64, HTTP_X_WEBHOOK_ID="wh-9"
    )
    assert forged.status_code == 401
    assert not WebhookDelivery.objects.exists()
    real = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(body, API_SECRET),
        HTTP_X_WEBHOOK_ID="wh-9",
    )
    assert real.json() == {"status": "accepted"}
    assert len(received) == 1
    replay = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(body, API_SECRET),
        HTTP_X_WEBHOOK_ID="wh-9",
    )
    assert replay.json() == {"status": "duplicate"}
    assert len(received) == 1
