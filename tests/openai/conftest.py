from pathlib import Path

import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy
from tests.assistants_contract.fake_openai import MODEL, FakeChatModel
from tests.assistants_contract.upstream import FakeUpstream, Reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openai"


def fixture_reply(name: str, *, size: int = 9, **kwargs) -> Reply:
    data = (FIXTURES / name).read_bytes()
    return Reply.sse([data[i : i + size] for i in range(0, len(data), size)], **kwargs)


@pytest.fixture
def model(settings):
    fake = FakeChatModel()
    with FakeUpstream(fake.routes()) as upstream:
        settings.OPENAI_BASE_URL = upstream.url + "/v1"
        settings.OPENAI_API_KEY = ""
        settings.OPENAI_MODEL = MODEL
        yield fake, upstream


@pytest.fixture
def make_openai():
    def make(**options):
        options.setdefault("retry", RetryPolicy(attempts=3, base_delay=0))
        return get_assistant("openai", **options)

    return make
