"""The staff inbox in Django admin, as staff use it: signed in, per-shop access."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from chatbot.inbox import states
from chatbot.models import CannedReply, Conversation, Message, ShopChatSettings, StaffNote, StaffShopAccess

pytestmark = pytest.mark.django_db

LIST = "/admin/chatbot/conversation/"


def page(pk: int) -> str:
    return f"{LIST}{pk}/change/"


def live(pk: int) -> str:
    return f"{LIST}{pk}/live/"


@pytest.fixture
def staff_of(db):
    """A staff user with the inbox's model permissions, allowed into the given shops."""

    def make(*shops: str, name: str = "anna") -> Client:
        user = User.objects.create_user(name, f"{name}@example.com", "pw-12345", is_staff=True)
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="chatbot",
                codename__in=["view_conversation", "change_conversation", "view_cannedreply"],
            )
        )
        for shop in shops:
            StaffShopAccess.objects.create(user=user, shop_id=shop)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def two_shops(db, django_capture_on_commit_callbacks):
    """A waiting conversation in each shop, with a shopper message."""
    made = {}
    for shop, who in (("acme", "Ann Acme"), ("chaye", "Chen Chaye")):
        c = Conversation.objects.create(shop_id=shop, chat_user_id=f"g-{shop}", display_name=who)
        Message.objects.create(conversation=c, role="shopper", text=f"help me, {shop}", status="received")
        with django_capture_on_commit_callbacks(execute=True):
            states.hand_off(c)
        made[shop] = c
    return made


def test_staff_of_one_shop_cannot_list_open_answer_or_poll_another_shops(staff_of, two_shops):
    anna = staff_of("acme")
    acme, chaye = two_shops["acme"], two_shops["chaye"]

    listed = anna.get(LIST)
    assert listed.status_code == 200
    assert "Ann Acme" in listed.text and "Chen Chaye" not in listed.text
    assert "1 waiting for staff" in listed.text
    # Not even through the shop filter or the search box.
    assert "Chen Chaye" not in anna.get(LIST, {"shop": "chaye"}).text
    assert "Chen Chaye" not in anna.get(LIST, {"q": "chaye"}).text

    assert anna.get(page(chaye.pk)).status_code == 404
    answered = anna.post(page(chaye.pk), {"action": "reply", "text": "hi from the wrong shop"})
    assert answered.status_code == 404
    assert not Message.objects.filter(text="hi from the wrong shop").exists()
    assert anna.post(page(chaye.pk), {"action": "handback"}).status_code == 404
    assert Conversation.objects.get(pk=chaye.pk).state == "waiting"
    polled = anna.get(live(chaye.pk))
    assert polled.status_code == 404 and polled.json()["error"]["code"] == "not_found"

    # Her own shop works.
    assert anna.get(page(acme.pk)).status_code == 200
    assert anna.get(live(acme.pk)).status_code == 200


def test_staff_without_any_shop_see_nothing_and_superusers_see_all(staff_of, two_shops):
    nobody = staff_of(name="nobody")
    listed = nobody.get(LIST)
    assert "Ann Acme" not in listed.text and "Chen Chaye" not in listed.text
    boss = User.objects.create_superuser("boss", "boss@example.com", "pw-12345")
    client = Client()
    client.force_login(boss)
    listed = client.get(LIST)
    assert "Ann Acme" in listed.text and "Chen Chaye" in listed.text
    assert "2 waiting for staff" in listed.text


def test_the_live_route_is_for_staff_only(client, two_shops):
    answer = client.get(live(two_shops["acme"].pk))
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]


def test_list_shows_state_last_message_waiting_time_and_unread(staff_of, two_shops):
    anna = staff_of("acme")
    text = anna.get(LIST).text
    assert "Waiting for staff" in text
    assert "help me, acme" in text
    assert 'class="cb-unread">1<' in text  # one shopper message nobody read
    anna.get(page(two_shops["acme"].pk))  # opening it reads it
    assert 'class="cb-unread"' not in anna.get(LIST).text
    # Filtered by state.
    assert "Ann Acme" not in anna.get(LIST, {"state__exact": "closed"}).text


def test_conversation_page_transcript_oldest_first_reply_box_below(staff_of, two_shops):
    acme = two_shops["acme"]
    Message.objects.create(
        conversation=acme, role="shopper", text="<b>second</b> question", status="received"
    )
    text = staff_of("acme").get(page(acme.pk)).text
    first, second = text.index("help me, acme"), text.index("&lt;b&gt;second&lt;/b&gt; question")
    assert first < second < text.index('id="cb-reply"')  # oldest first, the box below
    assert "<b>second</b>" not in text  # shopper text is text, never HTML


def test_reply_from_the_page_reaches_the_shopper_and_takes_over(staff_of, two_shops, monkeypatch):
    delivered = []
    monkeypatch.setattr(
        "chatbot.engines.local.LocalEngine.deliver_message", lambda self, c, m: delivered.append(m.text)
    )
    acme = two_shops["acme"]
    anna = staff_of("acme")
    answer = anna.post(page(acme.pk), {"action": "reply", "text": "Hello Ann, Anna here."})
    assert answer.status_code == 302
    assert delivered == ["Hello Ann, Anna here."]
    assert Conversation.objects.get(pk=acme.pk).state == "staff"
    data = anna.get(live(acme.pk), {"after": 0}).json()
    assert [m["text"] for m in data["messages"]][-1] == "Hello Ann, Anna here."
    assert data["state"] == "staff"


def test_internal_notes_never_reach_the_shopper_or_an_engine(staff_of, two_shops, monkeypatch, visitor):
    delivered = []
    monkeypatch.setattr(
        "chatbot.engines.local.LocalEngine.deliver_message", lambda self, c, m: delivered.append(m.text)
    )
    acme = two_shops["acme"]
    anna = staff_of("acme")
    anna.post(page(acme.pk), {"action": "note", "text": "VIP: refund approved"})
    assert StaffNote.objects.get().text == "VIP: refund approved"
    assert delivered == []
    assert not Message.objects.filter(text__contains="VIP").exists()
    assert "VIP: refund approved" in anna.get(page(acme.pk)).text
    assert anna.get(live(acme.pk)).json()["notes"][0]["text"] == "VIP: refund approved"


def test_canned_replies_of_the_shop_are_offered(staff_of, two_shops):
    CannedReply.objects.create(shop_id="acme", title="Shipping", text="We ship within 2 days.")
    CannedReply.objects.create(shop_id="chaye", title="茶", text="我们的茶叶")
    text = staff_of("acme").get(page(two_shops["acme"].pk)).text
    assert "We ship within 2 days." in text and "我们的茶叶" not in text


def test_hand_back_and_close_from_the_page(staff_of, two_shops):
    acme = two_shops["acme"]
    anna = staff_of("acme")
    anna.post(page(acme.pk), {"action": "handback"})
    acme.refresh_from_db()
    assert (acme.state, acme.handoff_at) == ("assistant", None)
    anna.post(page(acme.pk), {"action": "close"})
    acme.refresh_from_db()
    assert acme.state == "closed"
    assert list(acme.messages.exclude(notice="").values_list("notice", flat=True)) == [
        "handoff",
        "back",
        "closed",
    ]


def test_every_shop_the_adapter_knows_gets_settings_without_typing_a_slug(admin_client):
    assert not ShopChatSettings.objects.exists()
    listed = admin_client.get("/admin/chatbot/shopchatsettings/")
    assert listed.status_code == 200
    assert sorted(ShopChatSettings.objects.values_list("shop_id", flat=True)) == ["acme", "chaye"]


def test_settings_are_made_on_first_use_for_known_shops_only(db):
    from chatbot.shop_settings import settings_for_shop

    assert settings_for_shop("acme").expected_wait_minutes == 10
    settings_for_shop("no-such-shop")
    assert list(ShopChatSettings.objects.values_list("shop_id", flat=True)) == ["acme"]


def test_unreadable_business_hours_are_refused_with_a_clear_message(admin_client):
    admin_client.get("/admin/chatbot/shopchatsettings/")
    row = ShopChatSettings.objects.get(shop_id="acme")
    url = f"/admin/chatbot/shopchatsettings/{row.pk}/change/"
    form = {
        "enabled": "on",
        "assistant": "",
        "coze_bot_id": "",
        "welcome_message": "",
        "button_color": "#E53935",
        "position": "bottom-right",
        "business_hours": "weekdays nine to six",
        "timezone": "Mars/Olympus",
        "expected_wait_minutes": "5",
        "staff_email": "team@acme.test",
    }
    answer = admin_client.post(url, form)
    assert answer.status_code == 200
    assert "Could not read" in answer.text and "Mon-Fri 09:00-18:00" in answer.text
    assert "Unknown timezone" in answer.text
    form.update(business_hours="Mon-Fri 09:00-18:00", timezone="Europe/Berlin")
    assert admin_client.post(url, form).status_code == 302
    row.refresh_from_db()
    assert (row.business_hours, row.timezone, row.staff_email) == (
        "Mon-Fri 09:00-18:00",
        "Europe/Berlin",
        "team@acme.test",
    )


def test_only_superusers_decide_who_sees_which_shop(staff_of):
    anna = staff_of("acme")
    assert anna.get("/admin/chatbot/staffshopaccess/").status_code == 403
    assert (
        anna.post("/admin/chatbot/staffshopaccess/add/", {"user": 1, "shop_id": "chaye"}).status_code == 403
    )
    assert list(StaffShopAccess.objects.values_list("shop_id", flat=True)) == ["acme"]


def test_canned_replies_list_only_the_staffs_shops(staff_of):
    CannedReply.objects.create(shop_id="acme", title="Shipping", text="We ship within 2 days.")
    CannedReply.objects.create(shop_id="chaye", title="茶叶", text="我们的茶叶")
    text = staff_of("acme").get("/admin/chatbot/cannedreply/").text
    assert "Shipping" in text and "茶叶" not in text


def test_the_live_route_marks_new_shopper_messages_read(staff_of, two_shops):
    acme = two_shops["acme"]
    anna = staff_of("acme")
    anna.get(page(acme.pk))
    Message.objects.create(conversation=acme, role="shopper", text="still there?", status="received")
    assert 'class="cb-unread">1<' in anna.get(LIST).text
    data = anna.get(live(acme.pk), {"after": 0}).json()
    assert data["messages"][-1]["text"] == "still there?"
    assert 'class="cb-unread"' not in anna.get(LIST).text
