"""The README's screenshots. Written to docs/screenshots/ only with UPDATE_SCREENSHOTS=1
(``UPDATE_SCREENSHOTS=1 pytest -m browser tests/browser/test_screenshots.py``); otherwise
to artifacts/browser/screenshots/ so CI shows what they would look like today."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.live import ROOT

from .helpers import ARTIFACTS, launcher, open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
OUT = ROOT / "docs" / "screenshots" if UPDATE else ARTIFACTS / "screenshots"
MAX_BYTES = 300 * 1024


def save(page: Page, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    # Let the caret/dots animations and lazy images settle; hide the text cursor.
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    assert path.stat().st_size <= MAX_BYTES, f"{name} is {path.stat().st_size} bytes"
    return path


def answered(page: Page, path: str, question: str) -> None:
    page.goto(path)
    open_chat(page)
    send(page, question)
    reply = wait_for_answer(page)
    expect(reply.locator(".card").first).to_be_visible()
    page.evaluate("document.activeElement && document.activeElement.blur()")


def test_readme_screenshots(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    page.goto("/s/demo/")
    expect(launcher(page)).to_be_visible()
    expect(page.locator("main h1")).to_be_visible()
    save(page, "shop-home.png")

    answered(page, "/s/demo/", "Do you have a tent under $300?")
    save(page, "chat-open.png")

    dark = new_context(color_scheme="dark").new_page()
    answered(dark, "/s/demo-zh/", "有绿茶吗")
    save(dark, "chat-dark-zh.png")

    phone = new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    ).new_page()
    phone.goto("/s/demo/")
    phone.locator("chatbot-widget button.l").tap()
    expect(panel(phone)).to_be_visible()
    phone.wait_for_function("() => window.__chatbotLoader.panel && window.__chatbotLoader.panel.loaded")
    send(phone, "I need a rain jacket")
    wait_for_answer(phone)
    phone.evaluate("document.activeElement && document.activeElement.blur()")
    save(phone, "chat-phone.png")


def test_screenshots_signed_in_and_on_phones_in_both_shops(
    new_context: Callable[..., BrowserContext],
) -> None:
    from .test_signed_in import sign_in

    phone_opts = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

    home = new_context(**phone_opts, device_scale_factor=2).new_page()
    home.goto("/s/demo-zh/")
    expect(launcher(home)).to_be_visible()
    save(home, "shop-home-phone-zh.png")

    page = new_context().new_page()
    sign_in(page, "demo@example.com", "demo12345", "/s/demo/")
    open_chat(page)
    send(page, "where is my order?")
    wait_for_answer(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    save(page, "chat-signed-in.png")

    phone = new_context(**phone_opts, device_scale_factor=2, color_scheme="dark").new_page()
    sign_in(phone, "demo@example.com", "demo12345", "/s/demo-zh/")
    phone.locator("chatbot-widget button.l").tap()
    expect(panel(phone)).to_be_visible()
    phone.wait_for_function("() => window.__chatbotLoader.panel && window.__chatbotLoader.panel.loaded")
    send(phone, "有绿茶吗")
    reply = wait_for_answer(phone)
    expect(reply.locator(".card").first).to_be_visible()
    phone.evaluate("document.activeElement && document.activeElement.blur()")
    save(phone, "chat-phone-zh-signed-in.png")
