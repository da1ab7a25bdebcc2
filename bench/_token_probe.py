"""Calls the token route 10 times a second for a while, from its own process (so the load
generator's event loop cannot delay the measurement); prints the latencies (ms) as JSON,
a failed call counting as 10,000 ms. Started by bench/concurrency.py; by hand:

    python bench/_token_probe.py BASE_URL SECONDS
"""

from __future__ import annotations

import json
import secrets
import sys
import time

import requests


def main() -> None:
    base, seconds = sys.argv[1], float(sys.argv[2])
    session = requests.Session()
    csrf = secrets.token_hex(16)
    session.cookies.set("csrftoken", csrf, domain="127.0.0.1")
    headers = {"X-CSRFToken": csrf, "Referer": base + "/"}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            ok = session.post(
                base + "/api/chatbot/stream-chat-token", json={"shop": "acme"}, headers=headers, timeout=10
            ).ok
        except requests.RequestException:
            ok = False
        latencies.append((time.perf_counter() - started) * 1000 if ok else 10_000.0)
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - started)))
    print(json.dumps(latencies))


if __name__ == "__main__":
    main()
