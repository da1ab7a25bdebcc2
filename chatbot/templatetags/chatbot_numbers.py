"""Filters of the admin's Numbers page: shares as percentages, seconds as durations."""

from __future__ import annotations

from django import template

from .. import stats

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    return stats.format_share(share)


@register.filter
def duration(seconds: float | None) -> str:
    return stats.format_duration(seconds)
