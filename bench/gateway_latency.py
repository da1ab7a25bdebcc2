"""What the gateway hop adds to a reply: the same model answered directly by the shop's
OpenAI assistant, and through a gateway process (``CHATBOT_ROLE=gateway``) by the shop's
gateway assistant.

A fake OpenAI-compatible model (its own process) streams ``--deltas`` deltas per reply,
one every ``--interval`` seconds, each carrying the wall-clock time (ns) at which it was
written. A real gateway (uvicorn, as bin/serve runs it, on a throwaway SQLite database,
one configured shop) sits between the shop and the model on the second path. The shop is
this process, running each assistant's ``areply`` as the reply pipeline does, replies
one after the other on one event loop (connections kept alive, as in a server). For every
reply it records:

- first delta: from the start of the reply to its first ``TextDelta`` (the gateway's
  signature check, shop lookup, rate limit and assistant start-up are all in here);
- per delta: from the model writing it to the shop's assistant yielding it.

The hop's added latency is gateway minus direct, at p50 and at p99, per run; with
``--runs 3`` also the median of the runs (and their range).

    python bench/gateway_latency.py [--replies 100] [--deltas 20] [--interval 0.01] [--runs 3]
    python bench/gateway_latency.py --replies 3 --deltas 3 --runs 1     # smoke test

No tool call is made: a tool round trip adds one signed callback to the shop, which
costs what the shop's tool costs plus about one more hop of the size measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MODEL = "bench-model"


def serve_model(port_queue: multiprocessing.Queue, deltas: int, interval: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def send(delta: dict, finish: str | None = None) -> None:
                chunk = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                payload = f"data: {json.dumps(chunk)}\n\n".encode()
                self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                self.wfile.flush()

            for _ in range(deltas):
                time.sleep(interval)
                send({"content": f"<{time.time_ns()}>"})
            send({}, "stop")
            done = b"data: [DONE]\n\n"
            self.wfile.write(f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")
            self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


CONFIGURE = """
from chatbot.gateway.secrets import seal
from chatbot.models import GatewayShop
GatewayShop.objects.create(shop_id="bench", secret=seal({secret!r}), rate_limit=1000000,
    openai_base_url={model_url!r}, openai_model={model!r})
"""


async def measure(assistant, replies: int) -> tuple[list[float], list[float]]:
    """(first-delta times, per-delta delays), in ms."""
    from chatbot.adapters import ShopAdapter, ShopInfo
    from chatbot.assistants.base import AssistantContext
    from chatbot.vocabulary import Shopper, TextDelta

    firsts: list[float] = []
    delays: list[float] = []
    for number in range(replies):
        context = AssistantContext(
            shop=ShopInfo(id="bench", name="Bench", currency="USD", language="en"),
            shopper=Shopper(chat_user_id=f"bench-{number}", display_name="Bench"),
            message="Stream, please.",
            adapter=ShopAdapter(),
        )
        started = time.perf_counter()
        first = True
        events = assistant.areply(context)
        try:
            async for event in events:
                if isinstance(event, TextDelta):
                    received = time.time_ns()
                    if first:
                        firsts.append((time.perf_counter() - started) * 1000)
                        first = False
                    for stamp in event.text.replace(">", " ").replace("<", " ").split():
                        delays.append((received - int(stamp)) / 1e6)
        finally:
            await events.aclose()
    return firsts, delays


def one_run(model_url: str, gateway_url: str, secret: str, replies: int) -> dict[str, float]:
    from chatbot.assistants.clients import aclose_clients
    from chatbot.assistants.gateway import GatewayAssistant
    from chatbot.assistants.openai import OpenAIAssistant

    async def both():
        direct = OpenAIAssistant(base_url=model_url, model=MODEL, api_key="")
        via = GatewayAssistant(node_url=gateway_url, secret=secret, public_url="")
        # One warm-up reply each: connections open, the gateway's code paths loaded.
        await measure(direct, 1)
        await measure(via, 1)
        result = {"direct": await measure(direct, replies), "gateway": await measure(via, replies)}
        await aclose_clients()
        return result

    got = asyncio.run(both())
    out: dict[str, float] = {}
    for path in ("direct", "gateway"):
        firsts, delays = got[path]
        out[f"{path}_first_p50"] = percentile(firsts, 0.5)
        out[f"{path}_first_p99"] = percentile(firsts, 0.99)
        out[f"{path}_delta_p50"] = percentile(delays, 0.5)
        out[f"{path}_delta_p99"] = percentile(delays, 0.99)
    for what in ("first", "delta"):
        for q in ("p50", "p99"):
            out[f"added_{what}_{q}"] = out[f"gateway_{what}_{q}"] - out[f"direct_{what}_{q}"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=100, help="replies per path per run")
    parser.add_argument("--deltas", type=int, default=20, help="deltas per reply")
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between deltas")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    model = multiprocessing.Process(target=serve_model, args=(ports, args.deltas, args.interval), daemon=True)
    model.start()
    model_url = f"http://127.0.0.1:{ports.get(timeout=10)}/v1"

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    import logging

    # httpx logs every request at INFO: hundreds of lines around the figures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tests.support.live import LiveSite

    secret = secrets.token_hex(16)
    site = LiveSite(env={"CHATBOT_ROLE": "gateway", "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    try:
        site.manage("migrate", "--noinput")
        site.manage("shell", "-c", CONFIGURE.format(secret=secret, model_url=model_url, model=MODEL))
        gateway_url = site.start()
        print(
            f"Gateway hop: {args.replies} replies per path and run, {args.deltas} deltas each, "
            f"one every {args.interval * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}"
        )
        runs = []
        for run_no in range(1, args.runs + 1):
            result = one_run(model_url, gateway_url, secret, args.replies)
            runs.append(result)
            print(
                f"run {run_no}: first delta  direct p50 {result['direct_first_p50']:.2f} ms "
                f"p99 {result['direct_first_p99']:.2f} ms | gateway p50 {result['gateway_first_p50']:.2f} ms "
                f"p99 {result['gateway_first_p99']:.2f} ms | added p50 {result['added_first_p50']:.2f} ms "
                f"p99 {result['added_first_p99']:.2f} ms"
            )
            print(
                f"       per delta    direct p50 {result['direct_delta_p50']:.2f} ms "
                f"p99 {result['direct_delta_p99']:.2f} ms | gateway p50 {result['gateway_delta_p50']:.2f} ms "
                f"p99 {result['gateway_delta_p99']:.2f} ms | added p50 {result['added_delta_p50']:.2f} ms "
                f"p99 {result['added_delta_p99']:.2f} ms"
            )
        if len(runs) > 1:
            for what, label in (("first", "first delta"), ("delta", "per delta")):
                parts = []
                for q in ("p50", "p99"):
                    values = [run[f"added_{what}_{q}"] for run in runs]
                    parts.append(
                        f"{q} {statistics.median(values):.2f} ms ({min(values):.2f} to {max(values):.2f})"
                    )
                print(f"median of {len(runs)} runs, added by the hop, {label}: " + ", ".join(parts))
    finally:
        site.close()
        model.terminate()


if __name__ == "__main__":
    main()
