"""POST /gateway/v1/chat as a shop calls it: signatures, replays, CORS, limits, usage."""

import json
import time

import pytest
from django.test import Client

from chatbot.gateway import protocol
from chatbot.models import GatewayShop

from .conftest import OTHER_SECRET, SHOP_ORIGIN, TOOL_SECRET, chat_body, post_chat, signed, sse_events

pytestmark = [pytest.mark.urls("tests.gateway.urls"), pytest.mark.django_db(transaction=True)]


def refused(response, content, code):
    import json

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(content)["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_signed_request_streams_the_reply_of_the_shops_assistant(shops):
    body = chat_body("Hello there")
    response, content = post_chat(body, signed(body))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = sse_events(content)
    names = [name for name, _ in events]
    assert names[0] == "thinking" and "delta" in names and names[-1] == "done"
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == events[-1][1]["text"]
    assert text == "Hello! I can help with our products, your orders and our policies."
    assert GatewayShop.objects.get(shop_id="shop-a").replies == 1


def test_unsigned_requests_get_401_json(shops):
    body = chat_body()
    response, content = post_chat(body, {})
    refused(response, content, "missing_signature")
    # A signature without its timestamp is as good as none.
    headers = signed(body)
    del headers[protocol.TIMESTAMP_HEADER]
    refused(*post_chat(body, headers), "missing_signature")


def test_a_bad_signature_gets_401(shops):
    body = chat_body()
    headers = signed(body, secret="not-the-shops-secret")
    refused(*post_chat(body, headers), "invalid_signature")
    # The right secret over other bytes: the body was changed on the way.
    headers = signed(body)
    refused(*post_chat(body.replace(b"Hello", b"Jello"), headers), "invalid_signature")


def test_an_expired_request_gets_401(shops):
    body = chat_body()
    refused(*post_chat(body, signed(body, now=time.time() - 310)), "expired")
    refused(*post_chat(body, signed(body, now=time.time() + 310)), "expired")


def test_a_replayed_request_gets_401(shops):
    body = chat_body()
    headers = signed(body)
    first, _ = post_chat(body, headers)
    assert first.status_code == 200
    refused(*post_chat(body, headers), "replayed")


def test_one_shops_secret_does_not_sign_for_another_shop(shops):
    body = chat_body(shop="shop-a")
    refused(*post_chat(body, signed(body, shop="shop-a", secret=OTHER_SECRET)), "invalid_signature")
    # Nor does an unknown or switched-off shop get in (answered like a bad signature).
    refused(*post_chat(body, signed(body, shop="nobody", secret=OTHER_SECRET)), "invalid_signature")
    GatewayShop.objects.filter(shop_id="shop-b").update(active=False)
    other = chat_body(shop="shop-b")
    refused(*post_chat(other, signed(other, shop="shop-b", secret=OTHER_SECRET)), "invalid_signature")


def test_the_body_must_name_the_signed_shop(shops):
    body = chat_body(shop="shop-a")
    response, content = post_chat(body, signed(body, shop="shop-b", secret=OTHER_SECRET))
    assert response.status_code == 400 and b"invalid_request" in content


def test_tool_callbacks_go_only_to_the_shops_own_origins(shops):
    body = chat_body(tools={"url": "https://shop-b.example/api/chatbot/gateway-tools", "token": "t"})
    response, content = post_chat(body, signed(body))
    assert response.status_code == 400 and b"invalid_tool_url" in content


def test_requests_beyond_the_shops_rate_limit_get_429(shops):
    GatewayShop.objects.filter(shop_id="shop-a").update(rate_limit=1)
    first = chat_body()
    assert post_chat(first, signed(first))[0].status_code == 200
    second = chat_body()
    response, content = post_chat(second, signed(second))
    assert response.status_code == 429 and b"rate_limited" in content and int(response["Retry-After"]) > 0
    # The other shop's quota is its own.
    other = chat_body(shop="shop-b")
    assert post_chat(other, signed(other, shop="shop-b", secret=OTHER_SECRET))[0].status_code == 200


def test_a_failing_model_ends_in_an_error_event_and_counts_an_error(shops, model):
    from tests.assistants_contract.upstream import Reply

    fake, _ = model
    fake.failures = [Reply(status=503, body=b"down")] * 3
    body = chat_body()
    response, content = post_chat(body, signed(body))
    assert response.status_code == 200  # the stream had started: the failure is its last event
    events = sse_events(content)
    assert events[-1][0] == "error" and events[-1][1]["retryable"] is True
    assert "down" not in content.decode()
    assert GatewayShop.objects.get(shop_id="shop-a").errors == 1


def test_preflight_is_answered_only_for_configured_origins(shops):
    client = Client()
    ok = client.options(protocol.CHAT_PATH, headers={"Origin": SHOP_ORIGIN})
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert protocol.SIGNATURE_HEADER in ok["Access-Control-Allow-Headers"]
    evil = client.options(protocol.CHAT_PATH, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    assert evil.json()["error"]["code"] == "origin_not_allowed"


def test_a_post_from_an_origin_the_shop_does_not_list_is_refused(shops):
    body = chat_body()
    response, content = post_chat(body, {**signed(body), "Origin": "https://shop-b.example"})
    assert response.status_code == 403 and b"origin_not_allowed" in content
    body = chat_body()
    response, _ = post_chat(body, {**signed(body), "Origin": SHOP_ORIGIN})
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_gateway_health_routes_answer(shops):
    assert Client().get("/health").json() == {"status": "ok"}
    assert Client().get("/health/ready").status_code == 200


def test_a_coze_shop_keeps_its_coze_conversation_through_the_state_and_counts_tokens(shops):
    from chatbot.gateway import secrets
    from tests.assistants_contract.fake_coze import BOT_ID, start_fake_coze

    upstream, bot = start_fake_coze()
    try:
        bot.personal_token = "pat_shop_c_123"
        GatewayShop.objects.create(
            shop_id="shop-c",
            secret=secrets.seal("shop-c-secret"),
            assistant="coze",
            coze_api_base=upstream.url,
            coze_bot_id=BOT_ID,
            coze_api_token=secrets.seal("pat_shop_c_123"),
        )
        first = chat_body("Hello", shop="shop-c")
        events = sse_events(post_chat(first, signed(first, shop="shop-c", secret="shop-c-secret"))[1])
        assert events[-1][0] == "done", events
        state = events[-1][1]["state"]
        conversation = state["coze_conversation_id"]
        assert events[-1][1]["usage"] == {"total_tokens": 633}
        # The shop sends the state back with its next message: the same Coze conversation.
        second = chat_body("Hello again", shop="shop-c", state=state)
        events = sse_events(post_chat(second, signed(second, shop="shop-c", secret="shop-c-secret"))[1])
        assert events[-1][0] == "done"
        assert len(upstream.calls("/v1/conversation/create")) == 1
        assert [call.query["conversation_id"] for call in upstream.calls("/v3/chat")] == [conversation] * 2
        usage = GatewayShop.objects.get(shop_id="shop-c")
        assert (usage.replies, usage.errors, usage.tokens) == (2, 0, 1266)
    finally:
        upstream.stop()


@pytest.mark.parametrize("shop_answers", ["slowly", "with a refusal"])
def test_a_shop_that_does_not_answer_a_tool_call_leaves_the_model_an_error_to_read(
    shops, settings, shop_answers
):
    import json

    from tests.assistants_contract.upstream import FakeUpstream, Reply

    settings.CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS = 0.3
    seen = []

    def tools(request):
        seen.append(request)
        if shop_answers == "slowly":
            return Reply.sse(
                ['{"result": {}}'], chunk_delay=2.0, headers={"Content-Type": "application/json"}
            )
        return Reply.json({"error": {"code": "invalid_signature", "message": "no"}}, status=401)

    with FakeUpstream({protocol.TOOLS_PATH: tools}) as shop_site:
        GatewayShop.objects.filter(shop_id="shop-a").update(allowed_origins=shop_site.url)
        body = chat_body(
            "Do you sell a tent?", tools={"url": shop_site.url + protocol.TOOLS_PATH, "token": "tok"}
        )
        _, content = post_chat(body, signed(body))
    events = sse_events(content)
    assert events[-1][0] == "done" and "tool_unavailable" in events[-1][1]["text"]
    # The callback was signed with the shop's tool secret and carried the shop's token.
    [call] = seen
    assert json.loads(call.body)["token"] == "tok" and json.loads(call.body)["name"] == "search_products"
    expected = protocol.signature(TOOL_SECRET, call.headers["x-chatbot-timestamp"], call.body)
    assert call.headers["x-chatbot-signature"] == expected and call.headers["x-chatbot-shop"] == "shop-a"


def test_configuration_problems_are_503_or_401_and_no_secret_reaches_the_log(shops, caplog, settings):
    import json

    from chatbot.gateway import secrets

    settings.OPENAI_MODEL = ""
    GatewayShop.objects.filter(shop_id="shop-a").update(
        openai_model="", openai_api_key=secrets.seal("sk-live-9x")
    )
    body = chat_body()
    response, content = post_chat(body, signed(body))
    assert response.status_code == 503 and json.loads(content)["error"]["code"] == "shop_misconfigured"
    # A secret read from an environment variable that is not set: the shop cannot sign.
    GatewayShop.objects.filter(shop_id="shop-b").update(secret="env:GATEWAY_TEST_UNSET_VARIABLE")
    other = chat_body(shop="shop-b")
    refused(*post_chat(other, signed(other, shop="shop-b", secret=OTHER_SECRET)), "invalid_signature")
    assert "GATEWAY_TEST_UNSET_VARIABLE is not set" in caplog.text
    for secret in ("sk-live-9x", OTHER_SECRET, "shop-a-secret-5b1e0c", TOOL_SECRET):
        assert secret not in caplog.text


def test_a_signed_body_nested_too_deep_is_a_400_json_error_not_a_crash(shops):
    # The chat's one JSON guard covers the gateway's body too: json.loads alone raises
    # RecursionError on ~2 KB of brackets, which would be a 500 with a traceback.
    body = b"[" * 5000 + b"]" * 5000
    response, content = post_chat(body, signed(body))
    assert response.status_code == 400
    assert json.loads(content)["error"]["code"] == "invalid_json"
