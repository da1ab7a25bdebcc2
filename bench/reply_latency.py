"""Reply latency: the delay from an assistant emitting a delta to a browser's SSE client
receiving it, at many concurrent conversations.

A fake assistant (TickingAssistant, named in bench/_chat_load.py's FAKE_ENV) emits a delta
every 20 ms carrying its emission time; N shoppers each send a message at once and read
their event streams on a real ASGI server (tests.support.live.LiveSite, a throwaway SQLite
database). Prints n, p50, p95, p99, max and mean of the delay in ms. With --redis the
events go through the Redis hub (REDIS_URL, else redis://127.0.0.1:6379/14) instead of the
in-process one.
Goal: p50 ≤ 5 ms, p99 ≤ 20 ms at 100 concurrent conversations.

    python bench/reply_latency.py [--conversations 100] [--ticks 50] [--tick-ms 20] [--redis]
"""

from __future__ import annotations

import argparse
import asyncio
import os

from _chat_load import FAKE_ENV, ShopperRun, summary

from tests.support.live import LiveSite


async def run(base: str, conversations: int, ticks: int) -> list[float]:
    shoppers = [ShopperRun(base) for _ in range(conversations)]
    await asyncio.gather(*(s.open() for s in shoppers))
    listeners = [asyncio.create_task(s.listen()) for s in shoppers]
    await asyncio.gather(*(asyncio.wait_for(s.connected.wait(), 30) for s in shoppers))
    await asyncio.gather(
        *(
            s.post("/api/chatbot/stream-message", {"text": f"ticks:{ticks}", "clientMessageId": f"b{i}"})
            for i, s in enumerate(shoppers)
        )
    )
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in shoppers)), timeout=120)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in shoppers), return_exceptions=True)
    failed = [s.failed for s in shoppers if s.failed]
    if failed:
        print(f"  {len(failed)} replies failed, e.g. {failed[0][:200]}")
    return [d for s in shoppers for d in s.delays_ms]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--ticks", type=int, default=50)
    parser.add_argument("--tick-ms", type=int, default=20)
    parser.add_argument("--redis", action="store_true", help="fan out through Redis (REDIS_URL or local)")
    args = parser.parse_args()
    env = {
        **FAKE_ENV,
        "CHATBOT_FAKE_TICK_MS": str(args.tick_ms),
        "REDIS_URL": (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14") if args.redis else "",
    }
    with LiveSite(env=env) as site:
        site.manage("migrate", "--noinput")
        base = site.start()
        delays = asyncio.run(run(base, args.conversations, args.ticks))
    engine = "redis pub/sub" if args.redis else "in-process hub"
    print(
        f"reply latency, {args.conversations} concurrent conversations, "
        f"a delta every {args.tick_ms} ms, {engine}:"
    )
    print(f"  emission -> SSE client (ms): {summary(delays)}")


if __name__ == "__main__":
    main()
