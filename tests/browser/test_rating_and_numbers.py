"""The shop's people's side of Step 12, as they use it: a shopper chats on the real
storefront and rates with one click (the rating is stored), and the shop owner signs in
through the admin's login form and reads the Numbers page (screenshot: docs/img/numbers.png
with UPDATE_SCREENSHOTS=1, else artifacts/browser/)."""

from __future__ import annotations

import json
import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.live import ROOT

from .helpers import ARTIFACTS, launcher, open_chat, panel, send, wait_for_answer

pytestmark = pytest.mark.browser

UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
RATINGS = (
    "import json; from chatbot.models import ConversationRating as R; "
    "print(json.dumps([[r.conversation.shop_id, r.conversation.chat_user_id, r.score, r.comment] "
    "for r in R.objects.select_related('conversation').filter(conversation__chat_user_id__startswith='g')"
    ".exclude(conversation__chat_user_id__startswith='gseed')]))"
)


def stored_ratings(site) -> list[list]:
    return json.loads(site.manage("shell", "-c", RATINGS).strip().splitlines()[-1])


def test_a_shopper_rates_the_chat_with_one_click(page: Page, site, shot) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    send(page, "Do you have a tent under $300?")
    wait_for_answer(page)
    rating = page.locator("chatbot-widget .rate")
    expect(rating).to_be_hidden()  # still chatting: nothing asked yet
    page.locator("chatbot-widget button.x").click()  # the shopper is done and closes the chat
    expect(panel(page)).to_be_hidden()
    launcher(page).click()
    expect(rating).to_be_visible()
    expect(rating).to_contain_text("How did we do?")
    shot(page, "asked")
    rating.locator('button.face[aria-label="5 of 5"]').click()  # the one click
    expect(rating).to_contain_text("Thanks for rating!")
    shot(page, "rated")
    rating.locator("input").fill("Found my tent <b>fast</b>")
    rating.locator("input").press("Enter")
    expect(rating).to_contain_text("Thanks for your feedback!")
    user = page.evaluate("window.__chatbotLoader.panel.userId")
    assert stored_ratings(site) == [["demo", user, 5, "Found my tent <b>fast</b>"]]


def test_the_owner_reads_the_numbers_page(page: Page, site) -> None:
    # The live site is shared by the browser tests: other tests' chats in this shop would
    # change the figures, so the shop's numbers start from the seeded two weeks alone.
    site.manage(
        "shell",
        "-c",
        "from chatbot.models import Conversation as C; C.objects.filter(shop_id='demo-zh').delete(); "
        "from tests.browser.seed_numbers import seed; seed('demo-zh')",
    )
    site.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g; "
        "g().objects.filter(username='owner').exists() or "
        "g().objects.create_superuser('owner', 'owner@example.com', 'pw-owner-1')",
    )
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto("/admin/chatbot/shopnumbers/?shop=demo-zh&days=14")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw-owner-1")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Numbers")
    figures = page.locator("#cb-figures")
    # The seeded two weeks (seed_numbers.py): 55 chats, every 4th handed off (13).
    expect(figures.locator('[data-figure="conversations"] .v')).to_have_text("55")
    expect(figures.locator('[data-figure="handoff-rate"] .v')).to_have_text("23.6%")
    expect(figures.locator('[data-figure="csat"] .v')).to_have_text(re.compile(r"^\d\.\d\d/5$"))
    expect(figures.locator('[data-figure="unanswered"] .v')).not_to_have_text("0")
    expect(page.locator("svg.chatbot-chart rect.conv")).to_have_count(14 + 1)  # bars + legend
    expect(page.locator("#cb-unanswered")).to_contain_text("Do you sell kayaks?")
    out = ROOT / "docs" / "img" if UPDATE else ARTIFACTS
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "numbers.png"), full_page=True, animations="disabled", caret="hide")
