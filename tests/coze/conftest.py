from pathlib import Path

import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy
from tests.assistants_contract.fake_coze import BOT_ID, FakeCozeBot
from tests.assistants_contract.keys import key_pair
from tests.assistants_contract.upstream import FakeUpstream, Reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "coze"

APP_ID = "1168372612031"
KEY_ID = "Zl8c3ZyRa5xdGDrbq6v0g7uhq3n8B1ksDQ8fnxqm6"
PERSONAL_TOKEN = "pat_OYDacMzM3WyOWV3Dtj2bHRMymzxP0xfKxbCqhyRjl2JvZzx9ZTb4mVAHnKyl"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_reply(name: str, *, size: int = 7, **kwargs) -> Reply:
    """A recorded stream, cut into small chunks so events straddle reads."""
    data = (FIXTURES / name).read_bytes()
    return Reply.sse([data[i : i + size] for i in range(0, len(data), size)], **kwargs)


@pytest.fixture
def coze(settings):
    """A fake Coze with the OAuth app configured; yields (bot, upstream)."""
    bot = FakeCozeBot(follow_ups=())
    with FakeUpstream(bot.routes()) as upstream:
        settings.COZE_API_BASE = upstream.url
        settings.COZE_BOT_ID = BOT_ID
        settings.COZE_OAUTH_APP_ID = APP_ID
        settings.COZE_OAUTH_KEY_ID = KEY_ID
        settings.COZE_OAUTH_PRIVATE_KEY = key_pair()[0]
        settings.COZE_API_TOKEN = ""
        yield bot, upstream


@pytest.fixture
def make_coze():
    def make(**options):
        options.setdefault("retry", RetryPolicy(attempts=3, base_delay=0))
        return get_assistant("coze", **options)

    return make
