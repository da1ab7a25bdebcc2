"""bench/concurrency.py: the levels go on past the top one while a stack holds it, so the
ratio compares limits found, not a limit with a level that happened to be the last."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))  # its own imports

import concurrency


def fake_site_holding_up_to(limit: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[int]]:
    tried: list[int] = []

    async def level(base: str, n: int, server_pid: int, bare: bool = False) -> dict[str, float]:
        tried.append(n)
        p99 = 10.0 if n <= limit else 60.0
        return {"n": n, "complete": n, "delivery_p99": 5.0, "token_p99": p99}

    monkeypatch.setattr(concurrency, "level", level)
    monkeypatch.setattr(concurrency, "run_on_uvloop", asyncio.run)
    site = SimpleNamespace(servers=[(SimpleNamespace(pid=1), "http://x")])
    return site, tried


def test_the_levels_go_on_by_the_last_step_until_one_is_not_held(monkeypatch):
    site, tried = fake_site_holding_up_to(1_700, monkeypatch)
    rows = concurrency.run_levels(site, "http://x", [750, 1000, 1250], up_to=2_500)
    assert tried == [750, 1000, 1250, 1500, 1750]
    assert not concurrency.held(rows[-1])


def test_they_stop_at_the_ceiling(monkeypatch):
    site, tried = fake_site_holding_up_to(10_000, monkeypatch)
    concurrency.run_levels(site, "http://x", [500, 1000], up_to=2_000)
    assert tried == [500, 1000, 1500, 2000]


def test_a_level_not_held_ends_the_run_as_before(monkeypatch):
    site, tried = fake_site_holding_up_to(900, monkeypatch)
    concurrency.run_levels(site, "http://x", [750, 1000, 1250], up_to=2_500)
    assert tried == [750, 1000, 1250]  # the given levels are all run


def rows(held_up_to: int, levels: list[int]) -> list[dict[str, float]]:
    return [
        {"n": n, "complete": n, "delivery_p99": 5.0, "token_p99": 10.0 if n <= held_up_to else 60.0}
        for n in levels
    ]


def test_a_ratio_between_two_limits_found_is_a_measure():
    line = concurrency.ratio_line(750, 1000, rows(750, [750, 1000]), rows(1000, [750, 1000, 1250]))
    assert line.startswith("chat holds 750 of the bare stack's 1000: 75%")
    assert "not a measure" not in line


def test_a_stack_that_held_no_level_makes_the_ratio_a_bound():
    line = concurrency.ratio_line(0, 750, rows(0, [750, 1000]), rows(750, [750, 1000]))
    assert "not a measure: the chat held no level run (its limit is below 750)" in line


def test_a_stack_that_held_the_last_level_makes_the_ratio_a_bound():
    line = concurrency.ratio_line(1000, 1250, rows(1000, [750, 1000, 1250]), rows(1250, [750, 1000, 1250]))
    assert "not a measure: the bare stack held the last level run" in line
