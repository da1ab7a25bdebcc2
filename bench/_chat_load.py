"""Shared by bench/reply_latency.py and bench/concurrency.py, not run on its own.

``ShopperRun`` is one simulated shopper on a real server (tests.support.live.LiveSite):
it calls the token route, opens the event stream, sends a message and records, for every
``reply.delta``, the delay from the fake assistant's emission time (carried in the delta's
text) to its arrival.

The event stream is read by ``read_event_stream``: a plain HTTP/1.1 reader on an asyncio
socket, not httpx. These benches run the server and hundreds of shoppers on the same two
cores, and httpx's line iterator cost the client as much CPU as the server spent on the
whole reply path (500 streams: 28 s of client CPU for 27.5 s of server CPU), so the figures
measured the client as much as the server. Browsers are on other machines; the reader here
costs a few microseconds per event. Every run's client runs on uvloop (``run_on_uvloop``) for the
same reason. ``FAKE_ENV`` runs the site on the in-memory shop and the ticking
fake assistant it names, with every rate limit lifted, since all shoppers share one
address; ``throwaway_postgres`` makes a PostgreSQL database that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

T = TypeVar("T")

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


def emptied_redis(default_url: str) -> str:
    """``REDIS_URL``, else ``default_url``, emptied first: the site under test starts with
    no keys (limits, slots, events) left by an earlier run."""
    import redis

    url = os.environ.get("REDIS_URL") or default_url
    redis.Redis.from_url(url).flushdb()
    return url


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


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [int(child) for child in path.read_text().split()]
    return []


def _stat_cpu_seconds(stat: str) -> float:
    """User + system CPU time from a ``/proc/<pid>/stat`` line."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """A server's resident memory: the process and its children (the workers, with
    ``--workers`` above 1)."""
    total = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total + sum(rss_kib(child) for child in _children(pid))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) of a process and its children."""
    total = 0.0
    with contextlib.suppress(OSError):
        total = _stat_cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
    return total + sum(cpu_seconds(child) for child in _children(pid))


def process_cpu_seconds(name: str) -> float:
    """CPU time of every process on this machine with this command name."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] == name:
                total += _stat_cpu_seconds(text)
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine (the benches' database)."""
    return process_cpu_seconds("postgres")


def run_on_uvloop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop: the client's own loop costs less of the shared CPU."""
    return uvloop.run(main)


async def read_event_stream(
    base: str,
    path: str,
    cookies: dict[str, str],
    on_event: Callable[[str, str], bool],
    connected: asyncio.Event,
) -> None:
    """GET ``path`` as an event stream and call ``on_event(event, data)`` for each event
    until it returns True. Raises on a status other than 200 or a closed stream."""
    url = httpx.URL(base)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(url.host, url.port), 30)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nAccept: text/event-stream\r\n"
        f"Cookie: {cookie}\r\n\r\n".encode()
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        status = head.split(b" ", 2)[1]
        if status != b"200":
            raise RuntimeError(f"event stream answered {status.decode()}: {head[:200]!r}")
        chunked = b"transfer-encoding: chunked" in head.lower()
        body = b""  # de-chunked bytes not yet split into lines
        raw = b""  # bytes read, not yet de-chunked
        event = ""
        ended = False
        while not ended:
            data = await reader.read(65536)
            if not data:
                raise RuntimeError("the event stream closed")
            connected.set()
            if chunked:
                raw += data
                while True:  # take whole chunks: size line, bytes, CRLF
                    end = raw.find(b"\r\n")
                    if end < 0:
                        break
                    size = int(raw[:end], 16)
                    if len(raw) < end + 2 + size + 2:
                        break
                    body += raw[end + 2 : end + 2 + size]
                    raw = raw[end + 2 + size + 2 :]
                    if size == 0:
                        ended = True
                        break
            else:
                body += data
            *lines, body = body.split(b"\n")
            for line in lines:
                if line.startswith(b"event: "):
                    event = line[7:].decode()
                elif line.startswith(b"data: ") and on_event(event, line[6:].decode()):
                    return
        raise RuntimeError("the event stream ended")
    finally:
        writer.close()


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
        path = f"/api/chatbot/events?shop={self.shop}"  # the session cookie authorises it
        cookies = {c.name: c.value or "" for c in self.client.cookies.jar}
        try:
            await read_event_stream(self.base, path, cookies, self.on_event, self.connected)
        except Exception as exc:  # a dropped stream is a result, not a crash of the run
            self.failed = repr(exc)
            self.done.set()

    def on_event(self, event: str, data: str) -> bool:
        """One event of the stream; True once the reply has ended."""
        if event == "reply.delta":
            received = time.time()
            text = json.loads(data)["text"]
            emitted = float(text.split("@", 1)[1].rstrip("]"))
            self.delays_ms.append((received - emitted) * 1000)
            self.emitted_at.append(emitted)
            self.deltas += 1
        elif event in ("reply.done", "reply.failed"):
            if event == "reply.failed":
                self.failed = data
            self.done.set()
            return True
        return False

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
