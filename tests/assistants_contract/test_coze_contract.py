import threading

import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy

from .contract import RemoteAssistantContract, collect, is_delta
from .fake_coze import BOT_ID, FakeCozeBot, coze_event
from .fakes import make_context
from .keys import key_pair, private_key_body
from .upstream import FakeUpstream, Reply

CHAT = {"id": "7382159487131690001", "conversation_id": "7382159487131690000", "bot_id": BOT_ID}


@pytest.fixture
def coze(settings):
    bot = FakeCozeBot()
    with FakeUpstream(bot.routes()) as upstream:
        settings.COZE_API_BASE = upstream.url
        settings.COZE_BOT_ID = "7379462189365198898"
        settings.COZE_OAUTH_APP_ID = "1168372612031"
        settings.COZE_OAUTH_KEY_ID = "Zl8c3ZyRa5xdGDrbq6v0g7uhq3n8B1ksDQ8fnxqm6"
        # As fly secrets often carry it: one line with literal "\n".
        settings.COZE_OAUTH_PRIVATE_KEY = key_pair()[0].replace("\n", "\\n")
        yield bot, upstream


class TestCozeAssistantContract(RemoteAssistantContract):
    chat_path = "/v3/chat"
    stream_start = (
        coze_event("conversation.chat.created", {**CHAT, "status": "created"}),
        coze_event("conversation.chat.in_progress", {**CHAT, "status": "in_progress"}),
    )

    @property
    def secrets(self):
        return (private_key_body(), *self.bot.issued_tokens)

    def delta_event(self, text):
        return coze_event(
            "conversation.message.delta",
            {
                "id": "7382159487131690002",
                "conversation_id": CHAT["conversation_id"],
                "role": "assistant",
                "type": "answer",
                "content": text,
                "content_type": "text",
                "chat_id": CHAT["id"],
            },
        )

    @pytest.fixture
    def upstream(self, coze):
        return coze[1]

    @pytest.fixture
    def make_assistant(self, coze):
        self.bot, _ = coze
        return lambda **options: get_assistant("coze", retry=RetryPolicy(base_delay=0), **options)

    @pytest.fixture
    def serve(self, coze):
        return lambda *replies: coze[0].failures.extend(replies)

    @pytest.fixture
    def assistant(self, coze):
        self.bot, _ = coze
        return get_assistant("coze", retry=RetryPolicy(base_delay=0))

    @pytest.fixture
    def failing_assistant(self, coze):
        self.bot, _ = coze
        self.bot.failures = [
            Reply.json({"code": 5000, "msg": "internal error", "detail": {"logid": "x"}}, status=500)
        ] * 3
        return get_assistant("coze", retry=RetryPolicy(base_delay=0))

    def test_closing_the_reply_mid_chat_cancels_the_coze_chat(self, make_assistant, serve):
        """Coze would go on generating, and billing, an answer nobody reads."""
        stop = threading.Event()
        serve(self.sse(self.endless(stop)))
        try:
            collect(make_assistant(), make_context("Hello!"), until=is_delta)
        finally:
            stop.set()
        assert self.bot.cancelled == [CHAT["id"]]
