"""Two weeks of plausible chats in one shop, for the Numbers page's screenshot: run in the
live site's process with ``manage.py shell -c "from tests.browser.seed_numbers import
seed; seed('demo')"``. Deterministic (no randomness), times relative to now."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chatbot.models import Conversation, ConversationRating, Message

QUESTIONS = [
    ("Do you have a tent under $300?", False),
    ("Where is my order NW-1042?", False),
    ("Do you ship to Norway?", True),
    ("What is your return policy?", False),
    ("Do you sell kayaks?", True),
    ("Is the Trail Tent waterproof?", False),
    ("Can I pay with PayPal?", True),
]


def _at(m: Message, when: dt.datetime) -> None:
    Message.objects.filter(pk=m.pk).update(created_at=when)


def seed(shop: str, days: int = 14) -> None:
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    n = 0
    for back in range(days - 1, -1, -1):
        day = midnight - dt.timedelta(days=back)
        count = 2 + (back * 7) % 5  # 55 conversations over 14 days
        # Spread over the day; today only over the hours already past.
        span = (now - midnight) if back == 0 else dt.timedelta(days=1)
        for i in range(count):
            n += 1
            conv = Conversation.objects.create(
                shop_id=shop, chat_user_id=f"gseed{n:04d}", display_name=f"Guest {n}"
            )
            when = day + span * (i + 1) / (count + 2)
            question, declined = QUESTIONS[n % len(QUESTIONS)]
            asked = Message.objects.create(conversation=conv, role="shopper", text=question)
            _at(asked, when)
            handoff = n % 4 == 0
            reply = Message.objects.create(
                conversation=conv,
                role="assistant",
                text="A person will help." if handoff else "Here is what I found.",
                status="done",
                reply_to=asked,
                declined=declined and not handoff,
                handoff=handoff,
            )
            _at(reply, when + dt.timedelta(seconds=3))
            if handoff and n % 8 == 0:
                staff = Message.objects.create(
                    conversation=conv, role="staff", text="Hi, Sam here.", status="done"
                )
                _at(staff, when + dt.timedelta(minutes=3 + n % 9))
            if n % 3 == 0:
                rating = ConversationRating.objects.create(conversation=conv, score=5 - (n % 5 == 0) * 3)
                ConversationRating.objects.filter(pk=rating.pk).update(
                    created_at=when + dt.timedelta(minutes=20)
                )
