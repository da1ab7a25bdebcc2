"""Price limits and price order in a shopper's message, in English and Chinese.

"under $100", "less than 50 dollars", "between 20 and 40", "$20-$40", "over 80",
"200元以内", "100块以下", "50到100元", "300元以上", "便宜点的" (cheapest first),
"most expensive". A bare number is never a price (it may be an order number or a size):
a limit needs a limit word or a currency next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CUR_BEFORE = r"(?:[$€£¥]|usd\s*|rmb\s*|cny\s*)?"
_CUR_AFTER = (
    r"(?:\s*(?:usd|dollars?|bucks?|eur|euros?|pounds?|gbp|yuan|rmb|cny|元|块钱|块|刀|美元|美金|rmb))?"
)
_NUM = r"(\d+(?:[.,]\d{1,2})?(?:\s*k\b)?)"
_AMOUNT = _CUR_BEFORE + r"\s*" + _NUM + _CUR_AFTER
# A number followed by one of these is a count or a measure, not a price.
_NOT_MONEY = r"(?!\s*(?:%|days?|weeks?|hours?|items?|pieces?|pcs|colou?rs?|sizes?|cm|mm|kg|g\b|l\b|ml|"
_NOT_MONEY += r"天|件|个|双|码|厘米|公斤|号|小时))"
_CURRENCY_WORD = re.compile(
    r"[$€£¥]|\b(?:usd|dollars?|bucks?|eur|euros?|pounds?|gbp|yuan|rmb|cny|price|budget|cost)\b|元|块|刀|美元|价",
    re.I,
)

_EN_RANGE = [
    re.compile(rf"\bbetween\s+{_AMOUNT}\s+(?:and|-|to)\s+{_AMOUNT}", re.I),
    re.compile(rf"\bfrom\s+{_AMOUNT}\s+(?:to|-|until|till)\s+{_AMOUNT}", re.I),
]
_BARE_RANGE = re.compile(rf"{_AMOUNT}\s*(?:-|–|~|to|到|至)\s*{_AMOUNT}{_NOT_MONEY}", re.I)
_EN_MAX = re.compile(
    r"\b(?:under|below|beneath|less\s+than|cheaper\s+than|lower\s+than|no\s+more\s+than|not\s+more\s+than|"
    r"at\s+most|max(?:imum)?|up\s+to|within|budget(?:\s+(?:of|is))?|not\s+over|no\s+higher\s+than)"
    rf"\s*(?:of\s+)?{_AMOUNT}{_NOT_MONEY}|<=?\s*{_AMOUNT}",
    re.I,
)
_EN_MIN = re.compile(
    r"\b(?:over|above|more\s+than|at\s+least|min(?:imum)?|higher\s+than|starting\s+at|pricier\s+than)"
    rf"\s*{_AMOUNT}{_NOT_MONEY}|>=?\s*{_AMOUNT}",
    re.I,
)
_AROUND = re.compile(rf"\b(?:around|about|roughly|approximately|approx)\s*{_AMOUNT}{_NOT_MONEY}", re.I)

_ZH_MAX = [
    re.compile(rf"{_AMOUNT}\s*(?:以内|以下|之内|内|之下)"),
    re.compile(rf"(?:(?<!不)低于|不超过|(?<!不)少于|不到|不高于|最多|(?<!不)小于|便宜于)\s*{_AMOUNT}"),
]
_ZH_MIN = [
    re.compile(rf"{_AMOUNT}\s*(?:以上|之上)"),
    re.compile(rf"(?:(?<!不)高于|(?<!不)超过|(?<!不)大于|不低于|至少|不少于)\s*{_AMOUNT}"),
]
_ZH_RANGE = re.compile(rf"(?:在\s*)?{_AMOUNT}\s*(?:和|与)\s*{_AMOUNT}\s*之间")
_ZH_AROUND = re.compile(rf"{_AMOUNT}\s*(?:左右|上下)")

_CHEAP = re.compile(
    r"\b(?:cheap|cheaper|cheapest|inexpensive|affordable|budget|low[- ]?cost|lowest\s+price|"
    r"least\s+expensive|bargain)\b|便宜|实惠|划算|低价|性价比|省钱",
    re.I,
)
_DEAR = re.compile(
    r"\b(?:most\s+expensive|priciest|highest\s+price|high[- ]end|premium|luxury)\b|最贵|贵一点|高端|高档",
    re.I,
)


@dataclass(frozen=True)
class PriceQuery:
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort: str | None = None  # "price_asc" or "price_desc"
    numbers: tuple[str, ...] = ()  # figures used here, not to be searched as words

    @property
    def is_empty(self) -> bool:
        return self.min_price is None and self.max_price is None and self.sort is None

    @property
    def has_limit(self) -> bool:
        return self.min_price is not None or self.max_price is not None


def to_amount(raw: str) -> Decimal | None:
    text = raw.strip().lower().replace(" ", "")
    factor = Decimal(1)
    if text.endswith("k"):
        factor = Decimal(1000)
        text = text[:-1]
    # "1,299" is a thousands separator; "12,50" a decimal comma.
    if "," in text:
        head, _, tail = text.partition(",")
        text = head + ("." + tail if len(tail) <= 2 else tail)
    try:
        value = Decimal(text) * factor
    except InvalidOperation:
        return None
    return value if value >= 0 else None


def parse_prices(text: str) -> PriceQuery:
    lowered = text.lower()
    low: Decimal | None = None
    high: Decimal | None = None
    numbers: list[str] = []

    def take(*raw: str) -> list[Decimal]:
        values = []
        for r in raw:
            amount = to_amount(r)
            if amount is not None:
                values.append(amount)
                numbers.append(r.strip())
        return values

    range_match = None
    for pattern in (*_EN_RANGE, _ZH_RANGE):
        range_match = pattern.search(lowered)
        if range_match:
            break
    if range_match is None:
        candidate = _BARE_RANGE.search(lowered)
        if candidate and _CURRENCY_WORD.search(lowered):
            range_match = candidate
    if range_match:
        values = take(range_match.group(1), range_match.group(2))
        if len(values) == 2:
            low, high = min(values), max(values)
    else:
        around = _AROUND.search(lowered) or _ZH_AROUND.search(lowered)
        if around and _CURRENCY_WORD.search(lowered):
            values = take(around.group(1))
            if values:
                low, high = values[0] * Decimal("0.8"), values[0] * Decimal("1.2")
        for pattern in (_EN_MAX, *_ZH_MAX):
            match = pattern.search(lowered)
            if match:
                values = take(next(g for g in match.groups() if g))
                if values:
                    high = values[0]
                break
        for pattern in (_EN_MIN, *_ZH_MIN):
            match = pattern.search(lowered)
            if match:
                values = take(next(g for g in match.groups() if g))
                if values:
                    low = values[0]
                break
    sort = None
    if _DEAR.search(lowered):
        sort = "price_desc"
    elif _CHEAP.search(lowered):
        sort = "price_asc"
    if low is not None and high is not None and low > high:
        low, high = high, low
    return PriceQuery(min_price=low, max_price=high, sort=sort, numbers=tuple(numbers))
