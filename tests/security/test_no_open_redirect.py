"""Rule (DESIGN's CSRF/redirect hygiene): no redirect leaves the site. The storefront's
sign-in ``next=`` and sign-out, with every trick that has fooled a redirect check, either
stay on this host or fall back to the shop's home; the chat's routes never redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    "/%2F%2Fevil.example",
    " https://evil.example",
    "https://evil.example%00.testserver/",
    "data:text/html,<script>alert(1)</script>",
]


def stays_here(location: str) -> bool:
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http", "https")
        and parts.netloc in ("", "testserver")
        and not location.startswith(("//", "/\\"))
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_sends_the_customer_off_site(demo, target):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "demo@example.com", "password": "demo12345", "next": target}
    )
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_sign_in_page_never_links_off_site(demo, target):
    response = Client().get("/accounts/login/", {"next": target})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert stays_here(response.context.get("next") or "/"), response.context.get("next")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_out_never_sends_the_shopper_off_site(demo, target):
    client = Client()
    client.post("/accounts/login/", {"username": "demo@example.com", "password": "demo12345"})
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


def test_a_good_next_is_followed(demo):
    response = Client().post(
        "/accounts/login/",
        {"username": "demo@example.com", "password": "demo12345", "next": "/s/demo/orders/"},
    )
    assert response["Location"] == "/s/demo/orders/"


@pytest.mark.parametrize(
    "path", ["/api/chatbot/history", "/api/chatbot/stream-chat-token", "/api/chatbot/stop/"]
)
def test_the_chat_routes_never_redirect(demo, path):
    response = Client().get(path + "?next=https://evil.example/")
    assert response.status_code not in (301, 302, 303, 307, 308)


@pytest.mark.parametrize(
    "path", ["//evil.example", "//evil.example/s/demo", "/\\evil.example", "/s/demo/products"]
)
def test_the_trailing_slash_redirect_stays_on_site(demo, path):
    response = Client().get(path)
    if response.status_code in (301, 302, 308):
        assert stays_here(response["Location"]), response["Location"]
