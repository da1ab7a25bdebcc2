"""Route cost: the server's CPU time per request, route by route, one request at a time.

The server is the one bench/load.py drives (uvicorn worker, demo data, the built-in
assistant); requests go one after another so each one's CPU time (user + system of the
server process, from /proc) is its own. A message's cost includes its reply, which the
server computes in the background (the script waits for it). From the costs and
bench/load.py's mix it prints the mixed request rate one fully busy core could serve —
the ceiling a load run meets, whatever the event loop does.

    python bench/route_cost.py [--requests 60] [--runs 3] [--postgres SERVER_URL] [--redis]

``--postgres … --redis`` is the configuration bench/load.py's reference run uses (and
production: the cache, limits and events in Redis).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._chat_load import cpu_seconds, emptied_redis, throwaway_postgres  # noqa: E402
from bench.load import MIX, SITE_ENV  # noqa: E402
from bench.machine import describe as describe_machine  # noqa: E402
from tests.support.live import LiveSite  # noqa: E402

PAGES = ["/s/demo/", "/s/demo/products/?q=tent", "/s/demo/p/NW-TNT-2P-GRN/"]


def visitor(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    csrf = secrets.token_hex(16)
    client.cookies.set("csrftoken", csrf)
    client.headers.update({"X-CSRFToken": csrf, "Referer": base + "/"})
    return client


def events(client: httpx.Client) -> httpx.Response:
    with client.stream("GET", "/api/chatbot/events?shop=demo") as response:
        for _line in response.iter_lines():
            break
    return response


ROUTES: dict[str, tuple[bool, Callable[[httpx.Client, int], httpx.Response]]] = {
    # name: (the visitor has a chat first, one request)
    "page": (False, lambda c, i: c.get(PAGES[i % len(PAGES)])),
    "token": (False, lambda c, i: c.post("/api/chatbot/stream-chat-token", json={"shop": "demo"})),
    "history": (True, lambda c, i: c.get("/api/chatbot/history?shop=demo")),
    "message": (
        True,
        lambda c, i: c.post(
            "/api/chatbot/stream-message",
            json={"shop": "demo", "text": "Do you have tents?", "clientMessageId": f"r{i}"},
        ),
    ),
    "events": (True, lambda c, i: events(c)),
}


def one_run(base: str, pid: int, requests: int) -> dict[str, float]:
    costs: dict[str, float] = {}
    for name, (with_chat, call) in ROUTES.items():
        clients = [visitor(base) for _ in range(requests)]
        if with_chat:
            for client in clients:
                client.post("/api/chatbot/stream-chat-token", json={"shop": "demo"}).raise_for_status()
        time.sleep(0.5)
        before = cpu_seconds(pid)
        for i, client in enumerate(clients):
            response = call(client, i)
            if response.status_code >= 300:
                raise SystemExit(f"{name}: {response.status_code} {response.text[:200]}")
        if name == "message":
            time.sleep(3)  # the replies finish in the background
        costs[name] = (cpu_seconds(pid) - before) * 1000 / requests
        for client in clients:
            client.close()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=60, help="per route and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default="", help="server URL; the site gets a throwaway database there")
    parser.add_argument(
        "--redis",
        action="store_true",
        help="cache, limits and events in Redis (REDIS_URL, else redis://127.0.0.1:6379/11, emptied first)",
    )
    args = parser.parse_args()
    site_env = dict(SITE_ENV)
    if args.redis:
        site_env["REDIS_URL"] = emptied_redis("redis://127.0.0.1:6379/11")
    runs: list[dict[str, float]] = []
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_postgres(args.postgres)) if args.postgres else None
        live = stack.enter_context(LiveSite(env=site_env, database_url=database_url))
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        base = live.start()
        pid = live.servers[-1][0].pid
        warm = visitor(base)
        for _ in range(3):
            warm.get("/s/demo/")
            body = {"shop": "demo", "text": "hi", "clientMessageId": "w"}
            warm.post("/api/chatbot/stream-message", json=body)
        time.sleep(2)
        where = (database_url or "SQLite") + (f", Redis {site_env['REDIS_URL']}" if args.redis else "")
        print(f"server CPU per request, ms (one at a time, {args.requests} per route; {where})")
        for n in range(args.runs):
            load = os.getloadavg()[0]  # before the machine's measure adds its own work
            print(f"  {describe_machine()}", flush=True)
            costs = one_run(base, pid, args.requests)
            runs.append(costs)
            figures = ", ".join(f"{k} {v:.2f}" for k, v in costs.items())
            print(f"  run {n + 1} (load average before {load:.2f}): {figures}")
    median = {name: statistics.median(r[name] for r in runs) for name in ROUTES}
    spread = {name: (min(r[name] for r in runs), max(r[name] for r in runs)) for name in ROUTES}
    figures = ", ".join(f"{k} {median[k]:.2f} ({spread[k][0]:.2f}-{spread[k][1]:.2f})" for k in ROUTES)
    print(f"  median (range): {figures}")
    mixed = sum(MIX[name] * median[name] for name in ROUTES) / sum(MIX.values())
    print(f"  bench/load.py's mix {MIX}: {mixed:.2f} ms a request")
    print(f"  -> one fully busy core serves at most {1000 / mixed:.0f} mixed req/s")


if __name__ == "__main__":
    main()
