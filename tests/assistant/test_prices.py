from decimal import Decimal

import pytest

from chatbot.knowledge.prices import parse_prices


@pytest.mark.parametrize(
    ("text", "low", "high", "sort"),
    [
        ("jackets under $100", None, "100", None),
        ("less than 50 dollars", None, "50", None),
        ("between 20 and 40", "20", "40", None),
        ("$20-$40 gloves", "20", "40", None),
        ("over 80 bucks", "80", None, None),
        ("at most 99.50", None, "99.50", None),
        ("200元以内的茶具", None, "200", None),
        ("100块以下", None, "100", None),
        ("50到100元", "50", "100", None),
        ("300元以上", "300", None, None),
        ("不超过150元的鞋", None, "150", None),
        ("便宜点的", None, None, "price_asc"),
        ("cheapest tent", None, None, "price_asc"),
        ("最贵的", None, None, "price_desc"),
        ("１００元以内", None, "100", None),
    ],
)
def test_price_limits(text, low, high, sort):
    from chatbot.knowledge.text import clean

    parsed = parse_prices(clean(text))
    assert parsed.min_price == (Decimal(low) if low else None)
    assert parsed.max_price == (Decimal(high) if high else None)
    assert parsed.sort == sort


@pytest.mark.parametrize("text", ["order 12345", "size 8-10", "ships in 3-5 days", "2 pairs of socks"])
def test_numbers_that_are_not_prices(text):
    assert parse_prices(text).is_empty
