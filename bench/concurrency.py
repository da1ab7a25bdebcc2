"""Concurrency: how many conversations one instance holds, each receiving a 10-second
streamed reply, while the token route's p99 stays ≤ 50 ms.

For each N: N shoppers open their event streams and send a message at once; the fake
assistant streams a reply of 100 deltas over 10 s to each; while those replies stream, a
probe (a new shopper each level) calls the token route 10 times a second and records its
latency. A level holds when every reply arrived whole and the probe's p99 ≤ 50 ms. Run
once on the ASGI server (uvicorn worker, as bin/serve runs it) and once on a sync baseline
(gunicorn gthread workers on the WSGI app, where each open stream holds a thread). Prints,
per level, the complete replies and the token route's p50/p99, then the largest N held
on each server and their ratio.

    python bench/concurrency.py [--levels 250,500,1000,1500] [--workers 1] [--baseline-threads 64]
        [--postgres postgres://postgres@127.0.0.1:5432 | --sqlite]

PostgreSQL by default (as in production; a throwaway database, dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path

from _chat_load import FAKE_ENV, ShopperRun, percentile, throwaway_postgres

from tests.support.live import LiveSite

REPLY_SECONDS = 10
TICKS = 100


async def probe_token_route(base: str, seconds: float) -> list[float]:
    probe = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("_token_probe.py")),
        base,
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await probe.communicate()
    return list(json.loads(out or b"[]"))


async def level(base: str, n: int) -> dict[str, float]:
    shoppers = [ShopperRun(base) for _ in range(n)]
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

    await asyncio.gather(*(send(i, s) for i, s in enumerate(ready)), return_exceptions=True)
    # The probe measures the token route while the N replies stream (not during the burst
    # of N simultaneous sends, which is a different, rarer load).
    probe = asyncio.create_task(probe_token_route(base, REPLY_SECONDS - 2))
    await asyncio.wait([asyncio.create_task(s.done.wait()) for s in ready], timeout=REPLY_SECONDS * 4)
    latencies = await probe
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
    return {
        "n": n,
        "complete": complete,
        "token_p50": percentile(latencies, 50),
        "token_p99": percentile(latencies, 99),
    }


def report(name: str, rows: list[dict[str, float]]) -> tuple[int, int]:
    """Prints the levels; returns (largest N meeting both goals, largest N whose replies all
    arrived whole whatever the token route's p99)."""
    print(f"{name}:", flush=True)
    best = whole = 0
    for row in rows:
        complete = row["complete"] == row["n"]
        ok = complete and row["token_p99"] <= 50
        best = int(row["n"]) if ok else best
        whole = int(row["n"]) if complete else whole
        print(
            f"  N={int(row['n']):5d}  complete replies {int(row['complete']):5d}  "
            f"token route p50 {row['token_p50']:.1f} ms  p99 {row['token_p99']:.1f} ms  "
            f"{'OK' if ok else 'over'}"
        )
    print(f"  largest N held (all replies whole, token p99 <= 50 ms): {best}")
    print(f"  largest N with all replies whole: {whole}")
    return best, whole


def run_levels(base: str, levels: list[int]) -> list[dict[str, float]]:
    rows = []
    for n in levels:
        row = asyncio.run(level(base, n))
        rows.append(row)
        if row["complete"] < row["n"] * 0.5:
            break  # far past the limit: larger levels only take longer
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="250,500,1000,1500")
    parser.add_argument("--baseline-levels", default="32,64,128")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--baseline-threads", type=int, default=64)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    database = contextlib.nullcontext(None) if args.sqlite else throwaway_postgres(args.postgres)
    with database as database_url:
        measure(args, database_url)


def measure(args: argparse.Namespace, database_url: str | None) -> None:
    levels = [int(x) for x in args.levels.split(",")]
    env = {
        **FAKE_ENV,
        "CHATBOT_FAKE_TICK_MS": str(REPLY_SECONDS * 1000 // TICKS),
        "CHATBOT_REPLY_WORKERS": "2000",
    }
    print(f"database: {'SQLite file' if database_url is None else 'PostgreSQL'}", flush=True)
    with LiveSite(env=env, database_url=database_url) as site:
        site.manage("migrate", "--noinput")
        asgi_rows = run_levels(site.start(workers=args.workers), levels)
        asgi_best, asgi_whole = report("ASGI (uvicorn worker)", asgi_rows)

        base = site.start(workers=args.workers, wsgi_threads=args.baseline_threads)
        baseline_levels = [int(x) for x in args.baseline_levels.split(",")]
        name = f"sync baseline (gunicorn gthread, {args.baseline_threads} threads)"
        sync_best, sync_whole = report(name, run_levels(base, baseline_levels))
    results = (("both goals", asgi_best, sync_best), ("replies whole", asgi_whole, sync_whole))
    for label, asgi, sync in results:
        ratio = f"{asgi / sync:.0f}x" if sync else "n/a (baseline held none)"
        print(f"ratio ASGI / sync ({label}): {asgi} / {sync} = {ratio}")


if __name__ == "__main__":
    main()
