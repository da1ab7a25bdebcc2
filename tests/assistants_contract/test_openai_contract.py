import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy

from .contract import RemoteAssistantContract
from .fake_openai import MODEL, FakeChatModel, chunk
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


class TestOpenAIAssistantContract(RemoteAssistantContract):
    secrets = (API_KEY,)
    chat_path = "/v1/chat/completions"
    stream_start = (chunk({"role": "assistant", "content": ""}),)

    def delta_event(self, text):
        return chunk({"content": text})

    @pytest.fixture
    def upstream(self, model):
        return model[1]

    @pytest.fixture
    def make_assistant(self, model):
        return lambda **options: get_assistant("openai", retry=RetryPolicy(base_delay=0), **options)

    @pytest.fixture
    def serve(self, model):
        return lambda *replies: model[0].failures.extend(replies)

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
