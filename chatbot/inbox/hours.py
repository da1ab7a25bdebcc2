"""A shop's business hours, written the way people write them and read by the code.

The format is what a shop owner types in admin: day ranges and time ranges separated by
``;`` or ``,``, e.g. ``Mon-Fri 09:00-18:00; Sat 10:00-14:00``. Days are English
abbreviations (Mon..Sun) or Chinese (周一..周日); dashes may be ``-``, ``–`` or ``至``. Empty
means "no hours given": staff are treated as reachable at any time. Times are in the
shop's timezone (``ShopChatSettings.timezone``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_DAY_NAMES = {name.lower(): i for names in (DAYS_EN, DAYS_ZH) for i, name in enumerate(names)}
_DAY_NAMES.update({"周天": 6, "星期日": 6, **{f"星期{c}": i for i, c in enumerate("一二三四五六")}})
_DASH = r"\s*(?:-|–|—|~|至|到)\s*"
_DAY = r"[A-Za-z]{3}|周[一二三四五六日天]|星期[一二三四五六日]"
_TIME = r"\d{1,2}:\d{2}"
_PART = re.compile(rf"^(?P<d1>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?\s+(?P<t1>{_TIME}){_DASH}(?P<t2>{_TIME})$")

EXAMPLE = "Mon-Fri 09:00-18:00; Sat 10:00-14:00"


@dataclass(frozen=True)
class Span:
    days: tuple[int, ...]  # 0 = Monday
    start: dt.time
    end: dt.time  # exclusive; 24:00 is written 23:59


def _time(text: str) -> dt.time:
    hour, minute = (int(x) for x in text.split(":"))
    if hour == 24 and minute == 0:
        return dt.time(23, 59, 59)
    return dt.time(hour, minute)  # ValueError for 25:00 or 10:75


def parse(text: str) -> tuple[Span, ...]:
    """The spans of ``text``; raises ValidationError saying which part is wrong."""
    spans: list[Span] = []
    for raw in re.split(r"[;,，；\n]+", text or ""):
        part = raw.strip()
        if not part:
            continue
        match = _PART.match(part)
        first = _DAY_NAMES.get((match.group("d1") if match else "").lower())
        if match is None or first is None:
            raise ValidationError(
                _("Could not read %(part)r. Write days and hours like: %(example)s."),
                params={"part": part, "example": EXAMPLE},
                code="hours",
            )
        last = _DAY_NAMES.get((match.group("d2") or match.group("d1")).lower())
        if last is None:
            raise ValidationError(
                _("Unknown day in %(part)r. Use Mon, Tue, Wed, Thu, Fri, Sat, Sun."),
                params={"part": part},
                code="hours",
            )
        try:
            start, end = _time(match.group("t1")), _time(match.group("t2"))
        except ValueError:
            raise ValidationError(
                _("Impossible time in %(part)r."), params={"part": part}, code="hours"
            ) from None
        if end <= start:
            raise ValidationError(
                _("In %(part)r the closing time must be after the opening time."),
                params={"part": part},
                code="hours",
            )
        days = tuple(range(first, last + 1)) if first <= last else (*range(first, 7), *range(0, last + 1))
        spans.append(Span(days, start, end))
    return tuple(spans)


def validate_hours(text: str) -> None:
    parse(text)


def validate_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("Unknown timezone %(name)r. Use a name such as Europe/Berlin or Asia/Shanghai."),
            params={"name": name},
            code="timezone",
        ) from None


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def is_open(text: str, timezone_name: str, now: dt.datetime) -> bool:
    """Whether staff are within hours at ``now`` (aware). No hours written: always."""
    try:
        spans = parse(text)
    except ValidationError:
        return True  # admin validates; an old unreadable value must not hide staff
    if not spans:
        return True
    local = now.astimezone(zone(timezone_name))
    moment = local.time()
    return any(local.weekday() in s.days and s.start <= moment < s.end for s in spans)


def describe(text: str, language: str) -> str:
    """The hours in the shopper's language: ``Mon–Fri 09:00–18:00`` / ``周一至周五 09:00–18:00``."""
    try:
        spans = parse(text)
    except ValidationError:
        return text
    zh = language.lower().startswith("zh")
    names = DAYS_ZH if zh else DAYS_EN
    out = []
    for span in spans:
        first, last = names[span.days[0]], names[span.days[-1]]
        days = first if len(span.days) == 1 else f"{first}{'至' if zh else '–'}{last}"
        end = "24:00" if span.end == dt.time(23, 59, 59) else span.end.strftime("%H:%M")
        out.append(f"{days} {span.start.strftime('%H:%M')}–{end}")
    return ("；" if zh else "; ").join(out)
