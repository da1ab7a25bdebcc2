"""``manage.py chatbot_stats --shop SLUG [--days N] [--json]``

The shop's numbers over the last N days (default 30), as on the admin's Numbers page:
computed by ``chatbot.stats``. ``--json`` prints one JSON object and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot import stats
from chatbot.adapters import get_adapter

percent = stats.format_share
duration = stats.format_duration


class Command(BaseCommand):
    help = "Print a shop's chat numbers: conversations, hand-offs, staff response, CSAT, unanswered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="Shop id (slug), e.g. demo.")
        parser.add_argument(
            "--days", type=int, default=30, help="The last N days, today included (default 30)."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")

    def handle(self, *args: Any, **options: Any) -> None:
        shop_id, days = options["shop"], options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if get_adapter().get_shop(shop_id) is None:
            raise CommandError(f"Unknown shop {shop_id!r}.")
        numbers = stats.shop_numbers(shop_id, days)
        if options["json"]:
            self.stdout.write(json.dumps(numbers.as_json(), ensure_ascii=False, indent=2))
            return
        out = self.stdout.write
        out(f"Shop {shop_id}, last {days} day(s) ({numbers.since:%Y-%m-%d} – {numbers.until:%Y-%m-%d})")
        out(
            f"  Conversations:               {numbers.conversations}"
            f" ({numbers.shopper_messages} shopper messages)"
        )
        out(
            f"  Answered without hand-off:   {percent(numbers.answered_without_handoff_share)}"
            f" ({numbers.answered_without_handoff})"
        )
        out(f"  Hand-off rate:               {percent(numbers.handoff_rate)} ({numbers.handed_off})")
        out(
            f"  Staff first response:        {duration(numbers.median_first_response_seconds)} median"
            f" ({numbers.handoffs_answered} of {numbers.handoffs} hand-offs answered)"
        )
        average = "–" if numbers.rating_average is None else f"{numbers.rating_average:.2f}/5"
        out(
            f"  CSAT:                        {average}, {percent(numbers.ratings_positive_share)} satisfied"
            f" ({numbers.ratings} ratings)"
        )
        out("  Conversations per day:")
        for day in numbers.per_day:
            out(f"    {day.date:%Y-%m-%d}  {day.conversations:4d}  (hand-offs {day.handoffs})")
        out(f"  Questions the assistant could not answer: {numbers.unanswered_count}")
        for question in numbers.unanswered:
            out(f"    {question.asked_at:%Y-%m-%d %H:%M}  [{question.reason}]  {question.text[:120]}")
