"""A server-rendered SVG bar chart for the Numbers page: no JavaScript, no library.

Only numbers and dates go into it (never a shopper's text), and every value passes
through ``format_html``, so the markup is safe by construction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .stats import Day

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 12, 36


def _n(value: float) -> str:
    """A coordinate: one decimal is plenty (format_html escapes, so numbers go in as text)."""
    return f"{value:.1f}"


def _nice_max(value: int) -> int:
    """The axis top: the smallest of 1, 2, 4, 5, 8 × 10^k that is at least ``value``."""
    top = 1
    while True:
        for step in (1, 2, 4, 5, 8):
            if step * top >= value:
                return step * top
        top *= 10


def conversations_chart(days: Sequence[Day], *, title: str, legend: tuple[str, str]) -> SafeString:
    """Bars: conversations per day; a darker inner bar: the hand-offs of that day."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max([d.conversations for d in days] + [1]))
    slot = plot_w / max(len(days), 1)
    bar_w = max(2.0, slot * 0.7)
    label_every = max(1, round(len(days) / 10))

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    bars = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar_w) / 2
        tip = f"{day.date:%Y-%m-%d}: {day.conversations} / {day.handoffs}"
        bars.append(
            format_html(
                "<g><title>{}</title>"
                '<rect class="conv" x="{}" y="{}" width="{}" height="{}"/>'
                '<rect class="handoff" x="{}" y="{}" width="{}" height="{}"/></g>',
                tip,
                _n(x),
                _n(y(day.conversations)),
                _n(bar_w),
                _n(plot_h * day.conversations / top),
                _n(x + bar_w * 0.2),
                _n(y(day.handoffs)),
                _n(bar_w * 0.6),
                _n(plot_h * day.handoffs / top),
            )
        )
        if i % label_every == 0 or i == len(days) - 1:
            bars.append(
                format_html(
                    '<text class="day" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x + bar_w / 2),
                    HEIGHT - BOTTOM + 16,
                    f"{day.date:%m-%d}",
                )
            )
    ticks = format_html_join(
        "",
        '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, WIDTH - RIGHT, _n(y(v)), _n(y(v)), LEFT - 6, _n(y(v) + 4), v) for v in (0, top // 2, top)),
    )
    return format_html(
        '<svg class="chatbot-chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">'
        "<style>.conv{{fill:#90caf9}}.handoff{{fill:#e53935}}.grid{{stroke:#ccc;stroke-width:1}}"
        ".tick,.day,.legend{{font:11px sans-serif;fill:#555}}</style>"
        "{}{}"
        '<rect class="conv" x="{}" y="{}" width="10" height="10"/>'
        '<text class="legend" x="{}" y="{}">{}</text>'
        '<rect class="handoff" x="{}" y="{}" width="10" height="10"/>'
        '<text class="legend" x="{}" y="{}">{}</text>'
        "</svg>",
        WIDTH,
        HEIGHT,
        title,
        ticks,
        SafeString("".join(bars)),
        LEFT,
        HEIGHT - 12,
        LEFT + 14,
        HEIGHT - 3,
        legend[0],
        LEFT + 180,
        HEIGHT - 12,
        LEFT + 194,
        HEIGHT - 3,
        legend[1],
    )
