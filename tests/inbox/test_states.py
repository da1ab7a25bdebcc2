"""A conversation's states through the shopper's routes and the staff's moves: waiting
after a hand-off (with hours and wait, or the email form outside hours), staff told once
per hand-off, with staff, back to the assistant, closed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from chatbot.inbox import states
from chatbot.models import Conversation, Message

from .conftest import post, send

pytestmark = pytest.mark.django_db

CONTACT_URL = "/api/chatbot/contact-email"


def conversation() -> Conversation:
    return Conversation.objects.get()


def closed_now_hours() -> str:
    """Hours that do not include this moment (a day three days from today)."""
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(dt.datetime.now(dt.UTC).weekday() + 3) % 7]
    return f"{day} 09:00-10:00"


def test_asking_for_a_person_waits_for_staff_with_hours_and_wait(
    visitor, person_please, shop_settings, django_capture_on_commit_callbacks
):
    shop_settings(business_hours="", expected_wait_minutes=7, staff_email="team@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "hello", "m-1")
        assert conversation().state == "assistant"
        send(visitor, "a person please", "m-2")
    c = conversation()
    assert c.state == "waiting" and c.handoff_at is not None
    notice = c.messages.get(notice="handoff")
    assert notice.role == "system"
    assert "usually within 7 minutes" in notice.text
    history = visitor.get("/api/chatbot/history", {"shop": "acme"}).json()
    assert history["conversation"]["state"] == "waiting"
    assert history["messages"][-1]["notice"] == "handoff"
    # Staff are told once, with the shopper's words and a link to the conversation.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["team@acme.test"]
    assert "a person please" in mail.outbox[0].body
    assert f"/admin/chatbot/conversation/{c.pk}/change/" in mail.outbox[0].body


def test_staff_are_emailed_once_per_hand_off_not_per_message(
    visitor, person_please, shop_settings, django_capture_on_commit_callbacks
):
    shop_settings(staff_email="team@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "a person please", "m-1")
        send(visitor, "hello? anyone?", "m-2")  # paused: acknowledged, no reply, no email
        states.hand_off(conversation())  # asked again while waiting
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        states.hand_back(conversation())
        send(visitor, "a person please, again", "m-3")  # a new hand-off
    assert len(mail.outbox) == 2


def test_no_staff_address_no_email(visitor, person_please, shop_settings, django_capture_on_commit_callbacks):
    shop_settings(staff_email="")
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "a person please", "m-1")
    assert conversation().state == "waiting"
    assert mail.outbox == []


def test_outside_hours_the_shopper_leaves_an_email_and_gets_the_answer_there(
    visitor, person_please, shop_settings, django_capture_on_commit_callbacks
):
    shop_settings(business_hours=closed_now_hours(), timezone="UTC", staff_email="")
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "a person please", "m-1")
    notice = conversation().messages.get(notice="away")
    assert "away right now" in notice.text and "Leave your email address" in notice.text

    bad = post(visitor, CONTACT_URL, {"shop": "acme", "email": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["code"]
    ok = post(visitor, CONTACT_URL, {"shop": "acme", "email": "ann@example.com"})
    assert ok.status_code == 200, ok.content
    assert conversation().contact_email == "ann@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        states.staff_reply(conversation(), "Your parcel left on Monday.")
    sent = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert len(sent) == 1
    assert "Your parcel left on Monday." in sent[0].body
    assert "Acme" in sent[0].subject


def test_no_email_form_when_nobody_is_waited_for(visitor, assistant):
    send(visitor, "hello", "m-1")
    refused = post(visitor, CONTACT_URL, {"shop": "acme", "email": "ann@example.com"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_waiting"
    assert conversation().contact_email == ""


def test_staff_take_over_hand_back_and_the_assistant_answers_again(
    visitor, person_please, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "a person please", "m-1")
        c = conversation()
        states.staff_reply(c, "Hi, Anna here.")
    c.refresh_from_db()
    assert c.state == "staff" and c.handoff_at is not None
    paused = send(visitor, "thanks Anna", "m-2").json()
    assert paused["reply"]["role"] == "system"  # the assistant stays quiet with staff

    with django_capture_on_commit_callbacks(execute=True):
        back = states.hand_back(c)
    c.refresh_from_db()
    assert (c.state, c.handoff_at) == ("assistant", None)
    assert back.notice == "back" and back.text == "The assistant is back. Ask me anything."
    answered = send(visitor, "Do you have tents?", "m-3").json()
    assert answered["reply"]["role"] == "assistant"
    assert Message.objects.get(pk=answered["reply"]["id"]).text == "You said: Do you have tents?"


def test_the_notice_speaks_the_shoppers_language(db, django_capture_on_commit_callbacks):
    c = Conversation.objects.create(shop_id="chaye", chat_user_id="g-zh", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        states.hand_off(c)
        back = states.hand_back(c)
    assert back.text == "智能助手回来了，有什么可以帮您？"
    assert "分钟" in c.messages.get(notice="handoff").text


def test_closed_then_the_shopper_writes_again(visitor, assistant, django_capture_on_commit_callbacks):
    send(visitor, "hello", "m-1")
    c = conversation()
    with django_capture_on_commit_callbacks(execute=True):
        closed = states.close(c)
    c.refresh_from_db()
    assert (c.state, c.handoff_at, closed.notice) == ("closed", None, "closed")
    answered = send(visitor, "one more question", "m-2").json()
    assert answered["reply"]["role"] == "assistant"
    assert conversation().state == "assistant"


def test_state_and_handoff_at_always_agree(db, django_capture_on_commit_callbacks):
    c = Conversation.objects.create(shop_id="acme", chat_user_id="g-1")
    with django_capture_on_commit_callbacks(execute=True):
        for move in (states.hand_off, states.take_over, states.hand_back, states.hand_off, states.close):
            move(c)
            c.refresh_from_db()
            assert (c.handoff_at is not None) == (c.state in ("waiting", "staff")), (move, c.state)


def test_the_shops_numbers_count_a_hand_off_once_not_its_notices(
    visitor, person_please, shop_settings, django_capture_on_commit_callbacks
):
    """A hand-off stores the reply that handed over and the "waiting for staff" notice
    (both marked hand-off), then a "still waiting" acknowledgement per shopper burst: the
    Numbers page counts one hand-off, answered when staff first wrote."""
    from chatbot import stats

    shop_settings(business_hours="")
    with django_capture_on_commit_callbacks(execute=True):
        send(visitor, "a person please", "m-1")
        send(visitor, "hello? anyone?", "m-2")
    c = conversation()
    assert c.messages.filter(handoff=True).count() >= 3  # reply, notice, acknowledgement
    with django_capture_on_commit_callbacks(execute=True):
        states.staff_reply(c, "Hi, Anna here.")
        states.hand_back(c)
    numbers = stats.shop_numbers("acme", 1)
    assert (numbers.handoffs, numbers.handoffs_answered, numbers.handed_off) == (1, 1, 1)
    assert sum(day.handoffs for day in numbers.per_day) == 1
