"""Rule: routes that change state have CSRF protection — for every visitor, signed in or
not (DRF alone checks it only for signed-in users).

Written with the feature (named below) plus every state-changing chat route, for a guest
and a signed-in customer, through the real storefront: no token, a wrong token, or a token
without its cookie is a 403 ``csrf_failed`` and changes nothing; the page's token works."""

from __future__ import annotations

import pytest
from django.test import Client

from chatbot.models import Message
from tests.storefront.test_chat_identity import sign_in

from .references import missing

REFERENCES = [
    "tests.api.test_token_route::test_csrf_is_enforced_for_guests",
    "tests.api.test_message_route::test_csrf_is_enforced_on_messages",
]
ROUTES = {
    "/api/chatbot/stream-chat-token": {"shop": "demo"},
    "/api/chatbot/stream-message": {"shop": "demo", "text": "hi", "clientMessageId": "c-1"},
    "/api/chatbot/stop": {"shop": "demo", "messageId": 1},
    "/api/chatbot/contact-email": {"shop": "demo", "email": "shopper@example.com"},
    "/api/chatbot/rating": {"shop": "demo", "score": 5},
}
# Routes that change state but are called by servers, not browsers: each proves itself by
# an HMAC signature instead (docs/stream.md, docs/gateway.md).
SIGNED = {"/api/chatbot/webhooks/stream", "/api/chatbot/gateway-tools"}
READ_ONLY = {"/api/chatbot/history", "/api/chatbot/events", "/api/chatbot/schema"}


def test_every_chat_route_is_either_csrf_checked_signed_or_read_only():
    # A new route must be put in one of the three, so it cannot slip past this rule.
    from chatbot import urls

    routes = {"/" + str(p.pattern) for p in urls.urlpatterns if p.name != "not-found"}
    assert routes == set(ROUTES) | SIGNED | READ_ONLY


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []


def visitor(signed_in: bool) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/s/demo/")
    if signed_in:
        sign_in(client, "demo@example.com", "demo12345")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "customer"])
@pytest.mark.parametrize("url", sorted(ROUTES))
def test_state_changing_routes_need_the_csrf_token(demo, signed_in, url):
    client = visitor(signed_in)
    token = client.cookies["csrftoken"].value
    attempts = {
        "no token": ({}, {}),
        "wrong token": ({}, {"HTTP_X_CSRFTOKEN": "x" * 32}),
        # A JSON body is not a form: a token in it does not count.
        "token in the JSON body": ({"csrfmiddlewaretoken": token}, {}),
    }
    for name, (extra, headers) in attempts.items():
        response = client.post(url, {**ROUTES[url], **extra}, content_type="application/json", **headers)
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "csrf_failed", name
    stranger = Client(enforce_csrf_checks=True)  # the token, without the cookie it belongs to
    response = stranger.post(url, ROUTES[url], content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403
    assert not Message.objects.exists()
    allowed = client.post(url, ROUTES[url], content_type="application/json", HTTP_X_CSRFTOKEN=token)
    # 404: the stop of a reply that is not theirs; 409: a rating before any answer
    assert allowed.status_code in (200, 202, 404, 409)
