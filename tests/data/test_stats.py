"""The shop's numbers on known data: exact figures from chatbot.stats and the command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from chatbot import stats

from .known_chats import DAYS, NOW, make_known_chats

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory_shops(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"


def test_the_numbers_of_known_chats():
    chats = make_known_chats()
    n = stats.shop_numbers("acme", DAYS, now=NOW)
    assert [(d.date.day, d.conversations, d.handoffs) for d in n.per_day] == [
        (4, 0, 0),
        (5, 0, 0),
        (6, 0, 0),
        (7, 0, 0),
        (8, 1, 0),
        (9, 1, 1),
        (10, 3, 2),
    ]
    assert n.conversations == 4
    assert n.shopper_messages == 7
    assert (n.answered_without_handoff, n.answered_without_handoff_share) == (1, 0.25)
    assert (n.handed_off, n.handoff_rate) == (3, 0.75)
    assert (n.handoffs, n.handoffs_answered) == (3, 2)
    assert n.median_first_response_seconds == 420.0  # the median of 4 and 10 minutes
    assert (n.ratings, n.rating_average, n.ratings_positive) == (3, 3.67, 2)
    assert n.ratings_positive_share == 0.6667
    assert n.unanswered_count == 2
    assert [(u.text, u.reason, u.conversation_id) for u in n.unanswered] == [
        ("hello <b>there</b>", "failed", chats["d"].pk),
        ("Do you sell cars?", "declined", chats["c"].pk),
    ]


def test_an_empty_shop_has_no_shares_rather_than_errors():
    n = stats.shop_numbers("acme", 3, now=NOW)
    assert n.conversations == 0
    assert n.handoff_rate is None
    assert n.median_first_response_seconds is None
    assert n.rating_average is None
    assert [d.conversations for d in n.per_day] == [0, 0, 0]


def test_a_one_day_window_is_today_only():
    make_known_chats()
    n = stats.shop_numbers("acme", 1, now=NOW)
    assert [(d.date, d.conversations) for d in n.per_day] == [(dt.date(2026, 3, 10), 3)]
    assert n.conversations == 3  # a, c, d wrote today


@pytest.fixture
def fixed_now(monkeypatch):
    make_known_chats()  # stored first: creating rows reads the clock too
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


def test_the_command_prints_the_same_figures_as_json(fixed_now, capsys):
    call_command("chatbot_stats", "--shop", "acme", "--days", str(DAYS), "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["conversations"] == 4
    assert data["handoff_rate"] == 0.75
    assert data["answered_without_handoff_share"] == 0.25
    assert data["median_first_response_seconds"] == 420.0
    assert (data["ratings"], data["rating_average"], data["ratings_positive_share"]) == (3, 3.67, 0.6667)
    assert data["per_day"][-1] == {"date": "2026-03-10", "conversations": 3, "handoffs": 2}
    assert [u["text"] for u in data["unanswered"]] == ["hello <b>there</b>", "Do you sell cars?"]


def test_the_command_prints_a_readable_summary(fixed_now, capsys):
    call_command("chatbot_stats", "--shop", "acme", "--days", str(DAYS))
    out = capsys.readouterr().out
    assert "Conversations:               4" in out
    assert "Hand-off rate:               75.0% (3)" in out
    assert "Staff first response:        7m 00s median (2 of 3 hand-offs answered)" in out
    assert "CSAT:                        3.67/5, 66.7% satisfied (3 ratings)" in out
    assert "[declined]  Do you sell cars?" in out


def test_the_command_refuses_an_unknown_shop():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown shop"):
        call_command("chatbot_stats", "--shop", "nope")
