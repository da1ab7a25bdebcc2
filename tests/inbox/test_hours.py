import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from chatbot.inbox import hours


def test_reads_what_shop_owners_write():
    spans = hours.parse("Mon-Fri 09:00-18:00; Sat 10:00–14:00")
    assert spans[0].days == (0, 1, 2, 3, 4) and spans[0].start == dt.time(9) and spans[0].end == dt.time(18)
    assert spans[1].days == (5,)
    assert hours.parse("周一至周五 9:00-18:00")[0].days == (0, 1, 2, 3, 4)
    assert hours.parse("") == ()


@pytest.mark.parametrize(
    "text, says",
    [
        ("Mon-Fri 9-18", "Could not read 'Mon-Fri 9-18'"),
        ("Mon-Fri 09:00-25:00", "Impossible time"),
        ("Sat 18:00-09:00", "closing time must be after the opening time"),
    ],
)
def test_says_which_part_is_wrong(text, says):
    with translation.override("en"), pytest.raises(ValidationError) as err:
        hours.parse(text)
    with translation.override("en"):
        assert says in err.value.messages[0]


def test_open_or_not_in_the_shops_timezone():
    text = "Mon-Fri 09:00-18:00"
    monday_8_utc = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # a Monday
    assert not hours.is_open(text, "UTC", monday_8_utc)
    assert hours.is_open(text, "Europe/Berlin", monday_8_utc)  # 09:00 in Berlin
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    assert not hours.is_open(text, "UTC", saturday)
    assert hours.is_open("", "UTC", saturday)  # no hours written: always reachable


def test_shown_in_the_shoppers_language():
    text = "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
    assert hours.describe(text, "en") == "Mon–Fri 09:00–18:00; Sat 10:00–14:00"
    assert hours.describe(text, "zh-hans") == "周一至周五 09:00–18:00；周六 10:00–14:00"
