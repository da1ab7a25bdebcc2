"""The machine's own speed, printed beside the figures of the other benches.

Sessions run on machines of the same kind that are not equally fast: the same commit gave
``bench/load.py`` 179 req/s on one and 100-128 on another, and a 1,000-stream level of
``bench/concurrency.py`` held on one and failed by three times the limit on the other. The
load average says what else ran; this says how fast the machine itself was, so that two
figures taken on different machines can be told apart from a change in the code.

Three measures, each the median of ``--rounds`` (default 5):

- **python**: milliseconds for a fixed single-threaded workload of the kind a request does
  (JSON in and out, string formatting, dicts, a regular expression) in one process.
- **two at once**: the same workload in two processes at the same time, their slower time
  over the single one: 1.0 means two whole cores; 2.0, one core shared.
- **hand-off**: microseconds for a round trip between two threads of one process, each
  waking the other and waiting (a thread taking the GIL from another, as the server's event
  loop and its request threads do at every turn).

    python bench/machine.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import threading
import time

WORDS = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
RECORD = {
    "id": 12345,
    "role": "assistant",
    "text": "Here is what I found: Ridgeline 2 Backpacking Tent, $329.00, in stock",
    "products": [{"sku": f"NW-{i:04d}", "name": f"Item {i}", "price": "19.90", "stock": i} for i in range(8)],
}


def python_work(repeat: int = 2_000) -> float:
    """Seconds for the fixed workload."""
    started = time.perf_counter()
    for i in range(repeat):
        encoded = json.dumps(RECORD)
        decoded = json.loads(encoded)
        words = WORDS.findall(decoded["text"].lower())
        index: dict[str, int] = {}
        for word in words:
            index[word] = index.get(word, 0) + 1
        rows = [f"<li>{p['name']} — {p['price']} ({p['stock']})</li>" for p in decoded["products"]]
        "".join(rows).encode()
        sorted(index.items(), key=lambda item: (-item[1], item[0]))
        str(i) * 3
    return time.perf_counter() - started


def _timed(queue: multiprocessing.Queue[float], start: float) -> None:
    # Both processes start the work at the same wall-clock moment.
    while time.time() < start:
        time.sleep(0.001)
    queue.put(python_work())


def two_at_once() -> float:
    """The slower of two simultaneous runs, in seconds."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[float] = context.Queue()
    start = time.time() + 0.2
    workers = [context.Process(target=_timed, args=(queue, start)) for _ in range(2)]
    for worker in workers:
        worker.start()
    times = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    return max(times)


def hand_off(trips: int = 2_000) -> float:
    """Seconds per round trip between two threads."""
    ping, pong = threading.Event(), threading.Event()

    def other() -> None:
        for _ in range(trips):
            ping.wait()
            ping.clear()
            pong.set()

    thread = threading.Thread(target=other)
    thread.start()
    started = time.perf_counter()
    for _ in range(trips):
        ping.set()
        pong.wait()
        pong.clear()
    elapsed = time.perf_counter() - started
    thread.join()
    return elapsed / trips


def measure(rounds: int = 5) -> dict[str, float]:
    load = os.getloadavg()[0]  # before this measure's own work raises it
    python_work(200)  # warm
    single = statistics.median(python_work() for _ in range(rounds))
    double = statistics.median(two_at_once() for _ in range(rounds))
    trip = statistics.median(hand_off() for _ in range(rounds))
    return {
        "python_ms": single * 1000,
        "two_at_once": double / single,
        "hand_off_us": trip * 1e6,
        "load": load,
    }


def describe(figures: dict[str, float] | None = None) -> str:
    """One line for the head of a bench's output."""
    f = figures or measure()
    return (
        f"machine: python {f['python_ms']:.0f} ms, two at once {f['two_at_once']:.2f}x, "
        f"thread hand-off {f['hand_off_us']:.0f} us (bench/machine.py; load average {f['load']:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(describe(measure(args.rounds)))


if __name__ == "__main__":
    main()
