"""Shadow-DOM locators and small actions shared by the browser tests.

Playwright's CSS engine pierces open shadow roots, so ``chatbot-widget button.l`` finds the
launcher inside ``<chatbot-widget>``'s shadow root.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.support.live import ROOT

# Screenshots taken at key points and on failure (git-ignored; CI keeps them as artefacts).
ARTIFACTS = ROOT / "artifacts" / "browser"


def launcher(pg: Page) -> Locator:
    return pg.locator("chatbot-widget button.l")


def panel(pg: Page) -> Locator:
    return pg.locator("chatbot-widget section.p")


def composer(pg: Page) -> Locator:
    return pg.locator("chatbot-widget section.p textarea")


def badge(pg: Page) -> Locator:
    return pg.locator("chatbot-widget button.l span.b")


def assistant_messages(pg: Page) -> Locator:
    """Assistant messages from the server (the built-in welcome has data-id="welcome")."""
    return pg.locator('chatbot-widget .list .m[data-role=assistant]:not([data-id="welcome"])')


def shopper_messages(pg: Page) -> Locator:
    return pg.locator("chatbot-widget .list .m[data-role=shopper]")


def open_chat(pg: Page, *, wait_connected: bool = True) -> None:
    """Clicks the launcher and waits for the panel (and, by default, its connection).

    Waiting for the connection keeps the tests' timing simple; a message typed before it
    is covered by test_first_message.py.
    """
    launcher(pg).click()
    expect(panel(pg)).to_be_visible()
    if wait_connected:
        wait_connected_panel(pg)


def wait_connected_panel(pg: Page) -> None:
    """Waits until the panel has its token, event stream and history (``Panel.loaded``)."""
    pg.wait_for_function(
        "() => { const api = window.__chatbotLoader; return !!(api && api.panel && api.panel.loaded); }"
    )


def send(pg: Page, text: str) -> None:
    composer(pg).fill(text)
    composer(pg).press("Enter")


def wait_for_answer(pg: Page, count: int = 1, timeout: float = 15_000) -> Locator:
    """Waits until the ``count``-th assistant reply is final (no thinking dots, no caret)."""
    reply = assistant_messages(pg).nth(count - 1)
    expect(reply.locator(".bub")).to_be_visible(timeout=timeout)
    expect(reply.locator(".bub.caret, .dots")).to_have_count(0, timeout=timeout)
    expect(pg.locator("chatbot-widget .stopw")).to_be_hidden(timeout=timeout)
    return reply


def computed(loc: Locator, prop: str) -> str:
    return loc.evaluate("(el, prop) => getComputedStyle(el).getPropertyValue(prop)", prop)


def rgb(value: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", value)[:3])


def luminance(value: str) -> float:
    r, g, b = rgb(value)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
