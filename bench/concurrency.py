"""Concurrency: how many conversations one instance holds, each receiving a 20-second
streamed reply of 400 deltas (20 a second), compared with the bare stack it runs on.

For each N: N shoppers open their event streams and send a message at once; the fake
assistant streams its reply to each; a probe (its own process) calls the token route 10
times a second from the sends to the end. A level is *held* when every reply arrived
whole, the delivery delay (assistant emission -> SSE client) has p99 <= 50 ms, and the
token route's p99 <= 50 ms while all N replies stream (from every shopper's first delta to
the first reply's end: 15-20 s, 150-200 calls). The token route during the N simultaneous
sends and reply starts before that is printed apart: a burst of N at once is a different,
rarer load (at 1,000 on the reference machine it lasts about 15 s). Also printed: the CPU
of the server, of this client and of PostgreSQL while the replies stream, as a share of
one core (they share the machine's cores), and the server's memory with every stream open.

The same client then runs against a bare Django project (bench/bare_sse: one async SSE
view emitting 20 events a second per connection, one trivial JSON view for the probe, no
middleware, no database) on the same server (uvicorn), and the bench prints the largest N
each holds and their ratio (goal: the chat holds at least 70 % of the bare stack's N).
While a stack holds the last level given, the levels go on by the last step (up to
``--up-to``, by default twice the last level), so that each stack's limit is found rather
than hidden above the top level; a ratio with a stack still held at its last level is
printed as not a measure.
``--runs 3`` repeats everything and prints the median and range of each figure, with the
load average before each run.

    python bench/concurrency.py [--levels 500,1000,1500,2000] [--runs 3] [--workers 1]
        [--postgres postgres://postgres@127.0.0.1:5432 | --sqlite] [--redis] [--sync-baseline]

PostgreSQL by default (as in production; a throwaway database, dropped afterwards).
``--sync-baseline`` also runs the chat on gunicorn gthread workers (each open stream holds
a thread), the comparison earlier READMEs gave.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _chat_load import (
    FAKE_ENV,
    ShopperRun,
    cpu_seconds,
    emptied_redis,
    percentile,
    postgres_cpu_seconds,
    rss_kib,
    run_on_uvloop,
    throwaway_postgres,
)
from machine import describe as describe_machine

from tests.support.live import LiveSite

REPLY_SECONDS = 20
TICKS = 400  # 20 deltas a second
GOAL_MS = 50.0


class BareRun(ShopperRun):
    """The same client against the bare stack: no token route, the stream starts itself."""

    async def open(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.base, timeout=httpx.Timeout(60, connect=30))
        self.token = {}


class TokenProbe:
    """bench/_token_probe.py in its own process: calls the token route 10 times a second
    from ``start`` to ``stop``, which returns each call's wall-clock start and latency."""

    async def start(self, base: str) -> TokenProbe:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).with_name("_token_probe.py")),
            base,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return self

    async def stop(self) -> list[tuple[float, float]]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # the probe's signal to print and end
        out, _ = await self.proc.communicate()
        return [(float(t), float(ms)) for t, ms in json.loads(out or b"[]")]


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def cpu_now(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (with its workers), this client and PostgreSQL."""
    return {"server": cpu_seconds(server_pid), "client": time.process_time(), "db": postgres_cpu_seconds()}


async def level(base: str, n: int, server_pid: int, bare: bool = False) -> dict[str, float]:
    shoppers = [BareRun(base) if bare else ShopperRun(base) for _ in range(n)]
    sem = asyncio.Semaphore(100)

    async def open_one(s: ShopperRun) -> None:
        async with sem:
            await s.open()

    await asyncio.gather(*(open_one(s) for s in shoppers), return_exceptions=True)
    ready = [s for s in shoppers if s.token is not None]
    listeners = [asyncio.create_task(s.listen()) for s in ready]
    await asyncio.wait([asyncio.create_task(s.connected.wait()) for s in ready], timeout=30)

    async def send(i: int, s: ShopperRun) -> None:
        async with sem:
            await s.post(
                "/api/chatbot/stream-message", {"text": f"ticks:{TICKS}", "clientMessageId": f"c{i}"}
            )

    probe = await TokenProbe().start(base)
    sends_at = time.time()
    if not bare:  # the bare stream started when it connected
        await asyncio.gather(*(send(i, s) for i, s in enumerate(ready)), return_exceptions=True)
    # The token route is judged while all N replies stream: from the moment every shopper
    # has its reply's first delta until the first reply ends. Before that, the N sends and
    # the N reply starts (each a few database round trips, queued on the reply workers)
    # are a burst of their own, a different and rarer load: its figure is printed apart.
    await wait_until(lambda: all(s.deltas or s.done.is_set() for s in ready), REPLY_SECONDS)
    streaming_at = time.time()
    # What the streaming costs and who pays: server, this client, the database (all on
    # the same cores; the client's share is CPU a real deployment's server would keep).
    cpu_before, since = cpu_now(server_pid), time.monotonic()
    rss_mib = rss_kib(server_pid) / 1024  # every stream open, every reply running
    await wait_until(lambda: any(s.done.is_set() for s in ready), REPLY_SECONDS * 2)
    streaming_until, streamed = time.time(), time.monotonic() - since
    # No window (the first reply ended before the last one started: far past the limit): no
    # CPU share to give, rather than a ratio of two near-zero durations.
    cpu_share = {
        k: (v - cpu_before[k]) / streamed * 100 if streamed >= 1.0 else float("nan")
        for k, v in cpu_now(server_pid).items()
    }
    await asyncio.wait([asyncio.create_task(s.done.wait()) for s in ready], timeout=REPLY_SECONDS * 3)
    samples = await probe.stop()
    burst = [ms for t, ms in samples if sends_at <= t < streaming_at]
    latencies = [ms for t, ms in samples if streaming_at <= t and t + ms / 1000 <= streaming_until]
    complete = sum(1 for s in ready if s.done.is_set() and not s.failed and s.deltas == TICKS)
    problems = [
        s.failed or f"done={s.done.is_set()} deltas={s.deltas}"
        for s in ready
        if s.failed or s.deltas != TICKS
    ]
    if problems or len(ready) < n:
        print(f"    N={n}: {n - len(ready)} without a token, {len(problems)} incomplete, e.g. {problems[:3]}")
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in shoppers), return_exceptions=True)
    delays = [d for s in ready for d in s.delays_ms]
    return {
        "n": n,
        "complete": complete,
        "delivery_p50": percentile(delays, 50),
        "delivery_p99": percentile(delays, 99),
        "token_p50": percentile(latencies, 50),
        "token_p99": percentile(latencies, 99),
        "token_n": len(latencies),
        "burst_token_p50": percentile(burst, 50),
        "burst_token_p99": percentile(burst, 99),
        "starts_s": streaming_at - sends_at,
        "server_cpu_pct": cpu_share["server"],
        "client_cpu_pct": cpu_share["client"],
        "db_cpu_pct": cpu_share["db"],
        "server_rss_mib": rss_mib,
    }


def held(row: dict[str, float]) -> bool:
    return row["complete"] == row["n"] and row["delivery_p99"] <= GOAL_MS and row["token_p99"] <= GOAL_MS


def report(name: str, rows: list[dict[str, float]]) -> int:
    """Prints the levels; returns the largest N held."""
    print(f"{name}:", flush=True)
    best = 0
    for row in rows:
        ok = held(row)
        best = int(row["n"]) if ok else best
        print(
            f"  N={int(row['n']):5d}  complete {int(row['complete']):5d}  "
            f"delivery p50 {row['delivery_p50']:.1f} p99 {row['delivery_p99']:.1f} ms  "
            f"token route p50 {row['token_p50']:.1f} p99 {row['token_p99']:.1f} ms  "
            f"{'held' if ok else 'over'}\n"
            f"           token route while every reply streams: {int(row['token_n'])} calls; during the "
            f"sends and reply starts ({row['starts_s']:.1f} s): p50 {row['burst_token_p50']:.1f} "
            f"p99 {row['burst_token_p99']:.1f} ms\n"
            f"           while streaming: CPU server {row['server_cpu_pct']:.0f} %, client "
            f"{row['client_cpu_pct']:.0f} %, PostgreSQL {row['db_cpu_pct']:.0f} % of one core; "
            f"server RSS {row['server_rss_mib']:.0f} MiB",
            flush=True,
        )
    print(f"  largest N held: {best}", flush=True)
    return best


def ratio_line(
    chat: int, bare: int, chat_rows: list[dict[str, float]], bare_rows: list[dict[str, float]]
) -> str:
    """The ratio as printed. A stack that held the last level run has its limit above it, one
    that held no level has its limit below the first: either way the ratio is only a bound."""
    ratio = chat / bare if bare else float("nan")
    notes = [
        f"{name} held the last level run"
        for rows, name in ((bare_rows, "the bare stack"), (chat_rows, "the chat"))
        if rows and held(rows[-1])
    ]
    notes += [
        f"{name} held no level run (its limit is below {int(rows[0]['n'])})"
        for rows, name, best in ((chat_rows, "the chat", chat), (bare_rows, "the bare stack", bare))
        if rows and best == 0
    ]
    bound = f" (not a measure: {' and '.join(notes)})" if notes else ""
    return f"chat holds {chat} of the bare stack's {bare}: {ratio:.0%}{bound} (goal >= 70 %)"


def run_levels(
    site: LiveSite, base: str, levels: list[int], bare: bool = False, up_to: int = 0
) -> list[dict[str, float]]:
    """Runs the levels in order; while the last one is held, goes on by the last step
    (up to ``up_to``), so that each stack's limit is found, not hidden by the top level."""
    server_pid = next(proc.pid for proc, url in site.servers if url == base)
    rows: list[dict[str, float]] = []
    levels = list(levels)
    step = levels[-1] - levels[-2] if len(levels) > 1 else levels[-1]
    i = 0
    while i < len(levels):
        row = run_on_uvloop(level(base, levels[i], server_pid, bare))
        rows.append(row)
        if not held(row) and (row["complete"] < row["n"] * 0.9 or row["delivery_p99"] > 10 * GOAL_MS):
            break  # far past the limit: larger levels only take longer
        if i == len(levels) - 1 and held(row) and step > 0 and levels[i] + step <= up_to:
            levels.append(levels[i] + step)
        i += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="500,1000,1500,2000")
    parser.add_argument(
        "--up-to",
        type=int,
        default=0,
        help="while the top level is held, go on by the last step up to this N "
        "(default: twice the top level; the top level itself to stop there)",
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--redis",
        action="store_true",
        help="the chat on Redis (REDIS_URL, else redis://127.0.0.1:6379/12, emptied first), "
        "as production runs more than one worker; use with --workers 2",
    )
    parser.add_argument("--sync-baseline", action="store_true")
    parser.add_argument("--baseline-levels", default="32,64,128")
    parser.add_argument("--baseline-threads", type=int, default=64)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    results: list[dict[str, float]] = []
    for run in range(1, args.runs + 1):
        print(f"run {run} of {args.runs}, load average before: {os.getloadavg()[0]:.2f}", flush=True)
        print(describe_machine(), flush=True)
        database = contextlib.nullcontext(None) if args.sqlite else throwaway_postgres(args.postgres)
        with database as database_url:
            results.append(measure(args, database_url))
    if args.runs > 1:
        print(f"median of {args.runs} runs (range):")
        for key in results[0]:
            values = [r[key] for r in results]
            print(f"  {key}: {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})")


def measure(args: argparse.Namespace, database_url: str | None) -> dict[str, float]:
    levels = [int(x) for x in args.levels.split(",")]
    up_to = args.up_to or 2 * levels[-1]
    env = {**FAKE_ENV, "CHATBOT_FAKE_TICK_MS": str(REPLY_SECONDS * 1000 // TICKS)}
    if args.redis:
        env["REDIS_URL"] = emptied_redis("redis://127.0.0.1:6379/12")
    print(
        f"database: {'SQLite file' if database_url is None else 'PostgreSQL'}; "
        f"{args.workers} worker(s){', events through Redis' if args.redis else ''}",
        flush=True,
    )
    with LiveSite(env=env, database_url=database_url) as site:
        site.manage("migrate", "--noinput")
        chat_rows = run_levels(site, site.start(workers=args.workers), levels, up_to=up_to)
        chat = report("chat (ASGI, uvicorn worker)", chat_rows)
        bare_env = {"DJANGO_SETTINGS_MODULE": "bench.bare_sse.settings", "BARE_TICKS": str(TICKS)}
        bare_app = "bench.bare_sse.asgi:application"
        bare_base = site.start(workers=args.workers, extra_env=bare_env, app=bare_app)
        bare_rows = run_levels(site, bare_base, levels, True, up_to=up_to)
        bare = report("bare Django async SSE view (same server, same client)", bare_rows)
        if args.sync_baseline:
            base = site.start(workers=args.workers, wsgi_threads=args.baseline_threads)
            baseline_levels = [int(x) for x in args.baseline_levels.split(",")]
            name = f"sync baseline (gunicorn gthread, {args.baseline_threads} threads)"
            report(name, run_levels(site, base, baseline_levels))
    ratio = chat / bare if bare else float("nan")
    print(ratio_line(chat, bare, chat_rows, bare_rows), flush=True)
    at_1000 = next((r for r in chat_rows if r["n"] == 1000), None)
    summary = {"chat_held": float(chat), "bare_held": float(bare), "ratio_pct": ratio * 100}
    if at_1000 is not None:
        summary.update({f"chat_1000_{k}": v for k, v in at_1000.items() if k != "n"})
    return summary


if __name__ == "__main__":
    main()
