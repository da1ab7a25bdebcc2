"""The Chinese demo shop: Chinese widget texts and a Chinese answer priced in yuan."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import composer, launcher, open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_chinese_shop_speaks_chinese_and_prices_in_yuan(page: Page, shot) -> None:
    page.goto("/s/demo-zh/")
    expect(launcher(page)).to_have_attribute("aria-label", "打开在线客服")
    open_chat(page)
    expect(launcher(page)).to_have_attribute("aria-label", "关闭在线客服")
    expect(panel(page)).to_have_attribute("lang", "zh-Hans")
    expect(panel(page).locator("h2")).to_have_text("禾木茶居")
    expect(panel(page).locator(".list")).to_contain_text("您好！我是禾木茶居的智能客服")
    expect(composer(page)).to_have_attribute("placeholder", "输入消息…")
    expect(composer(page)).to_have_attribute("aria-label", "您的消息")
    expect(panel(page).get_by_role("button", name="发送")).to_be_visible()
    expect(panel(page).locator("p.f")).to_have_text("AI 智能客服 · 可转人工")

    send(page, "有绿茶吗")
    reply = wait_for_answer(page)
    text = reply.locator(".bub").inner_text()
    assert len(HAN.findall(text)) >= 4, text
    cards = reply.locator(".card")
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        price = cards.nth(i).locator(".cm b").inner_text()
        assert re.fullmatch(r"¥\d[\d,]*\.\d\d", price), price
        href = cards.nth(i).evaluate("a => a.href")
        assert "/s/demo-zh/p/" in href, href
    # Stock labels are Chinese too.
    expect(cards.first.locator(".cm")).to_contain_text(re.compile("现货|仅剩|暂时缺货"))
    shot(page, "answered")
