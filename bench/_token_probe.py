"""Calls the token route 10 times a second until its standard input closes, from its own
process (so the load generator's event loop cannot delay the measurement); then prints
``[[started, ms], ...]`` as JSON: each call's wall-clock start (``time.time()``, so the
caller can place it in its own phases) and latency, a failed call counting as 10,000 ms.
Started by bench/concurrency.py; by hand (Ctrl-D ends it):

    python bench/_token_probe.py BASE_URL
"""

from __future__ import annotations

import json
import secrets
import select
import sys
import time

import requests


def stdin_closed() -> bool:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable) and not sys.stdin.buffer.read1(1)


def main() -> None:
    base = sys.argv[1]
    session = requests.Session()
    csrf = secrets.token_hex(16)
    session.cookies.set("csrftoken", csrf, domain="127.0.0.1")
    headers = {"X-CSRFToken": csrf, "Referer": base + "/"}
    samples: list[tuple[float, float]] = []
    while not stdin_closed():
        wall, started = time.time(), time.perf_counter()
        try:
            ok = session.post(
                base + "/api/chatbot/stream-chat-token", json={"shop": "acme"}, headers=headers, timeout=10
            ).ok
        except requests.RequestException:
            ok = False
        samples.append((wall, (time.perf_counter() - started) * 1000 if ok else 10_000.0))
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))
    print(json.dumps(samples))


if __name__ == "__main__":
    main()
