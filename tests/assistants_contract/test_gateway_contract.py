"""The gateway assistant against a fake gateway that checks the signature (docs/gateway.md)
and answers from the shop through the tools, knowing only whether the shopper is signed
in. The real gateway, with the tools called back over the hop, is in tests/gateway/."""

import hmac
import json

import pytest

from chatbot import tools
from chatbot.assistants import get_assistant
from chatbot.assistants.http import RetryPolicy
from chatbot.gateway import protocol
from chatbot.vocabulary import ProductCards

from . import brain
from .contract import RemoteAssistantContract, final_of, run
from .fakes import make_context
from .upstream import FakeUpstream, Recorded, Reply

SECRET = "sso-secret-8d2f61c0a9e4"


def event(name, data):
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


class FakeGateway:
    def __init__(self):
        self.failures = []

    def chat(self, request: Recorded) -> Reply:
        timestamp = request.headers.get("x-chatbot-timestamp", "")
        expected = protocol.signature(SECRET, timestamp, request.body)
        if not hmac.compare_digest(request.headers.get("x-chatbot-signature", ""), expected):
            return Reply.json({"error": {"code": "bad_signature", "message": "Signature mismatch."}}, 401)
        if self.failures:
            return self.failures.pop(0)
        body = request.json
        assert request.headers["x-chatbot-shop"] == body["shop"]["id"]
        decision = brain.decide(body["message"])
        events = []
        intent = "smalltalk"
        if decision is None:
            pieces = brain.PLAIN_ANSWER
        else:
            name, arguments = decision
            # The gateway does not know the customer: orders need its own sign-in.
            context = make_context(body["message"], customer=None)
            result = tools.run_tool(name, arguments, context)
            products = result.get("products") or []
            if products:
                events.append(event("products", {"products": products}))
                intent = "product_search"
            pieces = brain.answer_from_tool(json.dumps(result))
        events += [event("delta", {"text": p}) for p in pieces]
        events.append(event("done", {"text": "".join(pieces), "intent": intent, "handoff": False}))
        return Reply.sse(events)


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    with FakeUpstream({protocol.CHAT_PATH: fake.chat}) as upstream:
        settings.CHATBOT_NODE_URL = upstream.url
        settings.CHATBOT_SSO_SECRET = SECRET
        yield fake, upstream


class TestGatewayAssistantContract(RemoteAssistantContract):
    secrets = (SECRET,)
    chat_path = protocol.CHAT_PATH

    def delta_event(self, text):
        return event("delta", {"text": text})

    @pytest.fixture
    def upstream(self, gateway):
        return gateway[1]

    @pytest.fixture
    def make_assistant(self, gateway):
        return lambda **options: get_assistant("gateway", retry=RetryPolicy(base_delay=0), **options)

    @pytest.fixture
    def serve(self, gateway):
        return lambda *replies: gateway[0].failures.extend(replies)

    @pytest.fixture
    def assistant(self, gateway):
        return get_assistant("gateway", retry=RetryPolicy(base_delay=0))

    @pytest.fixture
    def failing_assistant(self, gateway):
        fake, _ = gateway
        fake.failures = [Reply(status=503, body=b"upstream down")] * 3
        return get_assistant("gateway", retry=RetryPolicy(base_delay=0))


def test_request_is_signed_and_carries_the_context(gateway):
    _, upstream = gateway
    events = run(get_assistant("gateway"), "How much is the Trailhead tent?")
    [call] = upstream.calls(protocol.CHAT_PATH)
    body = call.json
    assert body["shop"]["id"] == "demo" and body["signed_in"] is True and body["language"] == "en"
    assert body["chat_user_id"] == "chat-1" and "customer_ref" not in json.dumps(body)
    assert call.headers["x-chatbot-shop"] == "demo" and len(body["request_id"]) == 32
    assert any(isinstance(e, ProductCards) for e in events)
    assert final_of(events).intent == "product_search"


def test_wrong_secret_is_refused_without_an_automatic_retry_and_the_shopper_may_retry(gateway, settings):
    _, upstream = gateway
    settings.CHATBOT_SSO_SECRET = "wrong"
    with pytest.raises(Exception) as info:
        run(get_assistant("gateway", retry=RetryPolicy(base_delay=0)), "Hi")
    # One request (a 401 is not retried by itself), then the fallback with a retry button.
    assert info.value.retryable is True and "wrong" not in str(info.value)
    assert len(upstream.calls(protocol.CHAT_PATH)) == 1


@pytest.mark.parametrize(
    ("status", "code", "attempts"),
    [(401, "replayed", 1), (429, "rate_limited", 3), (500, "internal_error", 3), (503, "busy", 3)],
)
def test_a_refusing_gateway_ends_in_a_retryable_failure(gateway, status, code, attempts):
    fake, upstream = gateway
    refusal = Reply.json({"error": {"code": code, "message": "no"}}, status)
    fake.failures = [refusal] * 3
    with pytest.raises(Exception) as info:
        run(get_assistant("gateway", retry=RetryPolicy(base_delay=0)), "Hi")
    # The pipeline turns this into the fallback text with a retry button.
    assert info.value.retryable is True and info.value.code == f"gateway_{code}"
    assert len(upstream.calls(protocol.CHAT_PATH)) == attempts
