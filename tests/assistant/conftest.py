"""Fixtures for the built-in assistant: an in-memory adapter (no database) and a helper
that runs the assistant once and returns its events."""

import pytest

from chatbot.assistants.local import LocalShopAssistant
from chatbot.knowledge import index
from tests.support.shops import MemoryShopAdapter

from .fakes import ASSISTANT_SHOPS, make_context


@pytest.fixture(autouse=True)
def _fresh_index():
    index.clear_cache()
    yield
    index.clear_cache()


@pytest.fixture
def adapter():
    return MemoryShopAdapter(ASSISTANT_SHOPS)


@pytest.fixture
def bot():
    return LocalShopAssistant()


@pytest.fixture
def ask(adapter, bot):
    """ask(message, shop=..., customer=..., history=..., state=...) -> (FinalReply, events)."""

    def run(message, shop="en-shop", **kwargs):
        context = make_context(adapter, shop, message, **kwargs)
        events = list(bot.reply(context))
        return events[-1], events, context

    return run
