"""A returning visitor's page before the chat is opened (issue 12).

Idle conversation: the page fetches loader.js and nothing else of the chat (no panel.js,
token, history or event stream). Active conversation (staff answered in the last hour,
through the real admin): each tab loads the panel at idle time, the tabs share one event
stream, and a staff answer puts the unread badge on every tab.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .helpers import badge, open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

CHAT_PATHS = ("/static/chatbot/", "/api/chatbot/")


def chat_requests(ctx: BrowserContext) -> list[str]:
    seen: list[str] = []

    def note(request) -> None:
        path = urlparse(request.url).path
        if path.startswith(CHAT_PATHS):
            seen.append(path)

    ctx.on("request", note)
    return seen


def chat_user(pg: Page) -> str:
    return pg.evaluate("() => window.__chatbotLoader.panel.userId")


def staff_reply(admin: Page, chat_user_id: str, text: str) -> None:
    """Answers as staff through the real Django admin (the inbox's conversation page)."""
    if "/admin/login/" in admin.url or admin.url in ("", "about:blank"):
        admin.goto("/admin/login/?next=/admin/")
        admin.fill("input[name=username]", "admin")
        admin.fill("input[name=password]", "admin12345")
        admin.locator("input[type=submit]").click()
        admin.wait_for_url("**/admin/")
    admin.goto(f"/admin/chatbot/conversation/?q={chat_user_id}")
    admin.locator("#result_list tbody tr th a").first.click()
    admin.fill("#cb-reply", text)
    admin.get_by_role("button", name="Send to the shopper").click()
    expect(admin.locator(".messagelist")).to_contain_text("Reply sent.")


def test_an_idle_returning_visitor_makes_no_chat_request_before_opening(
    new_context: Callable[..., BrowserContext],
) -> None:
    ctx = new_context()
    page = ctx.new_page()
    page.goto("/s/demo/")
    open_chat(page)
    send(page, "Do you have a headlamp?")
    wait_for_answer(page)
    page.close()

    seen = chat_requests(ctx)
    again = ctx.new_page()
    again.goto("/s/demo/products/")
    again.wait_for_load_state("load")
    again.wait_for_timeout(6_500)  # past the loader's idle-time preload (timeout 5 s)
    assert seen == [seen[0]] and "/static/chatbot/loader" in seen[0], seen
    assert again.locator("#chatbot-loader").get_attribute("data-active") is None
    # Opening still brings the conversation back.
    open_chat(again)
    expect(again.locator("chatbot-widget .m[data-role=shopper]")).to_contain_text(["Do you have a headlamp?"])


def test_three_tabs_of_an_active_conversation_share_one_stream_and_each_gets_the_badge(
    new_context: Callable[..., BrowserContext],
) -> None:
    shopper = new_context()
    first = shopper.new_page()
    first.goto("/s/demo/")
    open_chat(first)
    send(first, "Can a person help me with sizes?")
    wait_for_answer(first)
    user = chat_user(first)

    admin = new_context().new_page()
    staff_reply(admin, user, "Hi, this is Sam from the shop.")
    expect(first.locator("chatbot-widget .m[data-role=staff]")).to_contain_text(["Sam from the shop"])
    first.close()

    streams: list[str] = []
    shopper.on(
        "request",
        lambda r: streams.append(r.url) if urlparse(r.url).path == "/api/chatbot/events" else None,
    )
    tabs = [shopper.new_page() for _ in range(3)]
    for tab, path in zip(tabs, ("/s/demo/", "/s/demo/products/", "/s/demo/"), strict=True):
        tab.goto(path)
        assert tab.locator("#chatbot-loader").get_attribute("data-active") == "1"
    for tab in tabs:
        # The panel comes at idle time without a click, and connects.
        tab.wait_for_function(
            "() => { const a = window.__chatbotLoader; return !!(a && a.panel && a.panel.loaded); }",
            timeout=15_000,
        )
        expect(panel(tab)).to_be_hidden()
        expect(badge(tab)).to_be_hidden()
    tabs[0].wait_for_timeout(1_500)
    assert len(streams) == 1, streams

    staff_reply(admin, user, "Our boots run small: take one size up.")
    for tab in tabs:
        expect(badge(tab)).to_have_text("1", timeout=15_000)
        assert "1 unread message" in (
            tab.locator("chatbot-widget button.l").get_attribute("aria-label") or ""
        )
    assert len(streams) == 1, streams
