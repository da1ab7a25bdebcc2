"""Stop, on the path production takes: the shopper's stop route sets the flag
(``chatbot.stop.request_stop``), the engine writer reads it, the assistant sees it through
``context.stop_requested()``, and the pipeline closes the assistant's generator."""

from __future__ import annotations

import pytest

from chatbot.assistants.base import ShopAssistant
from chatbot.models import Message
from chatbot.stop import request_stop
from chatbot.vocabulary import FinalReply, TextDelta

from .conftest import post

pytestmark = pytest.mark.django_db


def press_stop() -> None:
    """What the stop route does, for the reply being streamed right now."""
    reply = Message.objects.get(role="assistant", status="streaming")
    request_stop(reply.pk)


class Cooperative(ShopAssistant):
    """Checks the stop flag between chunks, as the built-in and remote assistants do."""

    saw_stop = False

    def reply(self, context):  # type: ignore[no-untyped-def]
        yield TextDelta("one ")
        press_stop()
        for _ in range(50):
            if context.stop_requested():
                Cooperative.saw_stop = True
                break
            yield TextDelta("more ")
        yield FinalReply("one (stopped)")


class Deaf(ShopAssistant):
    """Never looks at the flag; its cleanup must still run at once."""

    status_at_cleanup = ""

    def reply(self, context):  # type: ignore[no-untyped-def]
        try:
            yield TextDelta("a")
            press_stop()
            for _ in range(50):
                yield TextDelta("b")
            yield FinalReply("ab")
        finally:
            # Closed by the pipeline right away, not whenever the generator is collected:
            # the reply is not finished yet when the cleanup runs.
            Deaf.status_at_cleanup = Message.objects.get(role="assistant").status


@pytest.mark.parametrize("assistant_class", [Cooperative, Deaf])
def test_stop_ends_the_reply_through_the_production_path(visitor, monkeypatch, assistant_class):
    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: assistant_class())
    # The writer reads the flag at most every 0.2 s; these assistants are faster than that.
    monkeypatch.setattr("chatbot.engines.local.LocalReplyWriter.STOP_CHECK_SECONDS", 0)
    sent = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "s1"}
    )
    assert sent.status_code == 202
    reply = Message.objects.get(pk=sent.json()["reply"]["id"])
    assert reply.status == "stopped"
    assert "b" not in reply.text and "more" not in reply.text  # nothing after the stop reached the shopper
    if assistant_class is Cooperative:
        assert Cooperative.saw_stop
    else:
        assert Deaf.status_at_cleanup == "streaming"
