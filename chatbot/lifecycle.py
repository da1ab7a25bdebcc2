"""Graceful shutdown: what a SIGTERM (a rolling deploy, ``docker stop``) does to the chat.

Open event streams never end by themselves, so a server waiting for its connections to
close before it exits waits forever (seen: plain uvicorn still running minutes after
SIGTERM). On the first SIGTERM (or SIGINT) this process:

1. refuses new messages and streams with 503 ``shutting_down`` (``Retry-After``): the
   widget sends again, to whichever machine the proxy picks, and nothing is lost;
2. ends every open event stream with ``server.restarting`` and a short ``retry:`` hint,
   so browsers reconnect (with ``Last-Event-ID``) at once;
3. gives replies in flight ``CHATBOT_SHUTDOWN_GRACE_SECONDS`` to finish (SIGINT: none),
   then cancels the rest, each saving the text the shopper saw and ending ``interrupted``
   with a retry button — visible to the shopper's stream on any process through the hub;
4. only then hands the signal to the server's own handler, which now finds no open
   stream and exits at once.

The handler is chained in front of the server's (uvicorn installs its own from the main
thread before it loads the app; gunicorn's uvicorn worker too), lazily, from code that
runs on the main thread's loop: the first reply or stream of the process. A second
signal goes straight to the server's handler (force quit).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import signal
import threading
from types import FrameType
from typing import Any

from . import conf

logger = logging.getLogger("chatbot.lifecycle")

HANDLED = (signal.SIGTERM, signal.SIGINT)
RECONNECT_MS = 1000

_installed_for: asyncio.AbstractEventLoop | None = None
_previous: dict[int, Any] = {}
_shutting_down = False
_exit_hook = False


def shutting_down() -> bool:
    return _shutting_down


def install_signal_handlers() -> None:
    """Chain this module's handler in front of the server's; only from the main thread
    while its loop runs (the only place a handler can be installed and acted upon)."""
    global _installed_for
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if _installed_for is loop:
        return
    for sig in HANDLED:
        current = signal.getsignal(sig)
        if current is _on_signal:
            continue
        _previous[sig] = current
        signal.signal(sig, _on_signal)
    _installed_for = loop


def _on_signal(sig: int, frame: FrameType | None) -> None:
    global _shutting_down
    loop = _installed_for
    if _shutting_down or loop is None or loop.is_closed():
        _pass_on(sig, frame)  # a second signal: the server's own handling, now
        return
    _shutting_down = True
    grace = 0.0 if sig == signal.SIGINT else float(conf.get("CHATBOT_SHUTDOWN_GRACE_SECONDS"))
    logger.info("Shutting down the chat: streams end, replies in flight get %.0f s", grace)
    loop.call_soon_threadsafe(lambda: loop.create_task(_shutdown(grace, sig, frame)))


def _pass_on(sig: int, frame: FrameType | None) -> None:
    previous = _previous.get(sig)
    if callable(previous):
        previous(sig, frame)
    elif previous == signal.SIG_IGN:
        return
    else:  # the default action (or unknown): restore it and let the signal do it
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)


async def _shutdown(grace: float, sig: int, frame: FrameType | None) -> None:
    try:
        await begin_shutdown(grace)
    except Exception:
        logger.exception("The chat's shutdown failed; the server shuts down anyway")
    finally:
        _pass_on(sig, frame)


async def begin_shutdown(grace: float) -> int:
    """Steps 1-3 above, on the runtime's loop; returns how many replies were interrupted."""
    global _shutting_down
    _shutting_down = True
    from .engines.local.hub import end_local_streams
    from .runtime import runtime

    end_local_streams()
    current = runtime()
    if current.loop is not None and current.loop is not asyncio.get_running_loop():
        future = asyncio.run_coroutine_threadsafe(current.drain(grace), current.loop)
        interrupted = await asyncio.wrap_future(future)
    else:
        interrupted = await current.drain(grace)
    if interrupted:
        logger.warning("Interrupted %d reply(ies) still running at shutdown", interrupted)
    # What the replies said last (an interruption, a final text) reaches Redis before the
    # process goes, so streams served by other processes show it.
    from .engines.local.hub import get_hub
    from .offloop import in_thread

    with contextlib.suppress(Exception):
        await in_thread(get_hub().flush, 5.0)
    with contextlib.suppress(Exception):
        from .assistants.clients import aclose_clients

        await aclose_clients()
    return interrupted


def drain_at_exit() -> None:
    """For a process whose replies run on its own loop thread (WSGI servers, commands):
    at interpreter exit, the same grace for replies still running."""
    global _exit_hook
    if _exit_hook:
        return
    _exit_hook = True
    atexit.register(_drain_own_loop)


def _drain_own_loop() -> None:
    from .runtime import runtime

    current = runtime()
    loop = current.loop
    if loop is None or loop.is_closed() or not current.tasks:
        return
    grace = 0.0 if _shutting_down else float(conf.get("CHATBOT_SHUTDOWN_GRACE_SECONDS"))
    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(current.drain(grace), loop).result(grace + 15)
