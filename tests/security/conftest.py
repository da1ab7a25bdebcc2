"""Fixtures for the security rules' tests (one file per rule of docs' "Security rules").

The browser rules (XSS, CSP) run Chromium against their own live site, which differs from
tests/browser's in one way: the production Content-Security-Policy is on
(``CSP_ENABLED=true``), so every page, the widget and the admin are exercised under it.
The other browser fixtures are tests/browser's own.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.conftest import (  # noqa: F401 - fixtures, used by name
    base_url,
    new_context,
    page,
    pytest_runtest_makereport,
    shot,
)
from tests.support.live import LiveSite

# The XSS corpus: every way markup has reached a page in other chat widgets. Each sets
# window.__xss (or shows a dialog) if it ever runs.
XSS_CORPUS = [
    '<img src=x onerror="window.__xss=11">',
    "<script>window.__xss=12</script>",
    '<svg onload="window.__xss=13"></svg>',
    '"><img src=x onerror=window.__xss=14>',
    "'><script>window.__xss=15</script>",
    '<a href="javascript:window.__xss=16">click</a>',
    '<iframe srcdoc="&lt;script&gt;parent.__xss=17&lt;/script&gt;"></iframe>',
    '<details open ontoggle="window.__xss=18">',
    "</textarea><script>window.__xss=19</script>",
    "{{constructor.constructor('window.__xss=20')()}}",
    "[x](javascript:window.__xss=21) **bold** <b>b</b>",
]


@pytest.fixture
def demo(db):
    """The demo shops, customers (demo@ / other@example.com) and the admin, as `make demo`."""
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


# Markup everywhere a staff member reads: the shopper's, the assistant's and staff's words,
# a product in a reply, and the shop's welcome text and business hours.
_SEED = """
from chatbot.models import Conversation, Message, ShopChatSettings
corpus = {corpus!r}
ShopChatSettings.objects.update_or_create(shop_id="demo", defaults={{
    "welcome_message": corpus[0] + " Welcome", "business_hours": corpus[1]}})
conv = Conversation.objects.create(shop_id="demo", chat_user_id="g-xss", display_name=corpus[2])
for i, text in enumerate(corpus):
    role = ("shopper", "assistant", "staff")[i % 3]
    Message.objects.create(conversation=conv, role=role, text=text, status="done",
        intent=text[:20], products=[{{"sku": "X", "name": text, "price": "1"}}])
print(conv.pk)
"""


@pytest.fixture(scope="session")
def site() -> Iterator[LiveSite]:
    limits = {"CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "10000", "CHATBOT_ADDRESS_RATE_LIMIT": "10000"}
    env = {"CHATBOT_ASSISTANT": "local", "REDIS_URL": "", "DEBUG": "false", "CSP_ENABLED": "true", **limits}
    with LiveSite(env=env) as live:
        live.env["STATIC_ROOT"] = str(Path(live.tmp.name) / "static")
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        live.manage("collectstatic", "--noinput")
        products = Path(live.tmp.name) / "xss.csv"
        with products.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["sku", "name", "description", "price", "stock", "category"])
            for i, text in enumerate(XSS_CORPUS):
                writer.writerow([f"XSS-{i}", f"{text} Mug {i}", f"{text} mug", "5", "3", text[:40]])
        live.manage(
            "import_catalog", "--shop", "xss", "--name", "XSS <b>Shop</b>", "--no-progress", str(products)
        )
        live.xss_conversation = int(live.manage("shell", "-c", _SEED.format(corpus=XSS_CORPUS)).split()[-1])  # type: ignore[attr-defined]
        live.start()
        yield live
