"""The launcher on every page, opening the panel, the keyboard, and what a page costs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import composer, computed, launcher, open_chat, panel, rgb, wait_for_answer

pytestmark = pytest.mark.browser

WIDGET_PATHS = ["/s/demo/", "/s/demo/p/NW-TNT-2P-GRN/", "/accounts/login/"]


def focused_in_widget(pg: Page) -> str:
    """What has focus inside the widget's shadow root ('' when focus is elsewhere)."""
    return pg.evaluate(
        """() => {
            const api = window.__chatbotLoader;
            if (!api || document.activeElement !== api.host) return "";
            const el = api.root.activeElement;
            return el ? el.tagName.toLowerCase() + (el.className ? "." + el.className : "") : "";
        }"""
    )


@pytest.mark.parametrize("path", WIDGET_PATHS, ids=["home", "product", "sign-in"])
def test_launcher_is_a_red_round_button_bottom_right(page: Page, path: str, shot) -> None:
    page.goto(path)
    button = launcher(page)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-label", "Open chat")
    expect(button).to_have_attribute("aria-expanded", "false")
    assert rgb(computed(button, "background-color")) == (229, 57, 53)  # #E53935, the default
    box = button.bounding_box()
    assert box is not None
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    # 60 px round button, 24 px from the right and bottom edges.
    assert abs(box["width"] - 60) <= 1 and abs(box["height"] - 60) <= 1
    assert 0 <= vw - (box["x"] + box["width"]) <= 40, box
    assert 0 <= vh - (box["y"] + box["height"]) <= 40, box
    if path == "/s/demo/":
        shot(page, "launcher")


def test_click_opens_panel_with_shop_name_welcome_and_focus_in_composer(page: Page, shot) -> None:
    page.goto("/s/demo/")
    expect(panel(page)).to_have_count(0)  # the panel's code is not even loaded yet
    open_chat(page)
    dialog = panel(page)
    expect(dialog).to_have_attribute("role", "dialog")
    expect(dialog.locator("h2")).to_have_text("Northwind Outfitters")
    expect(dialog.locator(".list")).to_contain_text("Hi! I'm the Northwind Outfitters assistant")
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    expect(launcher(page)).to_have_attribute("aria-label", "Close chat")
    expect(composer(page)).to_be_focused()
    expect(composer(page)).to_have_attribute("placeholder", "Type a message…")
    shot(page, "open")
    # The × in the header closes it again.
    dialog.get_by_role("button", name="Close chat").click()
    expect(dialog).to_be_hidden()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


def test_keyboard_only_tab_enter_type_escape(page: Page, shot) -> None:
    page.goto("/s/demo/")
    expect(launcher(page)).to_be_visible()
    for _ in range(80):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if focused_in_widget(page) == "button.l":
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    expect(composer(page)).to_be_focused()
    page.keyboard.type("Do you sell headlamps?")
    page.keyboard.press("Enter")
    expect(composer(page)).to_have_value("")
    reply = wait_for_answer(page)
    expect(reply).to_contain_text(re.compile("headlamp", re.I))
    shot(page, "answered")
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert focused_in_widget(page) == "button.l"
    expect(launcher(page)).to_be_focused()
    # And Enter on the focused launcher opens it again, with the conversation kept.
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    expect(panel(page).locator(".list")).to_contain_text("Do you sell headlamps?")


def chat_requests(urls: list[str]) -> list[str]:
    return [u for u in urls if "/static/chatbot/" in u or "/api/chatbot/" in u]


def test_new_visitor_page_makes_one_chat_request_until_opened(page: Page) -> None:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto("/s/demo/", wait_until="load")
    expect(launcher(page)).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # idle callbacks would have run by now
    before = chat_requests(urls)
    assert [u.split("?")[0].rsplit("/", 1)[-1] for u in before] == ["loader.js"], before
    open_chat(page)
    expect(composer(page)).to_be_focused()
    # The event stream never ends, so wait for it to be requested rather than for "networkidle".
    for _ in range(100):
        if any("/api/chatbot/events" in u for u in urls):
            break
        page.wait_for_timeout(50)
    after = [u.split("?")[0] for u in chat_requests(urls)[1:]]
    names = [u.rsplit("/", 1)[-1] for u in after]
    # On open: panel.js, the token, the history and the event stream.
    assert names[:1] == ["panel.js"], after
    assert {"panel.js", "stream-chat-token", "history", "events"} <= set(names), after
    assert not any(n == "stream-transport.js" for n in names), after  # local engine only
