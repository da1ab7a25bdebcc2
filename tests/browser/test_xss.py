"""Markup from the catalog and from the shopper renders as text, never as HTML.

The session's site imports shop ``xss`` whose only product is named
``<img src=x onerror="window.__xss=1">Mug`` with ``<script>window.__xss=2</script>`` in its
description (see conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import open_chat, panel, send, shopper_messages, wait_for_answer

pytestmark = pytest.mark.browser

SHOPPER_XSS = '<img src=x onerror="window.__xss=3">'

# Every <img>/<script>/on* attribute in the page and the widget's shadow root.
DANGER = """() => {
    const roots = [document];
    if (window.__chatbotLoader) roots.push(window.__chatbotLoader.root);
    const found = [];
    for (const root of roots) {
        for (const el of root.querySelectorAll('*')) {
            for (const attr of el.getAttributeNames()) {
                if (attr.startsWith('on')) found.push(el.tagName + '[' + attr + ']');
            }
            const tag = el.tagName;
            if (tag === 'SCRIPT' && /__xss/.test(el.textContent)) found.push('script:' + el.textContent);
            if (tag === 'IMG' && /(^|\\/)x$/.test(el.getAttribute('src') || '')) found.push('img src=x');
        }
    }
    return found;
}"""


def test_catalog_and_shopper_markup_stays_inert(page: Page, shot) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/s/xss/")
    expect(page.get_by_text('<img src=x onerror="window.__xss=1">Mug').first).to_be_visible()
    open_chat(page)
    send(page, "mug")
    reply = wait_for_answer(page)
    card = reply.locator(".card").first
    expect(card).to_be_visible()
    expect(card.locator(".cn")).to_have_text('<img src=x onerror="window.__xss=1">Mug')

    send(page, SHOPPER_XSS)
    expect(shopper_messages(page).last.locator(".bub")).to_have_text(SHOPPER_XSS)
    wait_for_answer(page, count=2)
    expect(panel(page).get_by_text("<img src=x").first).to_be_visible()
    shot(page, "chat")

    page.wait_for_timeout(300)  # give any injected handler (an image error) time to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(DANGER) == []
    assert page.evaluate("window.__chatbotLoader.root.querySelectorAll('img[onerror]').length") == 0

    # After a reload the history renders the same texts, still inert.
    page.reload()
    open_chat(page)
    expect(shopper_messages(page).last.locator(".bub")).to_have_text(SHOPPER_XSS)
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(DANGER) == []

    # The product page renders the name and description as text too.
    card_href = page.locator("chatbot-widget .card").first.evaluate("a => a.href")
    page.goto(card_href)
    expect(page.locator("main h1")).to_have_text('<img src=x onerror="window.__xss=1">Mug')
    expect(page.get_by_text("<script>window.__xss=2</script>").first).to_be_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(DANGER) == []
    assert errors == []
