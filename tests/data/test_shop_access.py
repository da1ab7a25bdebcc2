"""The Numbers page, the ratings and a shopper's data follow the inbox's per-shop access
(``StaffShopAccess``): a shop's staff, signed in through the admin login form, see and act on
their own shop only; a superuser sees every shop."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from chatbot.models import Conversation, ConversationRating, Message, StaffShopAccess

from .known_chats import NOW, make_known_chats

pytestmark = pytest.mark.django_db

NUMBERS = "/admin/chatbot/shopnumbers/"
SHOPPER_DATA = "/admin/chatbot/shopnumbers/shopper-data/"
CONVERSATIONS = "/admin/chatbot/conversation/"
RATINGS = "/admin/chatbot/conversationrating/"


@pytest.fixture(autouse=True)
def memory_shops(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"


def signed_in(username: str, password: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    done = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
    )
    assert done.status_code == 302 and done["Location"] == "/admin/"
    return client


def token_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


@pytest.fixture
def other_shop_staff() -> Client:
    """Staff of the shop "other" only, with every model permission these pages need."""
    user = User.objects.create_user("olga", "olga@example.com", "pw-olga-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="chatbot",
            codename__in=[
                "view_shopnumbers",
                "view_conversation",
                "change_conversation",
                "delete_conversation",
                "view_conversationrating",
            ],
        )
    )
    StaffShopAccess.objects.create(user=user, shop_id="other")
    return signed_in("olga", "pw-olga-1")


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><span class="v">([^<]*)</span>', html)
    assert match, f"no figure {name}"
    return match.group(1)


def shop_menu(html: str) -> list[str]:
    select = re.search(r'<select name="shop"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no shop menu"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_staff_see_the_numbers_of_their_own_shop_only(other_shop_staff, monkeypatch):
    make_known_chats()
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    page = other_shop_staff.get(NUMBERS, {"days": 7})
    assert page.status_code == 200
    html = page.content.decode()
    assert shop_menu(html) == ["other"]  # acme is not offered
    assert "Shop other," in html and figure(html, "conversations") == "1"
    assert "Do you sell cars?" not in html  # acme's unanswered question
    # Asking for acme by its id is "not found", as a shop that does not exist.
    assert other_shop_staff.get(NUMBERS, {"shop": "acme", "days": 7}).status_code == 404

    # The ratings list holds the other shop's rating only, and its filter offers only that shop.
    ratings = other_shop_staff.get(RATINGS).content.decode()
    assert ratings.count('class="field-score"') == 1
    assert "?shop=acme" not in ratings and "?shop=other" in ratings


def test_a_superuser_sees_every_shops_numbers(monkeypatch):
    make_known_chats()
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    User.objects.create_superuser("owner", "owner@example.com", "pw-owner-1")
    owner = signed_in("owner", "pw-owner-1")
    html = owner.get(NUMBERS, {"days": 7}).content.decode()
    assert {"acme", "other"} <= set(shop_menu(html))
    acme = owner.get(NUMBERS, {"shop": "acme", "days": 7})
    assert acme.status_code == 200 and figure(acme.content.decode(), "conversations") == "4"
    assert owner.get(RATINGS).content.decode().count('class="field-score"') == 5


def test_staff_export_and_delete_only_their_own_shops_shopper_data(other_shop_staff):
    chats = make_known_chats()
    acme = chats["c"]
    other = Conversation.objects.get(shop_id="other")
    page = other_shop_staff.get(CONVERSATIONS)
    token = token_of(page)

    # The conversation actions: acme's conversation cannot be selected, so nothing leaves.
    for action in ("export_shopper_data", "delete_shopper_data"):
        tried = other_shop_staff.post(
            CONVERSATIONS,
            {"action": action, "_selected_action": [acme.pk], "confirm": "yes", "csrfmiddlewaretoken": token},
        )
        assert tried.status_code == 302  # back to the list, which says why
        assert "Content-Disposition" not in tried
        shown = other_shop_staff.get(tried["Location"]).content.decode()
        assert "None of the selected conversations is yours to open." in shown
    assert Conversation.objects.filter(pk=acme.pk).exists()
    assert Message.objects.filter(conversation=acme).count() == 5

    # Their own shop's conversation exports (and is the only one in the file).
    exported = other_shop_staff.post(
        CONVERSATIONS,
        {
            "action": "export_shopper_data",
            "_selected_action": [other.pk, acme.pk],
            "csrfmiddlewaretoken": token,
        },
    )
    data = json.loads(exported.content)
    assert [m["text"] for c in data["conversations"] for m in c["messages"]] == ["Other shop", "Hm."]

    # The shopper data page offers only their shop; acme's shopper cannot be found nor deleted.
    form = other_shop_staff.get(SHOPPER_DATA)
    assert shop_menu(form.content.decode()) == ["other"]
    base = {"shop": "acme", "chat_user": "gc", "csrfmiddlewaretoken": token_of(form)}
    found = other_shop_staff.post(SHOPPER_DATA, {**base, "do": "find"}).content.decode()
    assert "Select a valid choice" in found and "conversation found" not in found
    exported_acme = other_shop_staff.post(SHOPPER_DATA, {**base, "do": "export"})
    assert "Content-Disposition" not in exported_acme
    deleted = other_shop_staff.post(SHOPPER_DATA, {**base, "do": "delete", "confirm": "on"})
    assert deleted.status_code == 200
    assert Conversation.objects.filter(pk=acme.pk).exists()
    assert ConversationRating.objects.filter(conversation=acme).exists()

    # Their own shop's shopper is found and deleted there.
    mine = {**base, "shop": "other", "chat_user": "gf"}
    assert (
        "1 conversation found."
        in other_shop_staff.post(SHOPPER_DATA, {**mine, "do": "find"}).content.decode()
    )
    assert other_shop_staff.post(SHOPPER_DATA, {**mine, "do": "delete", "confirm": "on"}).status_code == 302
    assert not Conversation.objects.filter(pk=other.pk).exists()
