"""Who is chatting, in Chromium, the way shoppers do it: the storefront's login form and
its "Sign out" button, the real adapter, the real widget. No fake adapter, no test header.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .helpers import (
    assistant_messages,
    badge,
    launcher,
    open_chat,
    panel,
    send,
    shopper_messages,
    wait_for_answer,
)

pytestmark = pytest.mark.browser

SHOPS = {
    # shop, greeting, order question, latest order, asking about an order, another
    # customer's order number, an unknown one
    "en": ("demo", "hello", "where is my order?", "NW-10047", "status of order {}?", "NW-10043", "NW-99999"),
    "zh": ("demo-zh", "你好", "我的订单到哪了？", "ZH-20019", "订单{}到哪了？", "ZH-20016", "ZH-99999"),
}


def sign_in(pg: Page, email: str, password: str, back_to: str) -> None:
    pg.goto(f"/accounts/login/?next={back_to}")
    pg.fill("input[name=username]", email)
    pg.fill("input[name=password]", password)
    pg.locator("form.stacked button[type=submit]").click()
    pg.wait_for_url(re.compile(re.escape(back_to) + "$"))


def sign_out(pg: Page) -> None:
    pg.locator("form[action$='/accounts/logout/'] button").click()
    pg.wait_for_load_state()


def chat_user(pg: Page) -> str:
    return pg.evaluate("() => window.__chatbotLoader.panel.userId || ''")


def answer_to(pg: Page, text: str) -> str:
    count = assistant_messages(pg).count()
    send(pg, text)
    return wait_for_answer(pg, count + 1).locator(".bub").inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_signed_in_customer_is_named_and_gets_their_own_latest_order(page: Page, shot, lang: str) -> None:
    shop, hello, question, latest, about, theirs, unknown = SHOPS[lang]
    sign_in(page, "demo@example.com", "demo12345", f"/s/{shop}/")
    open_chat(page)
    assert chat_user(page).startswith("c")
    assert "Alex" in answer_to(page, hello)
    answer = answer_to(page, question)
    assert latest in answer, answer
    shot(page, f"{lang}-order")
    other = answer_to(page, about.format(theirs))
    nobody = answer_to(page, about.format(unknown))
    assert theirs in other and unknown in nobody  # read as order numbers, not declined
    assert other.replace(theirs, "#") == nobody.replace(unknown, "#"), (other, nobody)
    assert not re.search(r"shipped|已发货|SF\d|ZT\d", other), other  # nothing of Sam's order
    shot(page, f"{lang}-other-customers-order")


def test_a_guests_chat_joins_the_account_and_the_open_widget_follows_without_a_reload(
    new_context, shot
) -> None:
    ctx: BrowserContext = new_context()
    shop_tab = ctx.new_page()
    shop_tab.goto("/s/demo/")
    open_chat(shop_tab)
    guest = chat_user(shop_tab)
    assert guest.startswith("g")
    answer_to(shop_tab, "Do you have a headlamp?")
    # The shopper signs in in another tab; the chat tab is not reloaded.
    login_tab = ctx.new_page()
    sign_in(login_tab, "demo@example.com", "demo12345", "/s/demo/")
    shop_tab.bring_to_front()
    shop_tab.wait_for_function("(g) => window.__chatbotLoader.panel.userId !== g", arg=guest, timeout=15_000)
    assert chat_user(shop_tab).startswith("c")
    expect(shopper_messages(shop_tab).filter(has_text="Do you have a headlamp?")).to_have_count(1)
    assert "NW-10047" in answer_to(shop_tab, "where is my order?")
    shot(shop_tab, "after-sign-in-elsewhere")
    # The login tab's widget shows the same conversation.
    open_chat(login_tab)
    expect(shopper_messages(login_tab).filter(has_text="Do you have a headlamp?")).to_have_count(1)


def test_sign_out_leaves_an_empty_guest_chat_and_the_next_customer_sees_only_theirs(page: Page, shot) -> None:
    sign_in(page, "demo@example.com", "demo12345", "/s/demo/")
    open_chat(page)
    alex = chat_user(page)
    answer_to(page, "my card ends 4242, where is my order?")
    sign_out(page)
    page.goto("/s/demo/")
    open_chat(page)
    assert chat_user(page).startswith("g") and chat_user(page) != alex
    expect(shopper_messages(page)).to_have_count(0)
    expect(panel(page).locator(".list")).not_to_contain_text("4242")
    shot(page, "signed-out-guest")
    sign_in(page, "other@example.com", "other12345", "/s/demo/")
    open_chat(page)
    sam = chat_user(page)
    assert sam.startswith("c") and sam != alex
    expect(panel(page).locator(".list")).not_to_contain_text("4242")
    assert "Sam" in answer_to(page, "hello")
    shot(page, "other-customer")


def test_sign_out_in_another_tab_clears_the_open_chat(new_context) -> None:
    ctx: BrowserContext = new_context()
    chat_tab = ctx.new_page()
    sign_in(chat_tab, "demo@example.com", "demo12345", "/s/demo/")
    open_chat(chat_tab)
    alex = chat_user(chat_tab)
    answer_to(chat_tab, "where is my order?")
    other_tab = ctx.new_page()
    other_tab.goto("/s/demo/")
    sign_out(other_tab)
    chat_tab.bring_to_front()
    chat_tab.wait_for_function("(a) => window.__chatbotLoader.panel.userId !== a", arg=alex, timeout=15_000)
    expect(shopper_messages(chat_tab)).to_have_count(0)
    expect(panel(chat_tab).locator(".list")).not_to_contain_text("NW-10047")


def test_many_tabs_share_one_stream_and_each_gets_the_unread_badge(new_context) -> None:
    ctx: BrowserContext = new_context()
    streams: list[str] = []
    ctx.on("request", lambda r: streams.append(r.url) if "/api/chatbot/events" in r.url else None)
    tabs = [ctx.new_page() for _ in range(6)]
    for tab in tabs:
        tab.goto("/s/demo/")
        open_chat(tab)
    for tab in tabs[1:]:
        launcher(tab).click()  # closed again: a reply there counts as unread
        expect(panel(tab)).to_be_hidden()
    writer = tabs[0]
    writer.bring_to_front()
    answer_to(writer, "Do you have a tent?")
    for tab in tabs[1:]:
        expect(badge(tab)).to_be_visible(timeout=15_000)
    assert len(streams) < len(tabs), streams  # shared, not one per tab
