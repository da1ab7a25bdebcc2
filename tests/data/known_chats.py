"""Conversations with fixed times and known figures, shared by the numbers tests (the
module, the command and the admin page must all show exactly these)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chatbot.models import Conversation, ConversationRating, Message

# "Now" for these chats: the window of 7 days is 4 March 00:00 – 10 March 12:00.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
DAYS = 7


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, minute, second))


def conversation(shop: str, user: str) -> Conversation:
    return Conversation.objects.create(shop_id=shop, chat_user_id=user, display_name=user)


def message(conv: Conversation, role: str, text: str, when: dt.datetime, **fields) -> Message:
    m = Message.objects.create(
        conversation=conv, role=role, text=text, status=fields.pop("status", "done"), **fields
    )
    Message.objects.filter(pk=m.pk).update(created_at=when)
    m.created_at = when
    return m


def exchange(conv: Conversation, question: str, when: dt.datetime, answer: str = "Sure.", **reply) -> Message:
    asked = message(conv, "shopper", question, when, status="received")
    message(
        conv, "assistant", answer, when + dt.timedelta(seconds=reply.pop("after", 2)), reply_to=asked, **reply
    )
    return asked


def rating(conv: Conversation, score: int, when: dt.datetime, comment: str = "") -> None:
    r = ConversationRating.objects.create(conversation=conv, score=score, comment=comment)
    ConversationRating.objects.filter(pk=r.pk).update(created_at=when)


def make_known_chats() -> dict[str, Conversation]:
    a = conversation("acme", "ga")  # answered by the assistant, on two days
    tents = exchange(a, "Do you have tents?", at(8, 10))
    # Its first reply had failed; the shopper's retry was answered: not "unanswered".
    message(a, "assistant", "Sorry, try again.", at(8, 10, 0, 1), reply_to=tents, status="failed")
    exchange(a, "Thanks, and sleeping bags?", at(10, 9, 30))
    rating(a, 5, at(8, 10, 5))

    b = conversation("acme", "gb")  # handed off, staff answer after 4 minutes
    exchange(b, "I want a refund", at(9, 9), "A person will help.", handoff=True, after=5)
    message(b, "staff", "Hello, I can help with the refund.", at(9, 9, 4, 5))
    rating(b, 2, at(9, 10), "slow")

    c = conversation("acme", "gc")  # a declined question, then a hand-off answered after 10 minutes
    exchange(c, "Do you sell cars?", at(10, 8), "I couldn't find that.", declined=True)
    exchange(c, "Talk to a person", at(10, 8, 10), "A person will help.", handoff=True)
    message(c, "staff", "Hi! Cars, no; bikes, yes.", at(10, 8, 20, 2))
    rating(c, 4, at(10, 8, 30))

    d = conversation("acme", "gd")  # a failed reply, then a hand-off nobody answered yet
    exchange(d, "hello <b>there</b>", at(10, 9), "Sorry, try again.", status="failed")
    exchange(d, "person please", at(10, 9, 5), "A person will help.", handoff=True, after=1)

    e = conversation("acme", "ge")  # before the window: not counted
    exchange(e, "Old question", at(1, 9), "I couldn't find that.", declined=True)
    rating(e, 1, at(1, 9, 5))

    f = conversation("other", "gf")  # another shop: not counted
    exchange(f, "Other shop", at(10, 9), "Hm.", handoff=True)
    rating(f, 1, at(10, 9, 30))
    return {"a": a, "b": b, "c": c, "d": d}
