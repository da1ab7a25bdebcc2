"""Three real processes on loopback: a gateway and two shops, each with its own port and
secrets. Shoppers chat in each shop; the gateway's assistant (an OpenAI-compatible model,
faked on a local socket) asks for a product search, the gateway asks the shop it came
from, and the shopper gets a streamed reply built from their own shop's catalog."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.core import signing

from chatbot.gateway import protocol
from tests.assistants_contract.fake_openai import DONE, MODEL, FakeChatModel, chunk
from tests.assistants_contract.upstream import FakeUpstream, Recorded, Reply
from tests.support.live import LiveSite, Shopper, free_port, reading, wait_for

A_SECRET, A_TOOLS = "demo-sso-" + secrets.token_hex(8), "demo-tools-" + secrets.token_hex(8)
B_SECRET, B_TOOLS = "harbor-sso-" + secrets.token_hex(8), "harbor-tools-" + secrets.token_hex(8)

HARBOR_CSV = (
    "sku,name,description,price,stock,category\n"
    "HB-TENT-1,Harbor Dune Tent,A beach tent with UV-50 fabric and sand pockets.,79.00,5,Beach\n"
    "HB-MUG-1,Harbor Tide Mug,A stoneware mug.,14.00,20,Kitchen\n"
)

CONFIGURE = """
from chatbot.gateway.secrets import seal
from chatbot.models import GatewayShop
GatewayShop.objects.create(
    shop_id="demo", name="Northwind", secret=seal({a_secret!r}), tool_secret=seal({a_tools!r}),
    allowed_origins={a_origin!r}, openai_base_url={model!r}, openai_model={model_name!r})
GatewayShop.objects.create(
    shop_id="harbor", name="Harbor", secret=seal("env:HARBOR_SSO"), tool_secret=seal("env:HARBOR_TOOLS"),
    allowed_origins={b_origin!r}, openai_base_url={model!r}, openai_model={model_name!r})
"""


class Sites:
    def __init__(self) -> None:
        self.model = FakeChatModel()
        self.upstream = FakeUpstream({"/v1/chat/completions": self._completions}).start()
        self.a_port, self.b_port = free_port(), free_port()
        self.a_url, self.b_url = f"http://127.0.0.1:{self.a_port}", f"http://127.0.0.1:{self.b_port}"
        self.gateway = LiveSite(
            env={
                "CHATBOT_ROLE": "gateway",
                "CHATBOT_GATEWAY_KEY": secrets.token_hex(16),
                "HARBOR_SSO": B_SECRET,
                "HARBOR_TOOLS": B_TOOLS,
                "REDIS_URL": "",
            }
        )
        self.gateway.manage("migrate", "--noinput")
        script = CONFIGURE.format(
            a_secret=A_SECRET,
            a_tools=A_TOOLS,
            a_origin=self.a_url,
            b_origin=self.b_url,
            model=self.upstream.url + "/v1",
            model_name=MODEL,
        )
        self.gateway.manage("shell", "-c", script)
        self.gateway_url = self.gateway.start()
        self.shop_a = self._shop(self.a_port, A_SECRET, A_TOOLS)
        self.shop_a.manage("load_demo")
        self.shop_a.start(port=self.a_port)
        self.shop_b = self._shop(self.b_port, B_SECRET, B_TOOLS)
        csv = Path(self.shop_b.tmp.name) / "harbor.csv"
        csv.write_text(HARBOR_CSV)
        self.shop_b.manage("import_catalog", "--shop", "harbor", "--name", "Harbor Goods", str(csv))
        self.shop_b.start(port=self.b_port)

    def _completions(self, request: Recorded) -> Reply:
        # "slowly": a long answer, a piece every 100 ms, for the stop button.
        if "slowly" in request.json["messages"][-1]["content"]:
            pieces = [chunk({"content": f"word{n} "}) for n in range(100)]
            return Reply.sse([chunk({"role": "assistant", "content": ""}), *pieces, DONE], chunk_delay=0.1)
        return self.model.completions(request)

    def _shop(self, port: int, secret: str, tools: str) -> LiveSite:
        site = LiveSite(
            env={
                "CHATBOT_ASSISTANT": "gateway",
                "CHATBOT_NODE_URL": self.gateway_url,
                "CHATBOT_SSO_SECRET": secret,
                "CHATBOT_WEBHOOK_SECRET": tools,
                "CHATBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "REDIS_URL": "",
            }
        )
        site.manage("migrate", "--noinput")
        return site

    def close(self) -> None:
        for site in (self.shop_a, self.shop_b, self.gateway):
            site.close()
        self.upstream.stop()


@pytest.fixture(scope="module")
def sites():
    live = Sites()
    try:
        yield live
    finally:
        live.close()


def chat(base: str, shop: str, text: str) -> dict:
    """A shopper's whole exchange, as the widget does it: token, stream, message; the
    events the stream carried until the reply ended."""
    shopper = Shopper(base, shop)
    shopper.token()
    with reading(f"{base}/api/chatbot/events?shop={shop}", session=shopper.session) as stream:
        assert stream.ready.wait(10)
        sent = shopper.post(
            "/api/chatbot/stream-message", {"text": text, "clientMessageId": uuid.uuid4().hex}
        )
        assert sent.status_code == 202, sent.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ends = [e for e in stream.events if e.get("event") in ("reply.done", "reply.failed")]
            if ends:
                return {"events": list(stream.events), "end": ends[0]}
            time.sleep(0.05)
    raise AssertionError(f"no reply; events: {[e.get('event') for e in stream.events]}")


def test_each_shopper_gets_a_streamed_reply_from_their_own_shops_catalog(sites):
    northwind = chat(sites.a_url, "demo", "Do you sell a tent?")
    harbor = chat(sites.b_url, "harbor", "Do you sell a tent?")
    for got in (northwind, harbor):
        assert got["end"]["event"] == "reply.done", got["end"]
        kinds = [e["event"] for e in got["events"]]
        assert kinds.count("reply.delta") >= 2 and "reply.products" in kinds
        deltas = "".join(e["data"]["text"] for e in got["events"] if e["event"] == "reply.delta")
        assert deltas.strip() == got["end"]["data"]["message"]["text"].strip()
    a_message, b_message = (got["end"]["data"]["message"] for got in (northwind, harbor))
    assert "Ridgeline 2 Backpacking Tent" in a_message["text"] and "Harbor" not in a_message["text"]
    assert "Harbor Dune Tent" in b_message["text"] and "Ridgeline" not in b_message["text"]
    assert "Ridgeline 2 Backpacking Tent" in [card["name"] for card in a_message["products"]]
    assert [card["name"] for card in b_message["products"]] == ["Harbor Dune Tent"]
    # Each shop's tool call went through the gateway to that shop: the model saw each
    # shop's own results.
    tool_results = [
        m["content"] for body in sites.model.bodies for m in body["messages"] if m["role"] == "tool"
    ]
    assert any("Ridgeline" in r for r in tool_results) and any("Harbor Dune" in r for r in tool_results)


def post_gateway(sites, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        sites.gateway_url + protocol.CHAT_PATH,
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=20,
    )


def body_for(shop: str, *, tools_url: str | None = None, token: str = "") -> bytes:
    return json.dumps(
        {
            "request_id": secrets.token_hex(16),
            "shop": {"id": shop, "name": shop, "currency": "USD", "language": "en"},
            "conversation_id": "1",
            "message": "hello",
            "tools": {"url": tools_url, "token": token} if tools_url else None,
        }
    ).encode()


def assert_401(response: requests.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code


def test_wrong_missing_expired_and_replayed_signatures_get_401(sites):
    body = body_for("demo")
    assert_401(post_gateway(sites, body, {}), "missing_signature")
    assert_401(post_gateway(sites, body, protocol.signed_headers("demo", "guess", body)), "invalid_signature")
    stale = protocol.signed_headers("demo", A_SECRET, body, now=time.time() - 600)
    assert_401(post_gateway(sites, body, stale), "expired")
    headers = protocol.signed_headers("demo", A_SECRET, body)
    first = post_gateway(sites, body, headers)
    assert first.status_code == 200 and "event: done" in first.text
    assert_401(post_gateway(sites, body, headers), "replayed")


def test_one_shop_cannot_use_anothers_configuration_or_tool_results(sites):
    # Harbor's secret does not sign for Northwind's shop id.
    body = body_for("demo")
    assert_401(
        post_gateway(sites, body, protocol.signed_headers("demo", B_SECRET, body)), "invalid_signature"
    )
    # Harbor cannot have the gateway call Northwind's tool route.
    body = body_for("harbor", tools_url=sites.a_url + protocol.TOOLS_PATH, token="x")
    refused = post_gateway(sites, body, protocol.signed_headers("harbor", B_SECRET, body))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_tool_url"
    # Northwind's tool route refuses Harbor's tool secret...
    call = json.dumps({"request_id": "1", "token": "x", "name": "search_products", "arguments": {}}).encode()
    answer = requests.post(
        sites.a_url + protocol.TOOLS_PATH,
        data=call,
        headers={"Content-Type": "application/json", **protocol.signed_headers("harbor", B_TOOLS, call)},
        timeout=10,
    )
    assert answer.status_code == 401
    # ...and, even signed with Northwind's own tool secret (which the gateway holds), a
    # conversation token Harbor issued names nothing in Northwind.
    harbor_token = signing.dumps(
        {"s": "harbor", "c": "1"},
        key=sites.shop_b.env["SECRET_KEY"],
        salt="chatbot.gateway.tool-token",
        compress=True,
    )
    call = json.dumps(
        {"request_id": "2", "token": harbor_token, "name": "search_products", "arguments": {}}
    ).encode()
    answer = requests.post(
        sites.a_url + protocol.TOOLS_PATH,
        data=call,
        headers={"Content-Type": "application/json", **protocol.signed_headers("demo", A_TOOLS, call)},
        timeout=10,
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_token"


def test_gateway_health_routes_answer(sites):
    assert requests.get(sites.gateway_url + "/health", timeout=5).json() == {"status": "ok"}
    assert requests.get(sites.gateway_url + "/health/ready", timeout=5).status_code == 200
    # In the gateway role the shop's routes are off.
    assert requests.get(sites.gateway_url + "/api/chatbot/history?shop=demo", timeout=5).status_code == 404


def signed_in_chat(base: str, email: str, password: str, text: str) -> dict:
    """As test_identity_streams' browser: the storefront's real login form, then the chat."""
    shopper = Shopper(base, "demo")
    session = shopper.session
    assert session.get(f"{base}/s/demo/", timeout=10).status_code == 200
    shopper.csrf = session.cookies["csrftoken"]
    session.get(f"{base}/accounts/login/", timeout=10)
    login = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302, login.text[:300]
    shopper.csrf = session.cookies["csrftoken"]
    assert shopper.token()["userRole"] == "customer"
    with reading(f"{base}/api/chatbot/events?shop=demo", session=session) as stream:
        assert stream.ready.wait(10)
        sent = shopper.post(
            "/api/chatbot/stream-message", {"text": text, "clientMessageId": uuid.uuid4().hex}
        )
        assert sent.status_code == 202, sent.text
        return stream.wait_for("reply.done", timeout=30)["data"]["message"]


def test_order_questions_are_answered_from_the_signed_in_customers_own_orders(sites):
    mine = signed_in_chat(sites.a_url, "demo@example.com", "demo12345", "Where is my order?")
    theirs = signed_in_chat(sites.a_url, "other@example.com", "other12345", "Where is my order?")
    assert "NW-10047" in mine["text"] and "NW-10043" not in mine["text"] and "NW-10045" not in mine["text"]
    assert (
        "NW-10043" in theirs["text"] and "NW-10047" not in theirs["text"] and "NW-10031" not in theirs["text"]
    )
    guest = chat(sites.a_url, "demo", "Where is my order?")["end"]["data"]["message"]
    assert "sign_in_required" in guest["text"] and "NW-100" not in guest["text"]


def test_the_stop_button_stops_the_model_behind_the_gateway(sites):
    shopper = Shopper(sites.a_url, "demo")
    shopper.token()
    with reading(f"{sites.a_url}/api/chatbot/events?shop=demo", session=shopper.session) as stream:
        assert stream.ready.wait(10)
        sent = shopper.post(
            "/api/chatbot/stream-message", {"text": "Tell me slowly", "clientMessageId": "stop-1"}
        )
        assert sent.status_code == 202
        stream.wait_for("reply.delta", timeout=20)
        assert shopper.post("/api/chatbot/stop", {"messageId": sent.json()["reply"]["id"]}).status_code == 202
        done = stream.wait_for("reply.done", timeout=20)["data"]["message"]
    assert done["status"] == "stopped" and "word99" not in done["text"]
    # The shop hung up on the gateway, and the gateway on the model: it stops generating.
    wait_for(lambda: "/v1/chat/completions" in sites.upstream.hangups, timeout=15)


def test_when_the_gateway_is_down_the_shopper_sees_the_fallback_with_retry(sites):
    # Last in this module: it stops the gateway.
    proc, _ = sites.gateway.servers[0]
    proc.terminate()
    proc.wait(timeout=10)
    got = chat(sites.a_url, "demo", "Do you sell a tent?")
    assert got["end"]["event"] == "reply.failed"
    data = got["end"]["data"]
    assert data["retryable"] is True and data["code"].startswith("gateway_")
    assert data["message"]["status"] == "failed" and data["message"]["text"]
