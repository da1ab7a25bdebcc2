"""The hand-off round trip as the shopper and the shop's staff live it: real Chromium, the
real storefront and the real Django admin (signed in through its login form).

The shopper asks for a person → staff see it waiting in the inbox (and one email went to
the shop's staff address) → staff answer from the conversation page → the shopper sees it
live → the shopper writes again and the open staff page shows it without a reload → staff
hand back → the widget says the assistant is back, its footer returns to normal, it asks
at once for a rating (one click; staff read it under Ratings), and the assistant answers
the next question.

Screenshots of the inbox for docs/img/ only with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.live import ROOT, LiveSite

from .helpers import ARTIFACTS, open_chat, panel, send, wait_for_answer
from .test_signed_in import sign_in

pytestmark = pytest.mark.browser

UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
SHOTS = ROOT / "docs" / "img" if UPDATE else ARTIFACTS / "screenshots"


def away_now() -> str:
    """Business hours that do not include this moment: one hour, three days from today."""
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(dt.datetime.now(dt.UTC).weekday() + 3) % 7]
    return f"{day} 09:00-10:00"


STAFF_SETTINGS = (
    "from chatbot.shop_settings import add_missing_settings; add_missing_settings(); "
    "from chatbot.models import ShopChatSettings, CannedReply; "
    "ShopChatSettings.objects.filter(shop_id='demo').update("
    "staff_email='team@northwind.test', expected_wait_minutes=5, business_hours=''); "
    "CannedReply.objects.create(shop_id='demo', title='Returns', "
    "text='You can return anything within 30 days, free of charge.'); "
    "ShopChatSettings.objects.filter(shop_id='demo-zh').update("
    f"staff_email='', business_hours='{away_now()}', timezone='Asia/Shanghai')"
)


@pytest.fixture(scope="module")
def mail_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="chatbot-mail-") as path:
        yield Path(path)


@pytest.fixture(scope="module")
def base_url(mail_dir: Path) -> Iterator[str]:
    """A site of its own: staff emails go to files (EMAIL_URL=filemail://) we can read."""
    env = {
        "CHATBOT_ASSISTANT": "local",
        "REDIS_URL": "",
        "DEBUG": "false",
        "EMAIL_URL": f"filemail://{mail_dir}",
        "CHATBOT_PUBLIC_URL": "http://shop.example",
        "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "10000",
        "CHATBOT_ADDRESS_RATE_LIMIT": "10000",
    }
    with LiveSite(env=env) as live:
        live.env["STATIC_ROOT"] = str(Path(live.tmp.name) / "static")
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        live.manage("collectstatic", "--noinput")
        live.manage("shell", "-c", STAFF_SETTINGS)
        yield live.start()


def mails(mail_dir: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in sorted(mail_dir.glob("*.log"))]


def sign_in_to_admin(page: Page) -> None:
    page.goto("/admin/login/?next=/admin/chatbot/conversation/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin12345")
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/chatbot/conversation/$"))


def save(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / name), animations="disabled", caret="hide", full_page=False)


def footer(page: Page):
    return page.locator("chatbot-widget section.p p.f")


def test_hand_off_round_trip_through_the_inbox(new_context, mail_dir: Path) -> None:
    shopper = new_context().new_page()
    staff = new_context(viewport={"width": 1440, "height": 1180}).new_page()

    # A signed-in customer (staff then see their recent orders) asks for a person.
    sign_in(shopper, "demo@example.com", "demo12345", "/s/demo/")
    open_chat(shopper)
    send(shopper, "Do you have a tent under $300?")
    wait_for_answer(shopper)
    send(shopper, "I want to talk to a person")
    notice = panel(shopper).locator(".m[data-role=system]").last
    expect(notice).to_contain_text("A person from our team will reply here, usually within 5 minutes.")
    expect(footer(shopper)).to_have_text("A person from our team will reply here")

    # Staff sign in through admin's form and see it waiting, first in the list.
    sign_in_to_admin(staff)
    expect(staff.locator("#content h1")).to_have_text("Conversations — 1 waiting for staff")
    row = staff.locator("#result_list tbody tr").first
    expect(row.locator(".cb-state")).to_have_text("Waiting for staff")
    expect(row.locator("th a")).not_to_have_text(re.compile("^Guest"))
    expect(row).to_contain_text("passing this conversation to a member of the Northwind Outfitters team")
    expect(row.locator(".cb-unread")).to_have_text("2")
    # The shop's staff were emailed once, with a link into the inbox.
    sent = mails(mail_dir)
    assert len(sent) == 1, sent
    assert "A shopper is waiting for a person" in sent[0] and "team@northwind.test" in sent[0]
    assert "http://shop.example/admin/chatbot/conversation/" in sent[0]
    save(staff, "inbox.png")

    # Staff open it: the transcript oldest first, the reply box below it, canned replies.
    row.locator("th a").click()
    transcript = staff.locator("#cb-transcript li")
    expect(transcript.first).to_contain_text("Do you have a tent under $300?")
    expect(transcript.last).to_contain_text("usually within 5 minutes")
    # The customer, through the shop adapter, with their recent orders in this shop.
    expect(staff.locator(".cb-side")).to_contain_text("demo@example.com")
    expect(staff.locator(".cb-orders tbody tr").first).to_be_visible()
    box, listing = staff.locator("#cb-reply").bounding_box(), staff.locator("#cb-transcript").bounding_box()
    assert box and listing and box["y"] > listing["y"] + listing["height"] - 1
    staff.select_option("#cb-canned", label="Returns")
    expect(staff.locator("#cb-reply")).to_have_value(
        "You can return anything within 30 days, free of charge."
    )
    staff.fill("#cb-reply", "Hi, this is Anna from Northwind. How can I help?")
    staff.get_by_role("button", name="Send to the shopper").click()
    expect(staff.locator("#cb-state")).to_have_text("With staff")

    # The shopper sees it live, labelled as staff.
    staff_message = panel(shopper).locator(".m[data-role=staff]").last
    expect(staff_message).to_contain_text("Hi, this is Anna from Northwind.")
    # The shopper answers; the open staff page shows it without a reload.
    send(shopper, "My order has not arrived")
    expect(staff.locator("#cb-transcript li.cb-shopper").last).to_contain_text("My order has not arrived")
    staff.fill("#cb-reply", "Could you tell me the order number?")
    staff.get_by_role("button", name="Save as internal note").click()
    expect(staff.locator("#cb-notes")).to_contain_text("Could you tell me the order number?")
    save(staff, "inbox-conversation.png")
    assert len(mails(mail_dir)) == 1  # once per hand-off, not per message
    staff.fill("#cb-reply", "Found it: your order ships today.")
    staff.get_by_role("button", name="Send to the shopper").click()
    expect(panel(shopper).locator(".m[data-role=staff]").last).to_contain_text("ships today")

    # Staff hand back: the widget says so and its footer returns to normal.
    staff.get_by_role("button", name="Hand back to the assistant").click()
    expect(staff.locator("#cb-state")).to_have_text("Assistant")
    back = panel(shopper).locator(".m[data-role=system]").last
    expect(back).to_contain_text("The assistant is back. Ask me anything.")
    expect(footer(shopper)).to_have_text("AI assistant · a person can take over")
    # That talk with staff ended on an answer: the open widget asks for a rating right away.
    rating = panel(shopper).locator(".rate")
    expect(rating).to_be_visible()
    expect(rating).to_contain_text("How did we do?")
    rating.locator('button.face[aria-label="4 of 5"]').click()
    expect(rating).to_contain_text("Thanks for rating!")
    # The internal note never reached the shopper.
    expect(panel(shopper)).not_to_contain_text("Could you tell me the order number?")

    # And the assistant answers the next question.
    before = panel(shopper).locator('.m[data-role=assistant]:not([data-id="welcome"])').count()
    send(shopper, "Do you have a sleeping bag?")
    reply = wait_for_answer(shopper, count=before + 1)
    expect(reply.locator(".bub")).to_contain_text("sleeping bag", ignore_case=True)
    expect(rating).to_be_hidden()  # the shopper wrote again
    assert len(mails(mail_dir)) == 1
    # Staff read the rating in admin.
    staff.goto("/admin/chatbot/conversationrating/")
    expect(staff.locator("#result_list tbody tr")).to_have_count(1)
    expect(staff.locator("#result_list td.field-score")).to_have_text("4")


def test_outside_hours_the_shopper_leaves_an_email_and_gets_the_answer_there(
    new_context, mail_dir: Path
) -> None:
    """In the Chinese shop, outside its hours: the notice and the form speak Chinese, the
    address is stored, and the staff answer reaches both the widget and that address."""
    shopper = new_context(locale="zh-CN").new_page()
    staff = new_context().new_page()
    before = len(mails(mail_dir))

    shopper.goto("/s/demo-zh/")
    open_chat(shopper)
    send(shopper, "转人工")
    notice = panel(shopper).locator(".m[data-role=system]").last
    expect(notice).to_contain_text("客服人员当前不在线")
    expect(footer(shopper)).to_have_text("人工客服将在此回复您")
    form = notice.locator("form.away")
    form.locator("input").fill("不是邮箱")
    form.get_by_role("button", name="提交").click()
    expect(form.locator(".st")).to_have_text("请输入有效的邮箱地址。")
    form.locator("input").fill("li@example.com")
    form.get_by_role("button", name="提交").click()
    expect(notice.locator(".note")).to_have_text("谢谢！我们会把答复发送到 li@example.com。")

    sign_in_to_admin(staff)
    staff.goto("/admin/chatbot/conversation/?shop=demo-zh&state__exact=waiting")
    staff.locator("#result_list tbody tr th a").first.click()
    expect(staff.locator("#cb-contact")).to_have_text("li@example.com")
    staff.fill("#cb-reply", "您好，您的订单明天发货。")
    staff.get_by_role("button", name="Send to the shopper").click()

    expect(panel(shopper).locator(".m[data-role=staff]").last).to_contain_text("您好，您的订单明天发货。")
    sent = mails(mail_dir)[before:]
    assert len(sent) == 1, sent  # no staff address set for this shop: only the shopper's
    newest = sorted(mail_dir.glob("*.log"))[-1]
    parsed = email.message_from_bytes(newest.read_bytes())
    assert parsed["To"] == "li@example.com"
    body = parsed.get_payload(decode=True).decode("utf-8")
    assert "您好，您的订单明天发货。" in body and "禾木茶居" in body
