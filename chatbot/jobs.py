"""Where reply jobs run: a bounded pool of worker threads in each app process.

Assistants are sync code doing blocking HTTP (Coze, OpenAI), so a thread per running
reply is the honest fit; the ASGI loop stays free for event streams. ``inline`` mode
(``CHATBOT_REPLY_MODE = "inline"``) runs the job in the caller, for tests and commands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections, transaction

from . import conf

logger = logging.getLogger("chatbot.jobs")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=int(conf.get("CHATBOT_REPLY_WORKERS")), thread_name_prefix="chatbot-reply"
            )
            # Replies queued here are leased to this process: keep the leases alive.
            from . import leases

            leases.start_keeper()
        return _executor


def _run(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    close_old_connections()
    try:
        fn(*args)
    except Exception:
        logger.exception("Background job %s failed", getattr(fn, "__name__", fn))
    finally:
        close_old_connections()


def submit(fn: Callable[..., Any], *args: Any) -> None:
    if conf.get("CHATBOT_REPLY_MODE") == "inline":
        fn(*args)
        return
    _pool().submit(_run, fn, args)


def submit_after_commit(fn: Callable[..., Any], *args: Any) -> None:
    """Start the job once the caller's transaction commits, so the worker sees the rows
    it was given (inline mode runs it now: tests wrap everything in one transaction)."""
    if conf.get("CHATBOT_REPLY_MODE") == "inline":
        submit(fn, *args)
    else:
        transaction.on_commit(lambda: submit(fn, *args))
