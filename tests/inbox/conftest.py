"""The staff inbox: shops from the memory adapter (acme, chaye), the real routes and admin."""

from __future__ import annotations

import pytest
from django.test import Client

from chatbot.assistants.base import ShopAssistant
from chatbot.vocabulary import FinalReply, HandoffRequested, TextDelta
from tests.api.conftest import assistant, memory_shops, post, visitor  # noqa: F401
from tests.support.assistants import EchoAssistant

MESSAGE_URL = "/api/chatbot/stream-message"


class PersonPlease(ShopAssistant):
    """Hands over when asked for a person, echoes anything else (as the local one does)."""

    def reply(self, context):
        if "person" in context.message.lower():
            yield HandoffRequested("asked for a person")
            yield TextDelta("I'll get a person for you.")
            yield FinalReply("I'll get a person for you.", intent="handoff", handoff=True)
        else:
            yield from EchoAssistant().reply(context)


@pytest.fixture
def person_please(monkeypatch):
    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: PersonPlease())


def send(client: Client, text: str, cid: str, shop: str = "acme"):
    return post(client, MESSAGE_URL, {"shop": shop, "text": text, "clientMessageId": cid})


@pytest.fixture
def shop_settings(db):
    from chatbot.models import ShopChatSettings

    def make(shop_id: str = "acme", **fields):
        row, _ = ShopChatSettings.objects.update_or_create(shop_id=shop_id, defaults=fields)
        return row

    return make
