import pytest

from chatbot.assistants import get_assistant
from tests.support.shops import MemoryShopAdapter

from .contract import AssistantContract
from .fakes import CONTRACT_SHOPS

pytest.importorskip("chatbot.assistants.local", reason="the local assistant is written in parallel")


class TestLocalAssistantContract(AssistantContract):
    @pytest.fixture
    def assistant(self):
        return get_assistant("local")

    @pytest.fixture
    def failing_assistant(self, monkeypatch):
        # The local assistant's "upstream" is the shop: a shop whose data cannot be read.
        assistant = get_assistant("local")
        broken = MemoryShopAdapter(CONTRACT_SHOPS, broken=True)
        original = assistant.reply
        monkeypatch.setattr(assistant, "reply", lambda context: original(_with_adapter(context, broken)))
        return assistant


def _with_adapter(context, adapter):
    context.adapter = adapter
    return context
