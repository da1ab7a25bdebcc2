"""The shop's numbers: how the chat went over the last N days. One module computes them;
the admin's Numbers page (``chatbot.numbers_admin``) and ``manage.py chatbot_stats`` show
them.

Everything is read from stored messages, so every engine and assistant counts alike:

- A conversation counts on a day when the shopper wrote in it that day (a conversation is
  one per shop and shopper and lives long, so its creation date says little).
- A hand-off is a message marked ``handoff`` (the assistant's reply that passed the
  shopper to a person; the system notices that follow it are not counted). The staff's
  first response time runs from it to the first staff message after it in that
  conversation; hand-offs nobody answered yet are counted apart.
- Answered without hand-off: conversations active in the window with no hand-off and no
  staff message there, and at least one finished assistant reply that did not decline.
- The questions the assistant could not answer: shopper messages whose reply declined
  (``Message.declined``: nothing matched, not in the shop's information, off topic) or
  failed, unless a retry of it was answered after all.
- CSAT: ratings given in the window (1–5; 4 and 5 count as satisfied).

Days are calendar days in the site's time zone (``TIME_ZONE``), today included.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Conversation, ConversationRating, Message

# How many of the questions the assistant could not answer are listed (newest first).
UNANSWERED_LISTED = 20


@dataclass(frozen=True)
class Day:
    date: dt.date
    conversations: int
    handoffs: int


@dataclass(frozen=True)
class Unanswered:
    asked_at: dt.datetime
    text: str
    reason: str  # "declined" or "failed"
    conversation_id: int


@dataclass
class ShopNumbers:
    shop_id: str
    days: int
    since: dt.datetime
    until: dt.datetime
    per_day: list[Day] = field(default_factory=list)
    conversations: int = 0
    shopper_messages: int = 0
    answered_without_handoff: int = 0
    handed_off: int = 0  # conversations with a hand-off in the window
    handoffs: int = 0  # hand-off messages (one conversation may hand off twice)
    handoffs_answered: int = 0
    median_first_response_seconds: float | None = None
    ratings: int = 0
    rating_average: float | None = None
    ratings_positive: int = 0
    unanswered_count: int = 0
    unanswered: list[Unanswered] = field(default_factory=list)

    @property
    def answered_without_handoff_share(self) -> float | None:
        return _share(self.answered_without_handoff, self.conversations)

    @property
    def handoff_rate(self) -> float | None:
        return _share(self.handed_off, self.conversations)

    @property
    def ratings_positive_share(self) -> float | None:
        return _share(self.ratings_positive, self.ratings)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (``chatbot_stats --json``): dates as ISO strings, shares as 0..1."""
        data = asdict(self)
        data["since"] = self.since.isoformat()
        data["until"] = self.until.isoformat()
        data["per_day"] = [
            {"date": d.date.isoformat(), "conversations": d.conversations, "handoffs": d.handoffs}
            for d in self.per_day
        ]
        data["unanswered"] = [
            {
                "asked_at": u.asked_at.isoformat(),
                "text": u.text,
                "reason": u.reason,
                "conversation_id": u.conversation_id,
            }
            for u in self.unanswered
        ]
        data["answered_without_handoff_share"] = self.answered_without_handoff_share
        data["handoff_rate"] = self.handoff_rate
        data["ratings_positive_share"] = self.ratings_positive_share
        return data


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def window(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    """The last ``days`` calendar days (today included) in the current time zone."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    return since, now, [first + dt.timedelta(days=i) for i in range(days)]


def shop_numbers(shop_id: str, days: int = 30, *, now: dt.datetime | None = None) -> ShopNumbers:
    if days < 1:
        raise ValueError("days must be at least 1")
    since, until, dates = window(days, now)
    numbers = ShopNumbers(shop_id=shop_id, days=days, since=since, until=until)
    messages = Message.objects.filter(
        conversation__shop_id=shop_id, created_at__gte=since, created_at__lte=until
    )
    shopper = messages.filter(role=Message.Role.SHOPPER)
    # The chat's own notices carry the mark too (the inbox's "waiting for staff" notice,
    # the acknowledgement while paused): only the reply that handed over counts.
    handoffs = messages.filter(handoff=True).exclude(role=Message.Role.SYSTEM)
    tz = timezone.get_current_timezone()

    # Per day: conversations the shopper wrote in, and hand-offs.
    by_day = {
        row["day"]: row["n"]
        for row in shopper.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("conversation", distinct=True))
    }
    handoffs_by_day = {
        row["day"]: row["n"]
        for row in handoffs.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
    }
    numbers.per_day = [Day(d, by_day.get(d, 0), handoffs_by_day.get(d, 0)) for d in dates]

    active = set(shopper.values_list("conversation_id", flat=True).distinct())
    numbers.conversations = len(active)
    numbers.shopper_messages = shopper.count()
    handed = set(handoffs.values_list("conversation_id", flat=True).distinct())
    staffed = set(
        messages.filter(role=Message.Role.STAFF).values_list("conversation_id", flat=True).distinct()
    )
    answered = set(
        messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.DONE, declined=False)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    numbers.handed_off = len(active & handed)
    numbers.answered_without_handoff = len((active & answered) - handed - staffed)

    _first_responses(numbers, handoffs)
    _ratings(numbers, shop_id, since, until)
    _unanswered(numbers, shopper)
    return numbers


def _first_responses(numbers: ShopNumbers, handoffs: Any) -> None:
    first_staff = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            role=Message.Role.STAFF,
            created_at__gt=OuterRef("created_at"),
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    rows = list(handoffs.annotate(staff_at=Subquery(first_staff)).values_list("created_at", "staff_at"))
    waits = [(staff_at - at).total_seconds() for at, staff_at in rows if staff_at is not None]
    numbers.handoffs = len(rows)
    numbers.handoffs_answered = len(waits)
    numbers.median_first_response_seconds = statistics.median(waits) if waits else None


def _ratings(numbers: ShopNumbers, shop_id: str, since: dt.datetime, until: dt.datetime) -> None:
    ratings = ConversationRating.objects.filter(
        conversation__shop_id=shop_id, created_at__gte=since, created_at__lte=until
    ).aggregate(
        n=Count("id"),
        average=Avg("score"),
        positive=Count("id", filter=Q(score__gte=ConversationRating.POSITIVE_FROM)),
    )
    numbers.ratings = ratings["n"]
    numbers.rating_average = round(ratings["average"], 2) if ratings["average"] is not None else None
    numbers.ratings_positive = ratings["positive"]


def _unanswered(numbers: ShopNumbers, shopper: Any) -> None:
    declined = Q(replies__role=Message.Role.ASSISTANT) & (
        Q(replies__declined=True) | Q(replies__status=Message.Status.FAILED)
    )
    # A failed reply the shopper retried into an answer does not count.
    answered_later = Exists(
        Message.objects.filter(
            reply_to=OuterRef("pk"),
            role=Message.Role.ASSISTANT,
            status=Message.Status.DONE,
            declined=False,
        )
    )
    questions = shopper.filter(declined).exclude(answered_later).distinct().order_by("-created_at", "-id")
    numbers.unanswered_count = questions.count()
    for question in questions.prefetch_related("replies")[:UNANSWERED_LISTED]:
        failed = any(r.status == Message.Status.FAILED for r in question.replies.all())
        numbers.unanswered.append(
            Unanswered(
                question.created_at,
                question.text,
                "failed" if failed else "declined",
                question.conversation_id,
            )
        )


def format_share(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def known_shop_ids() -> list[str]:
    """Shops that have conversations, for the Numbers page's shop menu."""
    return sorted(set(Conversation.objects.values_list("shop_id", flat=True).distinct()))
