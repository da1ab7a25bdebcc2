"""bench/machine.py: the machine's speed printed beside every bench figure."""

from __future__ import annotations

import re
import threading
import time

from bench import machine


def test_the_workload_takes_longer_when_repeated_more() -> None:
    short, long = machine.python_work(50), machine.python_work(500)
    assert 0 < short < long


def test_two_at_once_times_the_slower_of_two_simultaneous_runs() -> None:
    assert machine.two_at_once() > 0


def test_a_hand_off_is_slower_when_the_other_thread_must_first_wait_for_the_gil() -> None:
    quiet = machine.hand_off(200)
    stop = threading.Event()

    def busy() -> None:  # a thread that always wants the GIL, as a busy event loop does
        while not stop.is_set():
            sum(range(1000))

    hog = threading.Thread(target=busy)
    hog.start()
    try:
        contended = machine.hand_off(50)
    finally:
        stop.set()
        hog.join()
    assert contended > quiet


def test_describe_prints_every_measure_and_the_load_average() -> None:
    started = time.perf_counter()
    line = machine.describe(machine.measure(rounds=1))
    assert re.fullmatch(
        r"machine: python \d+ ms, two at once \d+\.\d\dx, thread hand-off \d+ us "
        r"\(bench/machine\.py; load average \d+\.\d\d\)",
        line,
    ), line
    assert time.perf_counter() - started < 30  # cheap enough to run before every bench
