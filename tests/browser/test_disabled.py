"""CHATBOT_ENABLED=false: no widget on the page and the chat routes answer 503."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.live import LiveSite, Shopper

from .helpers import launcher

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def disabled_base(site: LiveSite) -> str:
    """A second server on the same database with the chat switched off (stopped with
    the site)."""
    return site.start(extra_env={"CHATBOT_ENABLED": "false"})


@pytest.mark.parametrize("path", ["/s/demo/", "/s/demo/p/NW-TNT-2P-GRN/", "/accounts/login/"])
def test_no_loader_in_the_html(disabled_base: str, path: str) -> None:
    html = requests.get(disabled_base + path, timeout=10).text
    assert "Northwind Outfitters" in html or "Sign in" in html  # the page itself is there
    assert "chatbot-loader" not in html
    assert "/static/chatbot/" not in html


def test_no_launcher_and_the_token_route_answers_503(page: Page, disabled_base: str) -> None:
    chat_requests: list[str] = []
    page.on("request", lambda r: chat_requests.append(r.url) if "chatbot" in r.url else None)
    page.goto(disabled_base + "/s/demo/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("chatbot-widget")).to_have_count(0)
    expect(launcher(page)).to_have_count(0)
    assert page.evaluate("typeof window.__chatbotLoader") == "undefined"
    assert chat_requests == []

    response = Shopper(disabled_base, "demo").post("/api/chatbot/stream-chat-token", {})
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "chat_disabled"
