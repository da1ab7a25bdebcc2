import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy

from .contract import AssistantContract
from .fake_openai import MODEL, FakeChatModel
from .upstream import FakeUpstream, Reply

API_KEY = "sk-test-4f9d2c1b7e6a5d3c"


@pytest.fixture
def model(settings):
    fake = FakeChatModel(api_key=API_KEY)
    with FakeUpstream(fake.routes()) as upstream:
        settings.OPENAI_BASE_URL = upstream.url + "/v1"
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_MODEL = MODEL
        yield fake, upstream


class TestOpenAIAssistantContract(AssistantContract):
    secrets = (API_KEY,)

    @pytest.fixture
    def assistant(self, model):
        return get_assistant("openai", retry=RetryPolicy(base_delay=0))

    @pytest.fixture
    def failing_assistant(self, model):
        fake, _ = model
        fake.failures = [
            Reply.json(
                {"error": {"message": "The server is overloaded.", "type": "server_error", "code": None}}, 503
            )
        ] * 3
        return get_assistant("openai", retry=RetryPolicy(base_delay=0))
