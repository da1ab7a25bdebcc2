"""Shared by bench/reply_latency.py and bench/concurrency.py, not run on its own.

``ShopperRun`` is one simulated shopper on a real server (tests.support.live.LiveSite):
it calls the token route, opens the event stream, sends a message and records, for every
``reply.delta``, the delay from the fake assistant's emission time (carried in the delta's
text) to its arrival. ``FAKE_ENV`` runs the site on the in-memory shop and the ticking
fake assistant it names, with every rate limit lifted, since all shoppers share one
address; ``throwaway_postgres`` makes a PostgreSQL database that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FAKE_ENV = {
    "CHATBOT_SHOP_ADAPTER": "tests.support.shops.MemoryShopAdapter",
    "CHATBOT_ASSISTANT": "tests.support.assistants.TickingAssistant",
    "CHATBOT_RATE_LIMIT": "100000",
    "CHATBOT_TOKEN_RATE_LIMIT": "100000",
    # Every simulated shopper comes from 127.0.0.1: lift the per-address limits.
    "CHATBOT_ADDRESS_RATE_LIMIT": "100000",
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": "100000",
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "100000",
    "CHATBOT_MAX_QUEUED_REPLIES": "100000",
    "LOG_LEVEL": "WARNING",
}


@contextlib.contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on ``server_url`` (e.g. postgres://postgres@127.0.0.1:5432),
    dropped afterwards."""
    import psycopg

    name = f"chatbot_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={percentile(values, 50):.2f} p95={percentile(values, 95):.2f} "
        f"p99={percentile(values, 99):.2f} max={max(values) if values else float('nan'):.2f} "
        f"mean={statistics.fmean(values) if values else float('nan'):.2f}"
    )


@dataclass
class ShopperRun:
    base: str
    shop: str = "acme"
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))
    client: httpx.AsyncClient | None = None
    token: dict | None = None
    delays_ms: list[float] = field(default_factory=list)
    emitted_at: list[float] = field(default_factory=list)  # when each delay's delta was emitted
    done: asyncio.Event = field(default_factory=asyncio.Event)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    deltas: int = 0
    failed: str = ""

    async def open(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.base, timeout=httpx.Timeout(60, connect=30))
        self.client.cookies.set("csrftoken", self.csrf)
        started = time.perf_counter()
        response = await self.post("/api/chatbot/stream-chat-token", {})
        self.token_ms = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        self.token = response.json()

    async def post(self, path: str, body: dict, base: str = "") -> httpx.Response:
        """POST to this shopper's server, or to ``base`` (another process of the same
        site: the session cookie is the same for every port of 127.0.0.1)."""
        assert self.client is not None
        return await self.client.post(
            (base + path) if base else path,
            json={"shop": self.shop, **body},
            headers={"X-CSRFToken": self.csrf, "Referer": self.base + "/"},
        )

    async def listen(self) -> None:
        assert self.client is not None and self.token is not None
        url = f"/api/chatbot/events?shop={self.shop}"  # the session cookie authorises it
        try:
            async with self.client.stream("GET", url, timeout=httpx.Timeout(None, connect=30)) as response:
                event = ""
                async for line in response.aiter_lines():
                    self.connected.set()
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "reply.delta":
                        received = time.time()
                        text = json.loads(line[6:])["text"]
                        emitted = float(text.split("@", 1)[1].rstrip("]"))
                        self.delays_ms.append((received - emitted) * 1000)
                        self.emitted_at.append(emitted)
                        self.deltas += 1
                    elif line.startswith("data: ") and event in ("reply.done", "reply.failed"):
                        if event == "reply.failed":
                            self.failed = line
                        self.done.set()
                        return
        except Exception as exc:  # a dropped stream is a result, not a crash of the run
            self.failed = repr(exc)
            self.done.set()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
