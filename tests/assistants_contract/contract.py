"""The contract every assistant passes (django-anymail's shared provider suite, allauth's
provider test mixin). A subclass per assistant supplies the mocked upstream through two
fixtures, ``assistant`` (a healthy upstream) and ``failing_assistant`` (an upstream
that fails), and lists the ``secrets`` that must never appear in an error or a log."""

from __future__ import annotations

import logging

import pytest

from chatbot.assistants.base import AssistantError, ShopAssistant
from chatbot.vocabulary import FinalReply, ProductCards, TextDelta, Thinking

from .fakes import DEMO_CUSTOMER, OTHER_ORDER, OTHER_ORDER_SECRETS, TENT, make_context


def run(assistant: ShopAssistant, message: str, **kwargs) -> list:
    return list(assistant.reply(make_context(message, **kwargs)))


def final_of(events: list) -> FinalReply:
    finals = [e for e in events if isinstance(e, FinalReply)]
    assert len(finals) == 1, events
    assert events[-1] is finals[0], "FinalReply must be the last event"
    return finals[0]


class AssistantContract:
    secrets: tuple[str, ...] = ()

    @pytest.fixture
    def assistant(self) -> ShopAssistant:
        raise NotImplementedError

    @pytest.fixture
    def failing_assistant(self) -> ShopAssistant:
        raise NotImplementedError

    def test_streams_deltas_before_the_final_reply(self, assistant):
        events = run(assistant, "Hello! What can you help me with?")
        final = final_of(events)
        deltas = [e for e in events[: events.index(final)] if isinstance(e, TextDelta)]
        assert len(deltas) >= 2, events
        assert all(d.text for d in deltas)
        assert final.text.strip()
        assert not isinstance(events[0], TextDelta), (
            "Thinking (or cards) may come first, never text before start"
        )
        assert any(isinstance(e, Thinking) for e in events) or deltas

    def test_answers_a_product_question_through_the_tools(self, assistant):
        events = run(assistant, "How much is the Trailhead tent?")
        final = final_of(events)
        assert TENT.name in final.text
        assert "149" in final.text
        assert TENT.sku in [card.sku for card in final.products]
        streamed = [card.sku for e in events if isinstance(e, ProductCards) for card in e.products]
        assert TENT.sku in streamed
        card = next(c for c in final.products if c.sku == TENT.sku)
        assert card.price == "149.00" and card.currency == "USD"

    def test_refuses_another_customers_order(self, assistant):
        events = run(assistant, f"Where is my order {OTHER_ORDER.number}?", customer=DEMO_CUSTOMER)
        final = final_of(events)
        shown = final.text + "".join(e.text for e in events if isinstance(e, TextDelta))
        for secret in OTHER_ORDER_SECRETS:
            assert secret not in shown

    def test_fails_gracefully_on_upstream_errors(self, failing_assistant, caplog):
        caplog.set_level(logging.DEBUG)
        with pytest.raises(AssistantError) as info:
            run(failing_assistant, "How much is the Trailhead tent?")
        error = info.value
        assert error.retryable is True
        assert error.code
        for secret in self.secrets:
            assert secret not in str(error)
            assert secret not in caplog.text
