"""Reply latency: the delay from an assistant emitting a delta to a browser's SSE client
receiving it, at many concurrent conversations.

A fake assistant (TickingAssistant, named in bench/_chat_load.py's FAKE_ENV) emits a delta
every 20 ms carrying its emission time; N shoppers each send a message at once and read
their event streams on a real ASGI server (tests.support.live.LiveSite, a throwaway SQLite
database). Prints n, p50, p95, p99, max and mean of the delay in ms per run, and with
``--runs 3`` the median of the runs' p50 and p99 with their range, and the load average
before each run. ``--redis`` runs two server processes on Redis (REDIS_URL, else
redis://127.0.0.1:6379/14): the shoppers' streams on one, their messages — so the replies —
on the other, every event crossing Redis.
Goals: p50 <= 5 ms, p99 <= 20 ms at 100 and 500 conversations in one process; through
Redis with two processes, p50 <= 10 ms, p99 <= 50 ms at 100.

    python bench/reply_latency.py [--conversations 100,500] [--runs 3] [--ticks 50] [--tick-ms 20]
        [--redis] [--postgres SERVER_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time

from _chat_load import FAKE_ENV, ShopperRun, percentile, run_on_uvloop, summary, throwaway_postgres
from machine import describe as describe_machine

from tests.support.live import LiveSite


async def run(
    base: str, conversations: int, ticks: int, replies_base: str = ""
) -> tuple[list[float], list[float]]:
    """Every delta's delay, and those of deltas emitted once every message was accepted
    (the replies streaming side by side, no longer sharing the server with the burst of
    500 messages arriving at once)."""
    shoppers = [ShopperRun(base) for _ in range(conversations)]
    await asyncio.gather(*(s.open() for s in shoppers))
    listeners = [asyncio.create_task(s.listen()) for s in shoppers]
    await asyncio.gather(*(asyncio.wait_for(s.connected.wait(), 30) for s in shoppers))
    await asyncio.gather(
        *(
            s.post(
                "/api/chatbot/stream-message",
                {"text": f"ticks:{ticks}", "clientMessageId": f"b{i}"},
                base=replies_base,
            )
            for i, s in enumerate(shoppers)
        )
    )
    all_accepted = time.time()
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in shoppers)), timeout=120)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in shoppers), return_exceptions=True)
    failed = [s.failed for s in shoppers if s.failed]
    if failed:
        print(f"  {len(failed)} replies failed, e.g. {failed[0][:200]}")
    delays = [d for s in shoppers for d in s.delays_ms]
    steady = [
        d for s in shoppers for d, at in zip(s.delays_ms, s.emitted_at, strict=True) if at > all_accepted
    ]
    return delays, steady


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", default="100,500")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--ticks", type=int, default=50)
    parser.add_argument("--tick-ms", type=int, default=20)
    parser.add_argument("--redis", action="store_true", help="two processes on Redis (REDIS_URL or local)")
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        help="a throwaway PostgreSQL database on this server (e.g. postgres://postgres@127.0.0.1:5432), "
        "as production runs, instead of a SQLite file",
    )
    args = parser.parse_args()
    env = {
        **FAKE_ENV,
        "CHATBOT_FAKE_TICK_MS": str(args.tick_ms),
        "REDIS_URL": (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14") if args.redis else "",
    }
    engine = "Redis, streams on one process and replies on another" if args.redis else "in-process hub"
    engine += ", PostgreSQL" if args.postgres else ", SQLite"
    for n in [int(x) for x in args.conversations.split(",")]:
        print(f"reply latency, {n} concurrent conversations, a delta every {args.tick_ms} ms, {engine}:")
        p50s: list[float] = []
        p99s: list[float] = []
        steady_p50s: list[float] = []
        steady_p99s: list[float] = []
        for run_no in range(1, args.runs + 1):
            load = os.getloadavg()[0]  # before the machine's measure adds its own work
            print(f"  {describe_machine()}", flush=True)
            database = throwaway_postgres(args.postgres) if args.postgres else contextlib.nullcontext(None)
            with database as database_url, LiveSite(env=env, database_url=database_url) as site:
                site.manage("migrate", "--noinput")
                base = site.start()
                replies = site.start() if args.redis else ""
                delays, steady = run_on_uvloop(run(base, n, args.ticks, replies))
            p50s.append(percentile(delays, 50))
            p99s.append(percentile(delays, 99))
            steady_p50s.append(percentile(steady, 50))
            steady_p99s.append(percentile(steady, 99))
            print(f"  run {run_no} (load average before {load:.2f}): {summary(delays)}", flush=True)
            print(f"    of which emitted after every message was accepted: {summary(steady)}", flush=True)
        if args.runs > 1:
            print(
                f"  median of {args.runs} runs: p50 {statistics.median(p50s):.2f} ms "
                f"({min(p50s):.2f}-{max(p50s):.2f}), p99 {statistics.median(p99s):.2f} ms "
                f"({min(p99s):.2f}-{max(p99s):.2f})",
                flush=True,
            )
            print(
                f"  after every message was accepted: p50 {statistics.median(steady_p50s):.2f} ms "
                f"({min(steady_p50s):.2f}-{max(steady_p50s):.2f}), "
                f"p99 {statistics.median(steady_p99s):.2f} ms "
                f"({min(steady_p99s):.2f}-{max(steady_p99s):.2f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
