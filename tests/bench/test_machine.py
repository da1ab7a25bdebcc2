"""bench/machine.py: the machine's speed printed beside every bench figure."""

from __future__ import annotations

import re
import time

from bench import machine


def test_the_workload_takes_longer_when_repeated_more() -> None:
    short, long = machine.python_work(20), machine.python_work(2_000)
    assert 0 < short < long


def test_two_at_once_times_the_slower_of_two_simultaneous_runs() -> None:
    assert machine.two_at_once() > 0


def test_a_hand_off_is_a_round_trip_through_another_thread() -> None:
    assert 0 < machine.hand_off(100) < 0.1  # seconds a trip


def test_describe_prints_every_measure_and_the_load_average() -> None:
    started = time.perf_counter()
    line = machine.describe(machine.measure(rounds=1))
    assert re.fullmatch(
        r"machine: python \d+ ms, two at once \d+\.\d\dx, thread hand-off \d+ us "
        r"\(bench/machine\.py; load average \d+\.\d\d\)",
        line,
    ), line
    assert time.perf_counter() - started < 30  # cheap enough to run before every bench
