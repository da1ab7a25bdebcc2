"""Stream cost: the event loop's CPU per streamed event, in-process, without a network.

N conversations each get a reply streaming 20 events a second (the fake assistant's loop
as ``chatbot.pipeline.run_reply`` runs it, publishing on the memory hub) and one open
event stream (the view's response, sent by this app's ASGI handler to a stand-in for the
server's ``send`` that frames each part as uvicorn's chunked writes do, without a socket).
Three ways are timed, each in its own process:

- ``direct``: as served (events written by the publishing call while a stream waits,
  chatbot.engines.local.push);
- ``queued``: every event through the stream's task (the response not attached to the
  handler: what Django's own ASGI handler does, and what this app did before);
- ``bare``: the bench/concurrency.py bare view's stream (a timer, a yield) through
  Django's own ``send_response``: no hub, no reply.

It prints the process's CPU time per event sent while streaming (a second of warm-up, then
``--seconds``), median and range of ``--runs``. No server, client or database share the
CPU, so this isolates the code path; bench/concurrency.py measures the whole server.

    python bench/stream_cost.py [--conversations 1000] [--seconds 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK = 0.05  # 20 events a second per conversation, as bench/concurrency.py


class Connection:
    """The server's ``send`` without the socket: chunked framing, parts dropped."""

    sent = 0

    async def send(self, message: dict[str, Any]) -> None:
        body = message.get("body", b"")
        if message["type"] == "http.response.body" and body:
            b"".join([b"%x\r\n" % len(body), body, b"\r\n"])
            Connection.sent += 1


async def _reply(conversation_id: int, until: float) -> None:
    """The pipeline's loop over the fake assistant's events, publishing each delta."""
    from chatbot.engines.local import hub
    from chatbot.vocabulary import TextDelta
    from tests.support.assistants import TickingAssistant

    assistant = TickingAssistant()
    assistant.tick = TICK
    context: Any = SimpleNamespace(message="ticks:1000000", stop_requested=lambda: False)
    events, parts, checkpointed = hub.get_hub(), [], time.monotonic()
    async for event in assistant.areply(context):
        if time.monotonic() > until:
            break
        if isinstance(event, TextDelta) and event.text:
            parts.append(event.text)
            events.publish(conversation_id, "reply.delta", {"messageId": conversation_id, "text": event.text})
            if time.monotonic() - checkpointed >= 2.0:
                checkpointed = time.monotonic()
                "".join(parts)  # the checkpoint's text (queued for the lease keeper)


async def _measure(way: str, conversations: int, seconds: float) -> float:
    from bench.bare_sse import urls as bare_view
    from chatbot import lifecycle
    from chatbot.engines.local import views
    from config.asgi_handler import SyncBlockASGIHandler

    lifecycle.install_signal_handlers = lambda: None  # type: ignore[assignment]
    handler = SyncBlockASGIHandler.__new__(SyncBlockASGIHandler)
    until = time.monotonic() + seconds + 2
    tasks = []
    for cid in range(conversations):
        if way == "bare":
            response: Any = await bare_view.events(None)  # bench/concurrency.py's bare view itself
        else:
            grant = views.Grant(cid, f"guest-{cid}", None, time.time())
            response = views.event_stream_response(grant, views._Slots(f"guest-{cid}"), "", asgi=True)
            if way == "queued":
                response.direct_writer = None
        tasks.append(asyncio.ensure_future(handler.send_response(response, Connection().send)))
    if way != "bare":
        await asyncio.sleep(0.2)  # every stream open and waiting
        tasks += [asyncio.ensure_future(_reply(cid, until)) for cid in range(conversations)]
    await asyncio.sleep(1.0)  # warm-up
    cpu, sent = time.process_time(), Connection.sent
    await asyncio.sleep(seconds)
    cpu, sent = time.process_time() - cpu, Connection.sent - sent
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return cpu / max(sent, 1) * 1e6


def one(way: str, conversations: int, seconds: float) -> float:
    """In this process (a child of ``main``): the µs of CPU per event for ``way``."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["REDIS_URL"] = ""  # the memory hub: one process
    os.environ["CHATBOT_FAKE_TICK_MS"] = str(int(TICK * 1000))  # the bare view's pace
    os.environ["BARE_TICKS"] = str(int((seconds + 5) / TICK))  # it streams past the measurement
    import django
    import uvloop

    django.setup()
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 100)  # as config/asgi.py sets it for the server
    return uvloop.run(_measure(way, conversations, seconds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(one(args.one, args.conversations, args.seconds))
        return
    from machine import describe

    print(describe(), flush=True)
    ways = ("direct", "queued", "bare")
    figures: dict[str, list[float]] = {way: [] for way in ways}
    for run in range(args.runs):  # alternated, so a change in the machine's load meets every way
        for way in ways:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    way,
                    "--conversations",
                    str(args.conversations),
                    "--seconds",
                    str(args.seconds),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            figures[way].append(float(out.strip().splitlines()[-1]))
            print(f"  run {run + 1}, {way}: {figures[way][-1]:.1f} us of CPU an event", flush=True)
    print(f"{args.conversations} streams x 20 events/s, median of {args.runs} runs (range), CPU per event:")
    for way in ways:
        values = figures[way]
        print(f"  {way:7s} {statistics.median(values):5.1f} us ({min(values):.1f}-{max(values):.1f})")


if __name__ == "__main__":
    main()
