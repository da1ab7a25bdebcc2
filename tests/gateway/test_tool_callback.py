"""The shop side of the tool callback: POST /api/chatbot/gateway-tools runs a tool for the
conversation the token names, as that conversation's shopper, and for nobody else."""

import json
import time

import pytest
from django.test import Client

from chatbot.gateway import protocol, tokens
from chatbot.models import Conversation
from tests.assistants_contract.fakes import DEMO_CUSTOMER, OTHER_ORDER_SECRETS

WEBHOOK_SECRET = "shop-tools-secret-44a1"

pytestmark = pytest.mark.urls("tests.gateway.urls")


@pytest.fixture(autouse=True)
def shop(settings, db):
    settings.CHATBOT_SHOP_ADAPTER = "tests.gateway.shops.ContractShopAdapter"
    settings.CHATBOT_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def conversations():
    customer = Conversation.objects.create(
        shop_id="demo", chat_user_id="c-demo", customer_ref=DEMO_CUSTOMER[0], display_name="Demo"
    )
    guest = Conversation.objects.create(shop_id="demo", chat_user_id="g-1")
    return customer, guest


def call(name, arguments, token, *, shop="demo", secret=WEBHOOK_SECRET, now=None, body=None):
    body = (
        body
        or json.dumps(
            {"request_id": str(time.monotonic_ns()), "token": token, "name": name, "arguments": arguments}
        ).encode()
    )
    headers = protocol.signed_headers(shop, secret, body, now=now)
    return Client().post(protocol.TOOLS_PATH, body, content_type="application/json", headers=headers)


def test_a_tool_runs_for_the_conversations_own_customer(conversations):
    customer, _ = conversations
    response = call("get_order_status", {}, tokens.issue("demo", str(customer.pk)))
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["order"]["number"] == "NW-1001"
    # Asking for another customer's order number: not found, exactly like a number that
    # does not exist; nothing of that order comes back.
    other = call("get_order_status", {"number": "NW-2002"}, tokens.issue("demo", str(customer.pk)))
    assert other.json()["result"]["error"] == "not_found"
    assert not any(secret in other.content.decode() for secret in OTHER_ORDER_SECRETS)


def test_a_guest_conversation_gets_no_orders_whatever_the_gateway_claims(conversations):
    _, guest = conversations
    body = json.dumps(
        {
            "request_id": "x1",
            "token": tokens.issue("demo", str(guest.pk)),
            "name": "get_order_status",
            "arguments": {},
            # Fields the protocol does not have are ignored, not trusted.
            "customer_ref": DEMO_CUSTOMER[0],
        }
    ).encode()
    response = call(None, None, None, body=body)
    assert response.json()["result"]["error"] == "sign_in_required"


def test_product_tools_answer_from_this_shops_catalog(conversations):
    _, guest = conversations
    response = call("search_products", {"text": "tent"}, tokens.issue("demo", str(guest.pk)))
    names = [p["name"] for p in response.json()["result"]["products"]]
    assert names == ["Trailhead 2-Person Tent"]


def test_a_token_for_another_shop_or_a_made_up_one_is_refused(conversations):
    customer, _ = conversations
    # A token the shop issued for another shop id: the callback is signed as "demo".
    assert call("get_order_status", {}, tokens.issue("other", str(customer.pk))).status_code == 403
    forged = call("get_order_status", {}, json.dumps({"s": "demo", "c": str(customer.pk)}))
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "invalid_token"
    assert call("get_order_status", {}, tokens.issue("demo", "999999")).status_code == 403


def test_unsigned_badly_signed_expired_and_replayed_callbacks_get_401(conversations):
    customer, _ = conversations
    token = tokens.issue("demo", str(customer.pk))
    body = json.dumps({"request_id": "r1", "token": token, "name": "get_order_status"}).encode()
    unsigned = Client().post(protocol.TOOLS_PATH, body, content_type="application/json")
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "missing_signature"
    # Another shop's (or the chat's) secret does not sign tool calls for this shop.
    bad = call("get_order_status", {}, token, secret="someone-elses-secret")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_signature"
    old = call("get_order_status", {}, token, now=time.time() - 600)
    assert old.status_code == 401 and old.json()["error"]["code"] == "expired"
    # A replay is the very same request, headers and all (re-signing needs the secret): sent
    # twice, it is answered once.
    headers = protocol.signed_headers("demo", WEBHOOK_SECRET, body)
    first = Client().post(protocol.TOOLS_PATH, body, content_type="application/json", headers=headers)
    assert first.status_code == 200
    again = Client().post(protocol.TOOLS_PATH, body, content_type="application/json", headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed"


def test_without_a_webhook_secret_the_route_refuses_everything(conversations, settings):
    customer, _ = conversations
    settings.CHATBOT_WEBHOOK_SECRET = ""
    response = call("get_order_status", {}, tokens.issue("demo", str(customer.pk)), secret="")
    assert response.status_code == 401
