import pytest
from django.test import Client

from tests.support.assistants import EchoAssistant, FailingAssistant


@pytest.fixture(autouse=True)
def memory_shops(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"
    settings.CHATBOT_ENABLED = True


@pytest.fixture
def assistant(monkeypatch):
    """Choose the assistant the pipeline runs: ``assistant("echo")`` etc."""

    def use(kind: str = "echo") -> None:
        cls = {"echo": EchoAssistant, "failing": FailingAssistant}[kind]
        monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: cls())

    use("echo")
    return use


@pytest.fixture
def visitor(db):
    """A browser with CSRF enforced, as a real one is."""
    # No guest yet: the token and message routes put one in the session.
    return Client(enforce_csrf_checks=True)


def csrf_headers(client: Client) -> dict[str, str]:
    from django.middleware.csrf import _get_new_csrf_string

    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else None
    if token is None:
        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
    return {"HTTP_X_CSRFTOKEN": token}


def post(client: Client, url: str, body: dict, **extra):
    return client.post(url, body, content_type="application/json", **csrf_headers(client), **extra)
