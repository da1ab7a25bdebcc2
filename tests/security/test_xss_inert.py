"""Rule: every text from a shopper, a product, an assistant or a staff member is rendered as
text, not HTML — in the widget and in admin.

Chromium, under the production CSP, with the XSS corpus (conftest.XSS_CORPUS) in product
names, descriptions and categories, in the shopper's messages, and — for admin — in every
role's messages, a product card, the display name, the welcome text and business hours,
read by a real staff member signed in through the admin's login form. (The first catalog
and shopper case, without CSP, is tests/browser/test_xss.py.) Nothing may run: no
``window.__xss``, no dialog, no element with an ``on*`` attribute, and the corpus shows as
the characters it is.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import open_chat, panel, send, shopper_messages, wait_for_answer
from tests.browser.test_xss import DANGER

from .conftest import XSS_CORPUS

pytestmark = pytest.mark.browser


def watch(page: Page) -> list[str]:
    """Everything that would mean script ran: dialogs (alert/confirm) and page errors."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    return seen


def assert_inert(page: Page, seen: list[str]) -> None:
    page.wait_for_timeout(300)  # give an image error or a toggle handler time to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate(DANGER) == []
    assert seen == []


def test_the_corpus_is_inert_in_the_widget(page: Page, shot) -> None:
    seen = watch(page)
    page.goto("/s/xss/products/")
    expect(page.get_by_text(f"{XSS_CORPUS[0]} Mug 0").first).to_be_visible()
    open_chat(page)
    for count, text in enumerate(XSS_CORPUS[:4], start=1):
        send(page, text)
        expect(shopper_messages(page).last.locator(".bub")).to_have_text(text)
        wait_for_answer(page, count=count)
    send(page, "mug")
    wait_for_answer(page, count=5)
    expect(panel(page).locator(".card").first).to_be_visible()
    shot(page, "widget")
    assert_inert(page, seen)
    page.reload()
    open_chat(page)
    expect(shopper_messages(page).first.locator(".bub")).to_have_text(XSS_CORPUS[0])
    assert_inert(page, seen)


def test_the_corpus_is_inert_in_admin(page: Page, site, shot) -> None:
    seen = watch(page)
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin12345")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("admin")

    page.goto("/admin/chatbot/conversation/")
    expect(page.get_by_text(XSS_CORPUS[2]).first).to_be_visible()
    assert_inert(page, seen)

    page.goto(f"/admin/chatbot/conversation/{site.xss_conversation}/change/")
    for text in XSS_CORPUS:
        expect(page.get_by_text(text, exact=True).first).to_be_attached()
    shot(page, "admin-conversation")
    assert_inert(page, seen)

    page.goto("/admin/chatbot/shopchatsettings/")
    page.get_by_role("link", name="demo", exact=True).click()
    expect(page.locator("#id_welcome_message")).to_have_value(f"{XSS_CORPUS[0]} Welcome")
    assert_inert(page, seen)

    # A staff reply and an internal note carrying markup, from the inbox's reply box,
    # reach the transcript and the notes as text too.
    page.goto(f"/admin/chatbot/conversation/{site.xss_conversation}/change/")
    page.fill("#cb-reply", XSS_CORPUS[5])
    page.get_by_role("button", name="Send to the shopper").click()
    expect(page.get_by_text(XSS_CORPUS[5], exact=True).first).to_be_attached()
    page.fill("#cb-reply", XSS_CORPUS[3])
    page.get_by_role("button", name="Save as internal note").click()
    expect(page.get_by_text(XSS_CORPUS[3], exact=True).first).to_be_attached()
    assert_inert(page, seen)

    page.goto("/admin/storefront/product/?q=XSS")
    expect(page.get_by_text(f"{XSS_CORPUS[1]} Mug 1").first).to_be_visible()
    assert_inert(page, seen)
