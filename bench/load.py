"""Sale-day load: a bounded, open-loop asyncio client sends mixed traffic at a fixed rate to
the real server and the demo shop, then checks nothing was lost.

The server is the one production runs (uvicorn worker, ``tests.support.live.LiveSite``)
on the demo data (``load_demo``), with the built-in assistant answering from the demo
catalog. Visitors (each its own cookies) make, at ``--rate`` requests per second in all
for ``--seconds``: shop pages, token calls, messages (each with its own id), history
reads and event streams (opened, read to their first line, closed: the figure is the time
to it). The client (bench/_raw_http.py: httptools on asyncio streams, on uvloop; it shares
the machine's cores with the server) is open-loop (a slow server does not slow the offered
load) and bounded (``--max-in-flight``: past it a request is counted as *shed by the
client*, not queued).

Printed: offered and achieved rate; per route n, errors, p50/p95/p99/max in ms; the
server's RSS before (after a warm-up) and after; and, once replies have settled, messages
acknowledged vs stored (lost, duplicated). Exit code 1 on any error or lost message.

    python bench/load.py                            # 200 req/s for 60 s, 200 visitors
    python bench/load.py --rate 20 --seconds 5 --visitors 20          # a smoke run
    python bench/load.py --postgres postgres://postgres@127.0.0.1:5432
    python bench/load.py --postgres … --workers 2 --redis --rounds 3   # memory: leak or plateau
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._chat_load import (  # noqa: E402
    cpu_seconds,
    emptied_redis,
    percentile,
    postgres_cpu_seconds,
    process_cpu_seconds,
    rss_kib,
    run_on_uvloop,
    throwaway_postgres,
)
from bench._raw_http import HttpError, RawClient, Response  # noqa: E402
from bench.machine import describe as describe_machine  # noqa: E402
from tests.support.live import LiveSite  # noqa: E402

MIX = {"page": 30, "token": 15, "message": 20, "history": 25, "events": 10}
PAGES = ["/s/demo/", "/s/demo/products/", "/s/demo/products/?q=tent", "/s/demo/p/NW-TNT-2P-GRN/"]
QUESTIONS = ["Do you have tents?", "What is your return policy?", "rain jacket under $100", "hi", "shipping?"]
SITE_ENV = {
    "CHATBOT_ASSISTANT": "local",
    "CHATBOT_RATE_LIMIT": "1000000",
    "CHATBOT_TOKEN_RATE_LIMIT": "1000000",
    # Every visitor comes from 127.0.0.1: lift the per-address limits.
    "CHATBOT_ADDRESS_RATE_LIMIT": "1000000",
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": "1000000",
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "1000000",
    "CHATBOT_MAX_QUEUED_REPLIES": "1000000",
    "LOG_LEVEL": "WARNING",
    "DEBUG": "false",
    "REDIS_URL": "",
}


class Visitor:
    def __init__(self, base: str, n: int) -> None:
        self.base = base
        self.n = n
        self.csrf = secrets.token_hex(16)
        self.client = RawClient(base, timeout=30)
        self.client.cookies["csrftoken"] = self.csrf
        self.acked: list[str] = []
        self.has_chat = False

    async def post(self, path: str, body: dict) -> Response:
        return await self.client.post(
            path,
            {"shop": "demo", **body},
            headers={"X-CSRFToken": self.csrf, "Referer": self.base + "/"},
        )

    async def do(self, route: str) -> tuple[bool, str]:
        """One request of ``route``; (ok, what went wrong)."""
        if route in ("history", "events") and not self.has_chat:
            route = "token"  # a visitor opens the chat before reading it
        if route == "page":
            response = await self.client.get(random.choice(PAGES))
        elif route == "token":
            response = await self.post("/api/chatbot/stream-chat-token", {})
            self.has_chat = self.has_chat or response.status_code == 200
        elif route == "message":
            cid = f"L{self.n}-{secrets.token_hex(5)}"
            response = await self.post(
                "/api/chatbot/stream-message", {"text": random.choice(QUESTIONS), "clientMessageId": cid}
            )
            if response.status_code < 300:
                self.acked.append(cid)
                self.has_chat = True
        elif route == "history":
            response = await self.client.get("/api/chatbot/history?shop=demo")
        else:
            # Opened, read to its first line, closed.
            response = await self.client.get("/api/chatbot/events?shop=demo", first_line=True)
        if response.status_code >= 400:
            return False, f"{route} {response.status_code}"
        return True, ""


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server, this client, PostgreSQL and Redis: they share the
    machine, so what the client and the stores take is not the server's to use."""
    return {
        "server": cpu_seconds(server_pid),
        "client": time.process_time(),
        "PostgreSQL": postgres_cpu_seconds(),
        "Redis": process_cpu_seconds("redis-server"),
    }


async def run(args: argparse.Namespace, base: str, pid: int) -> int:
    rng = random.Random(args.seed)
    random.seed(args.seed)
    visitors = [Visitor(base, n) for n in range(args.visitors)]
    routes = list(MIX)
    weights = [MIX[r] for r in routes]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    shed = 0
    in_flight = asyncio.Semaphore(args.max_in_flight)
    tasks: set[asyncio.Task[None]] = set()

    async def one(visitor: Visitor, route: str) -> None:
        started = time.perf_counter()
        try:
            ok, problem = await visitor.do(route)
        except (HttpError, TimeoutError) as exc:
            ok, problem = False, f"{route} {type(exc).__name__}"
        finally:
            in_flight.release()
        latencies[route].append((time.perf_counter() - started) * 1000)
        if not ok:
            errors[problem] += 1

    # Warm-up: every visitor's page and chat, then the "before" memory figure.
    await asyncio.gather(*(v.client.get("/s/demo/") for v in visitors))
    await asyncio.gather(*(v.post("/api/chatbot/stream-chat-token", {}) for v in visitors))
    for v in visitors:
        v.has_chat = True
    rss_before = rss_kib(pid)
    cpu_before = cpu_split(pid)

    total = int(args.rate * args.seconds)
    interval = 1 / args.rate
    start = time.perf_counter()
    for i in range(total):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight.locked():
            shed += 1
            continue
        await in_flight.acquire()
        route = rng.choices(routes, weights)[0]
        task = asyncio.create_task(one(rng.choice(visitors), route))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sending = time.perf_counter() - start
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    rss_after = rss_kib(pid)
    cpu_used = {k: v - cpu_before[k] for k, v in cpu_split(pid).items()}

    # Lost messages: every acknowledged id is in its visitor's history, once.
    await asyncio.sleep(args.settle)
    acked = stored = dups = 0
    for v in visitors:
        if not v.acked:
            continue
        history = (await v.client.get("/api/chatbot/history?shop=demo&limit=200")).json()["messages"]
        ids = Counter(m.get("clientMessageId") for m in history if m["role"] == "shopper")
        acked += len(v.acked)
        stored += sum(1 for cid in v.acked if ids[cid] >= 1)
        dups += sum(1 for cid in v.acked if ids[cid] > 1)
    for v in visitors:
        await v.client.aclose()

    done = sum(len(v) for v in latencies.values())
    print(
        f"offered {args.rate:g} req/s for {args.seconds:g} s ({total} requests, sent in {sending:.1f} s); "
        f"completed {done} in {elapsed:.1f} s = {done / elapsed:.1f} req/s; shed by the client {shed}"
    )
    print()
    print(f"{'route':9} {'n':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for route in routes:
        values = latencies[route]
        n_err = sum(c for k, c in errors.items() if k.startswith(route + " "))
        p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
        worst = max(values) if values else float("nan")
        print(f"{route:9} {len(values):6} {n_err:6} {p50:8.1f} {p95:8.1f} {p99:8.1f} {worst:8.1f}")
    print()
    print(
        f"server RSS before {rss_before / 1024:.1f} MiB, after {rss_after / 1024:.1f} MiB "
        f"({(rss_after - rss_before) / 1024:+.1f} MiB)"
    )
    print(
        "CPU while the load ran, in cores: "
        + ", ".join(f"{k} {v / elapsed:.2f}" for k, v in cpu_used.items())
        + f" (the machine has {os.cpu_count()})"
    )
    print(f"messages acknowledged {acked}, stored {stored}, lost {acked - stored}, duplicated {dups}")
    if errors:
        print("errors: " + ", ".join(f"{k} x{v}" for k, v in errors.most_common(8)))
    return 1 if errors or acked != stored or dups or shed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200, help="requests per second, all routes")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument(
        "--max-in-flight", type=int, default=400, help="client bound; beyond it requests are shed"
    )
    parser.add_argument(
        "--settle", type=float, default=5, help="seconds for replies to finish before checking"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (RSS counts them all)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs against the same server, its memory printed after each"
    )
    parser.add_argument(
        "--idle", type=float, default=10, help="seconds idle before each round's memory figure"
    )
    parser.add_argument("--postgres", default="", help="server URL; the site gets a throwaway database there")
    parser.add_argument(
        "--redis",
        action="store_true",
        help="the workers share events, limits and caches through Redis (REDIS_URL, else "
        "redis://127.0.0.1:6379/11, emptied first), as production runs more than one",
    )
    args = parser.parse_args()
    site_env = dict(SITE_ENV)
    if args.redis:
        site_env["REDIS_URL"] = emptied_redis("redis://127.0.0.1:6379/11")
    # Before and after: the machine's speed moves within a run's minutes too.
    print(describe_machine() + ", before", flush=True)
    try:
        return serve_and_run(args, site_env)
    finally:
        print(describe_machine() + ", after", flush=True)


def serve_and_run(args: argparse.Namespace, site_env: dict[str, str]) -> int:
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_postgres(args.postgres)) if args.postgres else None
        live = stack.enter_context(LiveSite(env=site_env, database_url=database_url))
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        base = live.start(workers=args.workers)
        pid = live.servers[-1][0].pid
        print(
            f"server {base} (pid {pid}, {args.workers} worker(s)), database {database_url or 'SQLite file'}, "
            f"Redis {site_env['REDIS_URL'] or 'none'}, {args.visitors} visitors, mix {MIX}"
        )
        code, first_seed = 0, args.seed
        for round_ in range(args.rounds):
            if args.rounds > 1:
                print(f"\n-- round {round_ + 1} of {args.rounds}")
            args.seed = first_seed + round_
            code |= run_on_uvloop(run(args, base, pid))
            if args.rounds > 1:
                # After the replies settled and some idle: what the server keeps, not what
                # is in flight. Growth round after round is a leak; a plateau is not.
                time.sleep(args.idle)
                print(f"server RSS after {args.idle:g} s idle: {rss_kib(pid) / 1024:.1f} MiB")
        log = live.log(base)
        print(f"server log: {log.count('Traceback')} tracebacks, {log.count(' ERROR ')} ERROR lines")
        return code


if __name__ == "__main__":
    sys.exit(main())
