"""Where replies run: asyncio tasks on one event loop per process, not a thread each.

Under ASGI that loop is the server's own: a sync view (the message route runs in one of
asgiref's threads) hands the reply to the loop asgiref serves it from, so deltas reach the
event streams on the same loop with no thread hop and no second thread contending for the
GIL (measured: with a thread per reply, 100 conversations gave p50 18-26 ms per delta;
the GIL's 5 ms switch interval alone puts a floor under such a design). Outside ASGI
(WSGI servers, management commands, a job thread that never saw the server) the process
runs one loop in a background thread. ``inline`` mode runs the reply in the caller.

The runtime also knows every reply running in its process: the stop button's flags are
refreshed for all of them in one cache read (``chatbot.stop``), and on shutdown
(``chatbot.lifecycle``) they get a grace period to finish, after which they are cancelled —
each then saves what the shopper saw and ends ``interrupted`` (``chatbot.pipeline``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync

from . import conf, offloop, stop

logger = logging.getLogger("chatbot.runtime")

ReplyJob = Callable[[int], Coroutine[Any, Any, None]]


class _Runtime:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.own_thread: threading.Thread | None = None
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.draining = False
        self.poller: asyncio.Task[None] | None = None

    # --- which loop --------------------------------------------------------------

    def target_loop(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is not None and not self.loop.is_closed():
                return self.loop
            server = _server_loop()
            self.loop = server if server is not None else self._start_own_loop()
            return self.loop

    def _start_own_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        # A daemon: a process that ends with no reply in flight must not wait for it;
        # replies in flight at exit get their grace period from the atexit hook.
        self.own_thread = threading.Thread(target=run, name="chatbot-replies", daemon=True)
        self.own_thread.start()
        ready.wait(5)
        from . import lifecycle

        lifecycle.drain_at_exit()
        return loop

    # --- running -----------------------------------------------------------------

    def start(self, job: ReplyJob, reply_id: int) -> None:
        """On the runtime's loop: run ``job(reply_id)`` as a task, once per reply."""
        if reply_id in self.tasks:
            return  # a duplicate hand-over; the claim in the job would refuse it anyway
        task = asyncio.get_running_loop().create_task(self._guarded(job, reply_id), name=f"reply-{reply_id}")
        self.tasks[reply_id] = task
        task.add_done_callback(lambda _t: self._finished(reply_id))
        if self.poller is None or self.poller.done():
            self.poller = asyncio.get_running_loop().create_task(self._poll_stops(), name="chatbot-stops")
        from . import leases, lifecycle

        leases.start_keeper()  # this process's replies: keep their leases, flush checkpoints
        lifecycle.install_signal_handlers()

    def _finished(self, reply_id: int) -> None:
        self.tasks.pop(reply_id, None)
        stop.forget(reply_id)

    @staticmethod
    async def _guarded(job: ReplyJob, reply_id: int) -> None:
        try:
            await job(reply_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # run_reply ends every failure in a visible state; this is the backstop that
            # keeps one broken reply from being silent in the logs.
            logger.exception("Reply %s crashed outside the pipeline's handling", reply_id)

    async def _poll_stops(self) -> None:
        """Stops pressed on other processes, for every running reply, in one read."""
        while self.tasks:
            await asyncio.sleep(stop.POLL_SECONDS)
            with contextlib.suppress(Exception):  # a cache hiccup only delays a stop
                await offloop.in_thread(stop.refresh, list(self.tasks))

    async def drain(self, grace: float) -> int:
        """Let running replies finish for ``grace`` seconds, then cancel the rest (each
        saves its text and ends interrupted). Returns how many were cancelled."""
        self.draining = True
        deadline = time.monotonic() + max(0.0, grace)
        while self.tasks and time.monotonic() < deadline:
            await asyncio.wait(list(self.tasks.values()), timeout=max(0.0, deadline - time.monotonic()))
        left = list(self.tasks.values())
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=10)
        from . import leases

        with contextlib.suppress(Exception):
            await offloop.in_thread(leases.flush_checkpoints)
        return len(left)


_runtimes: dict[int, _Runtime] = {}
_runtimes_lock = threading.Lock()


def runtime() -> _Runtime:
    """This process's runtime (a forked worker gets its own)."""
    pid = os.getpid()
    with _runtimes_lock:
        current = _runtimes.get(pid)
        if current is None:
            current = _runtimes[pid] = _Runtime()
        return current


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The ASGI server's loop when a chat view noted it (``adopt_server_loop``), or the
    loop this code runs on."""
    with contextlib.suppress(RuntimeError):
        return asyncio.get_running_loop()
    return _adopted.get(os.getpid())


_adopted: dict[int, asyncio.AbstractEventLoop] = {}


def adopt_server_loop(request: object) -> None:
    """Called by the chat's sync views: under ASGI, the loop asgiref serves the request
    from is the server's, for good; replies then run on it. Only then: under WSGI, async
    middleware (servestatic's) makes Django run the chain inside a throwaway loop of
    asgiref's, which would end with the request, and the reply with it."""
    from django.core.handlers.asgi import ASGIRequest

    if os.getpid() in _adopted or not isinstance(request, ASGIRequest):
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid():
        _adopted[os.getpid()] = loop


def inline_mode() -> bool:
    return str(conf.get("CHATBOT_REPLY_MODE")) == "inline"


def submit(job: ReplyJob, reply_id: int) -> None:
    """Run ``job(reply_id)`` on this process's reply loop (or now, inline)."""
    if inline_mode():
        run_inline(job, reply_id)
        return
    current = runtime()
    loop = current.target_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        current.start(job, reply_id)
    else:
        loop.call_soon_threadsafe(current.start, job, reply_id)


def run_inline(job: ReplyJob, reply_id: int) -> None:
    """The reply in the calling thread's terms: its blocking steps run in this thread (in
    its transaction); the coroutine itself on a loop asgiref provides."""
    token = offloop.inline.set(True)
    try:
        async_to_sync(job)(reply_id)
    finally:
        offloop.inline.reset(token)


def draining() -> bool:
    return runtime().draining


def running() -> list[int]:
    """The replies this process is running; safe from any thread (the lease keeper's):
    copying a dict's keys runs without releasing the GIL."""
    return list(runtime().tasks)


def submit_after_commit(job: ReplyJob, reply_id: int) -> None:
    """Start the reply once the caller's transaction commits, so the job sees the rows it
    was given (inline runs it now: tests wrap everything in one transaction)."""
    from django.db import transaction

    if inline_mode():
        run_inline(job, reply_id)
    else:
        transaction.on_commit(lambda: submit(job, reply_id))
