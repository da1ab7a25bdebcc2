"""How long a Coze delta takes from the upstream socket to ``CozeAssistant`` yielding it.

A local server (its own process) speaks Coze's ``/v3/chat`` SSE exactly as Coze does and
emits one ``conversation.message.delta`` every ``--interval`` seconds, each carrying the
wall-clock time (ns) at which it was written. The assistant runs as the reply pipeline
runs it; for every ``TextDelta`` the delay from emission to yield is recorded. Both
processes read the same clock (``time.time_ns``).

    python bench/coze_relay_latency.py [--deltas 300] [--interval 0.02] [--chats 3]

Prints p50, p95, p99, max and mean over all deltas, and whether the goal is met.
Goal: p50 ≤ 5 ms. It measures the assistant only: the path on to the browser is measured
by bench/reply_latency.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _event(name: str, data: dict) -> bytes:
    return f"event:{name}\ndata:{json.dumps(data, separators=(',', ':'))}\n\n".encode()


def serve(port_queue: multiprocessing.Queue, deltas: int, interval: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format, *args):
            pass

        def do_POST(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if parts.path == "/v1/conversation/create":
                body = json.dumps({"code": 0, "msg": "", "data": {"id": "7451024373590016038"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            conversation_id = dict(parse_qsl(parts.query)).get("conversation_id", "")
            chat = {
                "id": "7451024373590049830",
                "conversation_id": conversation_id,
                "bot_id": "1",
                "status": "",
            }
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def send(payload: bytes) -> None:
                self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                self.wfile.flush()

            send(_event("conversation.chat.created", {**chat, "status": "created"}))
            text = []
            for _ in range(deltas):
                time.sleep(interval)
                stamp = f"<{time.time_ns()}>"
                text.append(stamp)
                message = {"id": "m1", "role": "assistant", "type": "answer", "content_type": "text"}
                send(_event("conversation.message.delta", {**message, "content": stamp}))
            message = {"id": "m1", "role": "assistant", "type": "answer", "content_type": "text"}
            send(_event("conversation.message.completed", {**message, "content": "".join(text)}))
            send(_event("conversation.chat.completed", {**chat, "status": "completed"}))
            send(b'event:done\ndata:"[DONE]"\n\n')
            self.wfile.write(b"0\r\n\r\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=300, help="deltas per chat")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between deltas")
    parser.add_argument("--chats", type=int, default=3, help="chats, one after the other")
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.deltas, args.interval), daemon=True)
    server.start()
    port = ports.get(timeout=10)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.conf import settings

    settings.COZE_API_BASE = f"http://127.0.0.1:{port}"
    settings.COZE_BOT_ID = "1"
    settings.COZE_API_TOKEN = "pat_bench"
    settings.COZE_OAUTH_APP_ID = ""

    from chatbot import conf
    from chatbot.adapters import ShopAdapter, ShopInfo
    from chatbot.assistants import get_assistant
    from chatbot.assistants.base import AssistantContext
    from chatbot.vocabulary import Shopper, TextDelta

    conf.get_config.cache_clear()
    delays_ms: list[float] = []
    started = time.perf_counter()
    for chat in range(args.chats):
        context = AssistantContext(
            shop=ShopInfo(id="bench", name="Bench", currency="USD", language="en"),
            shopper=Shopper(chat_user_id=f"bench-{chat}", display_name="Bench"),
            message="Stream, please.",
            adapter=ShopAdapter(),
        )
        for event in get_assistant("coze").reply(context):
            if isinstance(event, TextDelta):
                received = time.time_ns()
                emitted = int(event.text.strip().lstrip("<").rstrip(">"))
                delays_ms.append((received - emitted) / 1e6)
    elapsed = time.perf_counter() - started
    server.terminate()

    print(
        f"Coze relay latency: upstream write -> CozeAssistant yields TextDelta ({len(delays_ms)} deltas, "
        f"{args.chats} chats, one every {args.interval * 1000:.0f} ms, {elapsed:.1f} s)"
    )
    print(
        f"  p50 {percentile(delays_ms, 0.50):.3f} ms   p95 {percentile(delays_ms, 0.95):.3f} ms   "
        f"p99 {percentile(delays_ms, 0.99):.3f} ms   max {max(delays_ms):.3f} ms   "
        f"mean {statistics.fmean(delays_ms):.3f} ms"
    )
    goal = percentile(delays_ms, 0.50) <= 5.0
    print(f"  goal p50 <= 5 ms: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
