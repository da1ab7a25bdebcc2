"""The admin's Numbers page and shopper data pages, as a shop owner reaches them: signed in
through the admin's login form, on the real admin."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chatbot.models import Conversation, ConversationRating, Message

from .known_chats import NOW, make_known_chats

pytestmark = pytest.mark.django_db

NUMBERS = "/admin/chatbot/shopnumbers/"


@pytest.fixture(autouse=True)
def memory_shops(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"


@pytest.fixture
def owner() -> Client:
    get_user_model().objects.create_superuser("owner", "owner@example.com", "pw-owner-1")
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": "owner", "password": "pw-owner-1", "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"
    return client


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><span class="v">([^<]*)</span>', html)
    assert match, f"no figure {name}"
    return match.group(1)


def test_the_numbers_page_shows_the_figures(owner, monkeypatch):
    make_known_chats()
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    index = owner.get("/admin/").content.decode()
    assert NUMBERS in index  # listed in the admin index
    response = owner.get(NUMBERS, {"shop": "acme", "days": 7})
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "conversations") == "4"
    assert figure(html, "answered") == "25.0%"
    assert figure(html, "handoff-rate") == "75.0%"
    assert figure(html, "first-response") == "7m 00s"
    assert figure(html, "csat") == "3.67/5"
    assert "66.7% satisfied, 3 ratings" in html
    assert figure(html, "unanswered") == "2"
    assert "<svg" in html and "2026-03-10: 3 / 2" in html  # the chart's bar of today
    # Shopper text is shown as text.
    assert "hello &lt;b&gt;there&lt;/b&gt;" in html and "hello <b>there</b>" not in html
    assert "Do you sell cars?" in html


def test_the_numbers_page_is_for_signed_in_staff_only(client):
    response = client.get(NUMBERS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_action_exports_and_deletes_selected_conversations(owner):
    chats = make_known_chats()
    page = owner.get("/admin/chatbot/conversation/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    exported = owner.post(
        "/admin/chatbot/conversation/",
        {"action": "export_shopper_data", "_selected_action": [chats["c"].pk], "csrfmiddlewaretoken": token},
    )
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith("attachment;")
    data = json.loads(exported.content)
    texts = [m["text"] for m in data["conversations"][0]["messages"]]
    assert texts == [
        m.text for m in Message.objects.filter(conversation=chats["c"]).order_by("created_at", "id")
    ]
    assert data["conversations"][0]["ratings"][0]["score"] == 4

    selected = {
        "action": "delete_shopper_data",
        "_selected_action": [chats["c"].pk],
        "csrfmiddlewaretoken": token,
    }
    asked = owner.post("/admin/chatbot/conversation/", selected)
    assert asked.status_code == 200  # first a page that says what goes
    assert "This erases 1 conversation(s), 5 message(s), 1 rating(s) for good" in asked.content.decode()
    assert Conversation.objects.filter(pk=chats["c"].pk).exists()
    deleted = owner.post("/admin/chatbot/conversation/", {**selected, "confirm": "yes"})
    assert deleted.status_code == 302
    assert not Conversation.objects.filter(pk=chats["c"].pk).exists()
    assert not Message.objects.filter(conversation_id=chats["c"].pk).exists()
    assert not ConversationRating.objects.filter(conversation_id=chats["c"].pk).exists()
    assert Conversation.objects.filter(pk=chats["b"].pk).exists()  # the others stay


def test_the_shopper_data_page_finds_exports_and_deletes_by_customer_email(owner, settings):
    from chatbot.identity import customer_chat_id
    from storefront.models import Shop

    # The storefront's own adapter turns the email into the customer.
    settings.CHATBOT_SHOP_ADAPTER = "storefront.chat_adapter.StorefrontAdapter"
    Shop.objects.create(slug="acme", name="Acme")
    customer = get_user_model().objects.create_user("mia", "mia@example.com", "pw-mia-1")
    conv = Conversation.objects.create(
        shop_id="acme", chat_user_id=customer_chat_id(str(customer.pk)), customer_ref=str(customer.pk)
    )
    Message.objects.create(conversation=conv, role="shopper", text="Where is my order?")
    other = Conversation.objects.create(shop_id="acme", chat_user_id="gsomeoneelse")
    url = "/admin/chatbot/shopnumbers/shopper-data/"
    page = owner.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    base = {"shop": "acme", "email": "MIA@example.com", "csrfmiddlewaretoken": token}
    found = owner.post(url, {**base, "do": "find"})
    assert "1 conversation found." in found.content.decode()
    exported = owner.post(url, {**base, "do": "export"})
    assert json.loads(exported.content)["conversations"][0]["messages"][0]["text"] == "Where is my order?"
    unconfirmed = owner.post(url, {**base, "do": "delete"})
    assert unconfirmed.status_code == 200 and Conversation.objects.filter(pk=conv.pk).exists()
    deleted = owner.post(url, {**base, "do": "delete", "confirm": "on"})
    assert deleted.status_code == 302
    assert not Conversation.objects.filter(pk=conv.pk).exists()
    assert Conversation.objects.filter(pk=other.pk).exists()
    unknown = owner.post(url, {**base, "email": "nobody@example.com", "do": "find"})
    assert "No customer with the email" in unknown.content.decode()
