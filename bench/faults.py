"""Faults against the running server: does every shopper message survive, once, and does
every reply end where the shopper can see it and retry it?

The real ASGI server (uvicorn, as ``bin/serve`` runs it; ``tests.support.live.LiveSite``)
on loopback, the OpenAI-compatible assistant talking to a local fake upstream whose
behaviour each phase switches, and a private ``redis-server`` on its own port (never the
shared one on 6379). Simulated shoppers send messages and, like the widget, resend the
same ``clientMessageId`` after an error or a dropped connection. Phases:

- ``ok``        the upstream answers normally (baseline)
- ``500``       the upstream answers 500
- ``timeout``   the upstream sends its headers and then nothing (the assistant's read
                timeout is 60 s: this phase takes minutes)
- ``reset``     the upstream resets the connection mid-stream (TCP RST)
- ``trickle``   the upstream sends a valid answer one byte at a time (``--trickle-rate``
                bytes per second; at 1 B/s a reply takes about 150 s)
- ``redis``     the private Redis is stopped while messages and replies are in flight,
                then started again
- ``db``        PostgreSQL only (``--postgres``): every connection of the site's database
                is terminated mid-run (what a database restart looks like to the app);
                on SQLite there is no server to restart and the phase is reported n/a
- ``kill``      the server is SIGKILLed mid-reply and a new one started on the database

Afterwards, with the upstream healthy: every message that got a 2xx is stored, exactly
once (clients retried with the same id); every reply reaches a final state; each failed or
interrupted reply, retried by resending its message, is answered. One table per run.

    python bench/faults.py                       # all phases, 10 shoppers x 2 messages
    python bench/faults.py --shoppers 3 --messages 1 --phases ok,500,reset,kill --trickle-rate 40
    python bench/faults.py --postgres postgres://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._chat_load import throwaway_postgres  # noqa: E402
from tests.assistants_contract.upstream import FakeUpstream, Recorded, Reply  # noqa: E402
from tests.support.live import LiveSite, free_port  # noqa: E402

ALL_PHASES = ["ok", "500", "timeout", "reset", "trickle", "redis", "db", "kill"]
FINAL = {"done", "failed", "interrupted", "stopped"}
RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}

SITE_ENV = {
    "CHATBOT_SHOP_ADAPTER": "tests.support.shops.MemoryShopAdapter",
    "CHATBOT_ASSISTANT": "openai",
    "OPENAI_MODEL": "fake-model",
    "OPENAI_API_KEY": "",
    "CHATBOT_REPLY_LEASE_SECONDS": "3",
    "CHATBOT_RATE_LIMIT": "100000",
    "CHATBOT_TOKEN_RATE_LIMIT": "100000",
    "CHATBOT_ADDRESS_RATE_LIMIT": "100000",
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": "100000",
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "100000",
    "CHATBOT_MAX_QUEUED_REPLIES": "100000",
    "LOG_LEVEL": "WARNING",
    "DEBUG": "false",
}


# ------------------------------------------------------------------- the faked upstream


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


def answer(words: int = 3) -> list[bytes]:
    parts = [_chunk({"role": "assistant", "content": ""})]
    parts += [_chunk({"content": f"word{i} "}) for i in range(words)]
    return [*parts, _chunk({}, "stop"), b"data: [DONE]\n\n"]


class Upstream:
    """An OpenAI-compatible ``/v1/chat/completions`` whose behaviour is ``mode``."""

    def __init__(self, hang: float, trickle_rate: float) -> None:
        self.mode = "ok"
        self.hang = hang
        self.trickle_rate = trickle_rate
        self.calls: Counter[str] = Counter()

    def routes(self) -> dict[str, Any]:
        return {"/v1/chat/completions": self.completions}

    def completions(self, request: Recorded) -> Reply:
        self.calls[self.mode] += 1
        if self.mode == "500":
            return Reply.json({"error": {"message": "upstream exploded", "code": "server_error"}}, status=500)
        if self.mode == "timeout":
            return Reply.sse([b"", *answer()], chunk_delay=self.hang)  # headers, then silence
        if self.mode == "reset":
            return Reply.sse(answer(3)[:3], reset=True)
        if self.mode == "trickle":
            data = b"".join(answer(1))
            return Reply.sse([data[i : i + 1] for i in range(len(data))], chunk_delay=1 / self.trickle_rate)
        if self.mode == "slow":  # long enough to be killed mid-reply
            return Reply.sse(answer(40), chunk_delay=0.1)
        return Reply.sse(answer())


# ----------------------------------------------------------------------- a private Redis


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            time.sleep(0.05)
        raise SystemExit("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


# --------------------------------------------------------------------------- the shoppers


@dataclass
class Sent:
    phase: str
    cid: str
    text: str
    acked: bool = False
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class Site:
    """The current server; ``kill`` replaces it, so clients read ``base`` each attempt."""

    def __init__(self, live: LiveSite) -> None:
        self.live = live
        self.base = live.start()

    def kill_and_restart(self, down_seconds: float) -> None:
        proc = self.live.servers[-1][0]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        time.sleep(down_seconds)
        self.base = self.live.start()


class Shopper:
    def __init__(self, site: Site, n: int) -> None:
        self.site = site
        self.n = n
        self.csrf = secrets.token_hex(16)
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(20, connect=5))
        self.client.cookies.set("csrftoken", self.csrf)
        self.sent: list[Sent] = []

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        base = self.site.base
        return await self.client.post(
            base + path,
            json={"shop": "acme", **body},
            headers={"X-CSRFToken": self.csrf, "Referer": base + "/"},
        )

    async def send(self, phase: str, text: str, cid: str, attempts: int) -> Sent:
        sent = Sent(phase, cid, text)
        self.sent.append(sent)
        for attempt in range(attempts):
            sent.attempts = attempt + 1
            try:
                response = await self.post(
                    "/api/chatbot/stream-message", {"text": text, "clientMessageId": cid}
                )
            except httpx.HTTPError as exc:
                sent.errors.append(type(exc).__name__)
            else:
                if response.status_code < 300:
                    sent.acked = True
                    return sent
                sent.errors.append(str(response.status_code))
                if response.status_code not in RETRY_STATUSES:
                    return sent
            await asyncio.sleep(min(4.0, 0.5 * 2**attempt))  # the widget's backoff
        return sent

    async def history(self) -> list[dict[str, Any]]:
        response = await self.client.get(f"{self.site.base}/api/chatbot/history?shop=acme&limit=200")
        response.raise_for_status()
        return list(response.json()["messages"])


def latest_reply(messages: list[dict[str, Any]], shopper_message_id: int) -> dict[str, Any] | None:
    replies = [m for m in messages if m["role"] == "assistant" and m.get("replyTo") == shopper_message_id]
    return max(replies, key=lambda m: m["id"]) if replies else None


# ------------------------------------------------------------------------------ the phases


async def run_phase(
    phase: str, shoppers: list[Shopper], args: argparse.Namespace, ctx: dict[str, Any]
) -> str | None:
    upstream: Upstream = ctx["upstream"]
    site: Site = ctx["site"]
    if phase == "db" and not args.postgres:
        return "n/a: SQLite file, no database server to restart (use --postgres)"
    upstream.mode = {"kill": "slow", "redis": "slow", "db": "slow"}.get(phase, phase)

    async def shop(shopper: Shopper) -> None:
        # Messages spread over the phase's window, so some are sent while the fault lasts
        # (the server down, Redis stopped) and are resent by the client.
        gap = args.window / max(1, args.messages)
        await asyncio.sleep(gap * shopper.n / max(1, len(shoppers)))
        for i in range(args.messages):
            cid = f"{phase}-{shopper.n}-{i}-{secrets.token_hex(3)}"
            sending = shopper.send(
                phase, f"{phase} question {i} from shopper {shopper.n}", cid, args.attempts
            )
            # The next message does not wait for this one's retries.
            tasks.append(asyncio.ensure_future(sending))
            await asyncio.sleep(gap)

    async def fault() -> None:
        await asyncio.sleep(args.fault_after)
        if phase == "kill":
            await asyncio.to_thread(site.kill_and_restart, args.down)
        elif phase == "redis":
            ctx["redis"].stop()
            await asyncio.sleep(args.down)
            ctx["redis"].start()
        elif phase == "db":
            await asyncio.to_thread(terminate_backends, args.postgres, ctx["database_url"])

    tasks: list[Any] = []
    await asyncio.gather(fault(), *(shop(s) for s in shoppers))
    await asyncio.gather(*tasks)
    # The phase's replies end before the next phase starts, so each fault is counted
    # against its own phase (a later kill would otherwise interrupt them).
    await settle(shoppers, args.settle, phase=phase)
    upstream.mode = "ok"
    return None


def terminate_backends(server_url: str, database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


async def settle(
    shoppers: list[Shopper], timeout: float, phase: str | None = None
) -> dict[str, dict[str, Any]]:
    """Waits until every acknowledged message's reply (of ``phase``, or all) is final;
    the last state of each."""
    deadline = time.monotonic() + timeout
    while True:
        states: dict[str, dict[str, Any]] = {}
        pending = 0
        for shopper in shoppers:
            try:
                messages = await shopper.history()
            except httpx.HTTPError:
                pending += 1
                continue
            by_cid: dict[str, list[dict[str, Any]]] = {}
            for m in messages:
                if m["role"] == "shopper" and m.get("clientMessageId"):
                    by_cid.setdefault(m["clientMessageId"], []).append(m)
            for sent in shopper.sent:
                stored = by_cid.get(sent.cid, [])
                reply = latest_reply(messages, stored[0]["id"]) if stored else None
                states[sent.cid] = {"stored": len(stored), "reply": reply, "sent": sent, "shopper": shopper}
                mine = phase is None or sent.phase == phase
                if mine and sent.acked and (reply is None or reply["status"] not in FINAL):
                    pending += 1
        if pending == 0 or time.monotonic() > deadline:
            return states
        await asyncio.sleep(1)


async def retry_unfinished(states: dict[str, dict[str, Any]], timeout: float) -> Counter[tuple[str, str]]:
    """Resends each failed or interrupted reply's message (same id), as the retry button
    does; counts the retries whose new reply ends ``done``."""
    outcome: Counter[tuple[str, str]] = Counter()
    for cid, state in states.items():
        reply = state["reply"]
        if not state["sent"].acked or reply is None or reply["status"] not in ("failed", "interrupted"):
            continue
        shopper: Shopper = state["shopper"]
        response = await shopper.post(
            "/api/chatbot/stream-message", {"text": state["sent"].text, "clientMessageId": cid}
        )
        if response.status_code >= 300:
            outcome[(state["sent"].phase, f"refused_{response.status_code}")] += 1
            continue
        new_id = (response.json().get("reply") or {}).get("id")
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            messages = await shopper.history()
            status = next((m["status"] for m in messages if m["id"] == new_id), "")
            if status in FINAL:
                break
            await asyncio.sleep(0.5)
        outcome[
            (state["sent"].phase, "retried_ok" if status == "done" else f"retried_{status or 'lost'}")
        ] += 1
    return outcome


def table(
    phases: list[str], notes: dict[str, str], states: dict[str, dict[str, Any]], retried: Counter
) -> str:
    head = [
        "phase",
        "sent",
        "2xx",
        "lost",
        "dup",
        "done",
        "failed",
        "interr.",
        "stopped",
        "stuck",
        "retried ok",
        "client errors seen",
    ]
    rows = [head]
    for phase in phases:
        if phase in notes:
            rows.append([phase, notes[phase]] + [""] * (len(head) - 2))
            continue
        mine = [s for s in states.values() if s["sent"].phase == phase]
        acked = [s for s in mine if s["sent"].acked]
        status = Counter((s["reply"] or {}).get("status", "none") for s in acked)
        errors = Counter(e for s in mine for e in s["sent"].errors)
        rows.append(
            [
                phase,
                str(len(mine)),
                str(len(acked)),
                str(sum(1 for s in acked if s["stored"] == 0)),
                str(sum(1 for s in mine if s["stored"] > 1)),
                str(status["done"]),
                str(status["failed"]),
                str(status["interrupted"]),
                str(status["stopped"]),
                str(sum(v for k, v in status.items() if k not in FINAL)),
                f"{retried[(phase, 'retried_ok')]}/{status['failed'] + status['interrupted']}",
                ", ".join(f"{k}x{v}" for k, v in errors.most_common(4)) or "-",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


async def main_async(args: argparse.Namespace, ctx: dict[str, Any]) -> int:
    shoppers = [Shopper(ctx["site"], n) for n in range(args.shoppers)]
    for shopper in shoppers:
        (await shopper.post("/api/chatbot/stream-chat-token", {})).raise_for_status()
    notes: dict[str, str] = {}
    for phase in args.phases:
        started = time.monotonic()
        note = await run_phase(phase, shoppers, args, ctx)
        if note:
            notes[phase] = note
        print(f"phase {phase:8} {time.monotonic() - started:6.1f} s {note or ''}", flush=True)
    states = await settle(shoppers, args.settle)
    retried = await retry_unfinished(states, args.settle)
    print()
    print(table(args.phases, notes, states, retried))
    acked = [s for s in states.values() if s["sent"].acked]
    lost = sum(1 for s in acked if s["stored"] == 0)
    dups = sum(1 for s in states.values() if s["stored"] > 1)
    stuck = sum(1 for s in acked if (s["reply"] or {}).get("status") not in FINAL)
    unretried = sum(1 for s in acked if (s["reply"] or {}).get("status") in ("failed", "interrupted")) - sum(
        v for k, v in retried.items() if k[1] == "retried_ok"
    )
    print()
    print(
        f"messages acknowledged {len(acked)}, lost {lost}, duplicated {dups}, replies not final {stuck}, "
        f"failed/interrupted replies not answered on retry {unretried}"
    )
    print(f"upstream calls by mode: {dict(ctx['upstream'].calls)}")
    for shopper in shoppers:
        await shopper.client.aclose()
    return 1 if lost or dups or stuck or unretried else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shoppers", type=int, default=10)
    parser.add_argument("--messages", type=int, default=2, help="messages per shopper per phase")
    parser.add_argument("--phases", default=",".join(ALL_PHASES))
    parser.add_argument(
        "--attempts", type=int, default=6, help="sends of one message before the client gives up"
    )
    parser.add_argument(
        "--window", type=float, default=4.0, help="seconds over which a phase's messages are sent"
    )
    parser.add_argument(
        "--fault-after", type=float, default=0.8, help="seconds into a phase before its fault"
    )
    parser.add_argument("--down", type=float, default=2.0, help="seconds Redis or the server stays down")
    parser.add_argument("--hang", type=float, default=70.0, help="the timeout phase's silence, seconds")
    parser.add_argument(
        "--trickle-rate", type=float, default=1.0, help="bytes per second in the trickle phase"
    )
    parser.add_argument("--settle", type=float, default=400.0, help="max seconds to wait for replies to end")
    parser.add_argument("--show-errors", action="store_true", help="print the server's ERROR lines")
    parser.add_argument("--postgres", default="", help="server URL; the site gets a throwaway database there")
    args = parser.parse_args()
    args.phases = [p for p in args.phases.split(",") if p]
    unknown = set(args.phases) - set(ALL_PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    upstream = Upstream(args.hang, args.trickle_rate)
    redis = PrivateRedis()
    redis.start()
    with contextlib.ExitStack() as stack:
        stack.callback(redis.stop)
        fake = stack.enter_context(FakeUpstream(upstream.routes()))
        database_url = stack.enter_context(throwaway_postgres(args.postgres)) if args.postgres else None
        env = {**SITE_ENV, "OPENAI_BASE_URL": fake.url + "/v1", "REDIS_URL": redis.url}
        live = stack.enter_context(LiveSite(env=env, database_url=database_url))
        live.manage("migrate", "--noinput")
        site = Site(live)
        database = database_url or "SQLite file"
        print(f"server {site.base}, upstream {fake.url}, redis {redis.url}, database {database}")
        print(
            f"{args.shoppers} shoppers x {args.messages} messages per phase; phases: {', '.join(args.phases)}"
        )
        ctx = {"upstream": upstream, "site": site, "redis": redis, "database_url": database_url}
        code = asyncio.run(main_async(args, ctx))
        log = live.log(site.base)
        tracebacks, errors = log.count("Traceback"), log.count(" ERROR ")
        print(f"server log (the last server): {tracebacks} tracebacks, {errors} ERROR lines")
        if args.show_errors:
            print(
                "\n".join(line for line in log.splitlines() if " ERROR " in line or "Error:" in line)[-6000:]
            )
        return code


if __name__ == "__main__":
    sys.exit(main())
