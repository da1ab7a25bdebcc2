import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy

from .contract import AssistantContract
from .fake_coze import FakeCozeBot
from .keys import key_pair, private_key_body
from .upstream import FakeUpstream, Reply


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


class TestCozeAssistantContract(AssistantContract):
    @property
    def secrets(self):
        return (private_key_body(), *self.bot.issued_tokens)

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
