"""Blocking work (the database, a shop adapter, the local assistant's ranking) run from a
coroutine without stalling the event loop.

A reply runs as a task on an event loop (``chatbot.runtime``); whatever it does that blocks
goes through :func:`in_thread`: a worker thread of a shared pool, not one per reply, and
the thread's database connection is handed back at once, because hundreds of concurrent
replies each keeping a connection open would exhaust the server's connections long before
anything else ran out.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from . import conf

T = TypeVar("T")

# Set while a reply runs inline (``chatbot.runtime.run_inline``): its blocking steps then
# run in the calling thread, inside the caller's transaction (tests, management commands).
inline: contextvars.ContextVar[bool] = contextvars.ContextVar("chatbot_inline", default=False)

_pool_lock = threading.Lock()
_pools: dict[int, ThreadPoolExecutor] = {}


def pool() -> ThreadPoolExecutor:
    """This process's threads for blocking steps (a forked worker builds its own)."""
    pid = os.getpid()
    with _pool_lock:
        executor = _pools.get(pid)
        if executor is None:
            executor = _pools[pid] = ThreadPoolExecutor(
                max_workers=max(2, int(conf.get("CHATBOT_REPLY_WORKERS"))), thread_name_prefix="chatbot-io"
            )
        return executor


def release_connection() -> None:
    """Hands the thread's database connection back (to the pool, or closed), for a thread
    that would otherwise keep it: a pool thread here, or a request's thread lent to an
    event stream for the stream's life (chatbot.engines.local.views)."""
    # Never inside a transaction: tests wrap everything in one, and the work of a request
    # that called us inline must stay in it.
    if not connection.in_atomic_block:
        close_old_connections()
        connection.close()


def _run_and_release(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    try:
        return fn(*args, **kwargs)
    finally:
        release_connection()


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``await in_thread(fn, *args)``: ``fn(*args)`` on a pool thread, its connection
    released afterwards. Not thread-sensitive: that would serialise every reply on one
    thread. Inline, it runs in the thread that started the reply (asgiref sends
    thread-sensitive calls back there), so it sees that thread's transaction."""
    if inline.get():
        return await sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)
    return await sync_to_async(_run_and_release, thread_sensitive=False, executor=pool())(fn, args, kwargs)
