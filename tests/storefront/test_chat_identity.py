"""Who is chatting, through the real storefront: its pages, its login form, its adapter
(``storefront.chat_adapter.StorefrontAdapter``) and Django's session. No fake adapter and
no test header: a customer is whoever signed in with the form.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from chatbot.models import Conversation, Message

pytestmark = pytest.mark.django_db

TOKEN = "/api/chatbot/stream-chat-token"
MESSAGE = "/api/chatbot/stream-message"


def browser() -> Client:
    """A browser that opens a shop page first, as a shopper does (CSRF enforced)."""
    client = Client(enforce_csrf_checks=True)
    assert client.get("/s/demo/").status_code == 200
    return client


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def post(client: Client, url: str, body: dict, shop: str = "demo"):
    return client.post(url, {"shop": shop, **body}, content_type="application/json", **csrf(client))


def sign_in(client: Client, email: str, password: str) -> None:
    """The storefront's login form, with the CSRF token the form carries."""
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/",
        {"username": email, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 302, response.content[:500]


def sign_out(client: Client) -> None:
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302


def ask(client: Client, text: str, cid: str, shop: str = "demo") -> str:
    sent = post(client, MESSAGE, {"text": text, "clientMessageId": cid}, shop)
    assert sent.status_code in (200, 202), sent.content
    reply = Message.objects.get(pk=sent.json()["reply"]["id"])
    return reply.text


def history(client: Client, shop: str = "demo") -> list[str]:
    response = client.get(f"/api/chatbot/history?shop={shop}")
    assert response.status_code == 200
    return [m["text"] for m in response.json()["messages"]]


def test_a_new_visitor_gets_a_guest_in_an_httponly_session_cookie_with_the_page(demo):
    client = Client()
    page = client.get("/s/demo/")
    session_cookie = page.cookies["sessionid"]
    assert session_cookie["httponly"]
    assert "chatbot_guest" not in page.cookies
    # Nothing a page script can read names the guest: the page holds neither id nor token.
    html = page.content.decode()
    token = post(client, TOKEN, {}) if "csrftoken" in client.cookies else None
    assert token is not None and token.status_code == 200
    assert token.json()["userId"] not in html


def test_signed_in_with_the_form_the_chat_names_the_customer_and_answers_their_order(demo):
    client = browser()
    sign_in(client, "demo@example.com", "demo12345")
    token = post(client, TOKEN, {})
    assert token.status_code == 200
    body = token.json()
    assert body["userRole"] == "customer"
    assert body["userName"] == "Alex Morgan"
    assert token["X-Chatbot-User"] == body["userId"]
    answer = ask(client, "where is my order?", "o1")
    assert "NW-10047" in answer, answer  # the latest of Alex's orders
    assert "sign in" not in answer.lower()


def test_another_customers_order_number_gets_the_unknown_answer(demo):
    client = browser()
    sign_in(client, "demo@example.com", "demo12345")
    theirs = ask(client, "status of NW-10043?", "o1")  # Sam's order
    unknown = ask(client, "status of NW-99999?", "o2")
    assert "NW-10043" not in theirs or "couldn't find" in theirs.lower() or "not find" in theirs.lower()
    assert theirs.replace("NW-10043", "#") == unknown.replace("NW-99999", "#")
    assert "shipped" not in theirs.lower()


def test_the_chinese_shop_answers_the_customers_order_in_chinese(demo):
    client = Client(enforce_csrf_checks=True)
    client.get("/s/demo-zh/")
    sign_in(client, "demo@example.com", "demo12345")
    body = post(client, TOKEN, {}, "demo-zh").json()
    assert body["userRole"] == "customer" and body["shop"]["language"].startswith("zh")
    answer = ask(client, "我的订单到哪了？", "z1", "demo-zh")
    assert "ZH-20019" in answer, answer


def test_a_guest_conversation_joins_the_account_at_sign_in(demo):
    client = browser()
    guest_id = post(client, TOKEN, {}).json()["userId"]
    ask(client, "do you have a headlamp?", "g1")
    sign_in(client, "demo@example.com", "demo12345")
    after = post(client, TOKEN, {})
    assert after.json()["userRole"] == "customer" and after.json()["userId"] != guest_id
    assert "do you have a headlamp?" in history(client)
    assert not Conversation.objects.filter(chat_user_id=guest_id).exists()
    # The same customer on a second device sees the conversation too.
    phone = browser()
    sign_in(phone, "demo@example.com", "demo12345")
    assert "do you have a headlamp?" in history(phone)


def test_a_guest_conversation_merges_into_an_existing_customer_conversation(demo):
    laptop = browser()
    sign_in(laptop, "demo@example.com", "demo12345")
    ask(laptop, "hello from the account", "c1")
    phone = browser()
    ask(phone, "hello as a guest", "c1")  # the same client id, in another conversation
    sign_in(phone, "demo@example.com", "demo12345")
    texts = history(phone)
    assert "hello from the account" in texts and "hello as a guest" in texts
    assert Conversation.objects.filter(shop_id="demo").count() == 1
    assert history(laptop) == texts


def test_sign_out_makes_a_new_guest_who_sees_nothing_and_the_next_customer_sees_only_theirs(demo):
    client = browser()
    sign_in(client, "demo@example.com", "demo12345")
    alex = post(client, TOKEN, {}).json()["userId"]
    ask(client, "my card ends 4242", "a1")
    sign_out(client)
    after = client.get("/api/chatbot/history?shop=demo")
    assert after.json()["messages"] == []
    assert after.get("X-Chatbot-User") != alex
    assert client.get("/api/chatbot/events?shop=demo").status_code == 404  # no stream of Alex's
    guest = post(client, TOKEN, {}).json()
    assert guest["userRole"] == "visitor" and guest["userId"] != alex
    assert history(client) == []
    sign_in(client, "other@example.com", "other12345")
    sam = post(client, TOKEN, {}).json()
    assert sam["userName"] == "Sam Rivera" and sam["userId"] != alex
    assert "my card ends 4242" not in json.dumps(client.get("/api/chatbot/history?shop=demo").json())


def test_every_answer_names_the_identity_and_the_current_csrf_token(demo):
    client = browser()
    before = post(client, TOKEN, {})
    sign_in(client, "demo@example.com", "demo12345")  # rotates the CSRF token
    stale = before["X-CSRFToken"]
    refused = client.post(
        TOKEN, {"shop": "demo"}, content_type="application/json", HTTP_X_CSRFTOKEN=stale + "x"
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    fresh = client.get("/api/chatbot/history?shop=demo")
    assert fresh["X-Chatbot-User"] != before["X-Chatbot-User"]
    ok = client.post(
        TOKEN, {"shop": "demo"}, content_type="application/json", HTTP_X_CSRFTOKEN=fresh["X-CSRFToken"]
    )
    assert ok.status_code == 200 and ok.json()["userRole"] == "customer"


def test_a_request_with_the_cookie_sign_in_just_replaced_is_told_to_retry_and_keeps_cookies(demo):
    """The widget hears session.ended before the browser has the sign-in response's new
    cookie and asks again with the old one. Answering that with a new guest (or Django's
    cookie deletion) would land after the new cookie and sign the customer out."""
    client = browser()
    post(client, TOKEN, {})
    old_session = client.cookies["sessionid"].value
    old_csrf = client.cookies["csrftoken"].value
    sign_in(client, "demo@example.com", "demo12345")
    late = Client(enforce_csrf_checks=True)  # the same browser, a request already under way
    late.cookies["sessionid"] = old_session
    late.cookies["csrftoken"] = old_csrf
    response = late.post(TOKEN, {"shop": "demo"}, content_type="application/json", HTTP_X_CSRFTOKEN=old_csrf)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_changed"
    assert response["Retry-After"] == "1"
    assert "sessionid" not in response.cookies  # neither deleted nor replaced
    assert late.get("/api/chatbot/events?shop=demo").status_code == 409
    # The browser, with the sign-in's cookie, is the customer.
    assert post(client, TOKEN, {}).json()["userRole"] == "customer"
