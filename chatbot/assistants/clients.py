"""HTTP clients of the remote assistants: one ``httpx.AsyncClient`` per event loop and
assistant class.

Assistants are built per reply, but a client made per reply would open a new connection
(and TLS handshake) to the vendor every time; one client per loop keeps the connections
alive from one reply to the next. A client is never shared across loops: its connections
belong to the loop that opened them, and awaiting them from another loop fails. The
server's loop keeps its clients until :func:`aclose_clients` is awaited on it (the
runtime does that at shutdown); the private loop of a sync ``reply()`` closes its own.
"""

from __future__ import annotations

import asyncio
import weakref

import httpx

# Replies in flight are bounded by the pipeline (CHATBOT_MAX_QUEUED_REPLIES), not here:
# httpx's default cap of 100 connections would make reply 101 wait for a free one, and
# a streamed reply holds its connection for the whole answer.
LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=100, keepalive_expiry=30.0)

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def loop_client(name: str) -> httpx.AsyncClient:
    """The client named ``name`` (an assistant class) of the running loop, created on
    first use. Timeouts are given per request: they belong to the assistant, not the
    client."""
    loop = asyncio.get_running_loop()
    clients = _clients.setdefault(loop, {})
    client = clients.get(name)
    if client is None or client.is_closed:
        client = clients[name] = httpx.AsyncClient(limits=LIMITS)
    return client


async def aclose_clients() -> None:
    """Close every client of the running loop (connections included)."""
    clients = _clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()
