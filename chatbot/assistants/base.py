"""The assistant seam: who writes the reply.

Every assistant (local, coze, openai, gateway) is one module exporting one subclass of
:class:`ShopAssistant`. ``areply(context)`` is an async generator of events (the
vocabulary's ``Thinking``, ``TextDelta``, ``ProductCards``, ``QuickReplies``,
``HandoffRequested``); the reply pipeline runs it as a task on the server's event loop and
forwards the events to the chat engine as they come. The last event is always a
``FinalReply`` (or the generator raises :class:`AssistantError`).

An assistant implements one of the two: ``areply`` (the remote ones, natively async) or
the sync generator ``reply`` (the local one, and any third-party assistant written
before ``areply`` existed). The base class derives the other:

- ``areply`` from ``reply``: each step of the sync generator runs on the shared pool
  (``chatbot.offloop.in_thread``), so a step that blocks holds a pool thread, not the
  loop; with ``computes_whole_reply`` the whole generator runs in one pool call.
- ``reply`` from ``areply``: the async generator driven on a private event loop in the
  calling thread (``manage.py chatbot_ask``, scripts, tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..adapters import ShopAdapter, ShopInfo
from ..offloop import in_thread
from ..vocabulary import AssistantEvent, ChatTurn, FinalReply, Shopper
from .clients import aclose_clients


@dataclass
class AssistantContext:
    shop: ShopInfo
    shopper: Shopper
    message: str  # the shopper's message being answered
    adapter: ShopAdapter
    history: list[ChatTurn] = field(default_factory=list)  # older turns, oldest first
    language: str = "en"  # the language to answer in when the message does not tell
    conversation_id: str = ""
    # Per-conversation memory an assistant may read and write (e.g. Coze's conversation
    # id); the pipeline persists it on the conversation after the reply.
    state: dict[str, Any] = field(default_factory=dict)
    action: dict[str, Any] | None = None  # the tapped chip's action (docs/contracts.md, "Quick replies")
    # True once the shopper pressed "stop". The pipeline wires it to the engine writer's
    # ``stop_requested`` (the flag ``chatbot.stop.request_stop`` sets): the one stop
    # mechanism. Assistants check it between chunks and upstream events, end early and
    # cancel upstream work; the pipeline stops forwarding and closes the reply generator
    # (so ``finally`` blocks run) whether or not the assistant noticed.
    stop_requested: Callable[[], bool] = field(default=lambda: False)
    # Where the shop tools run. None: here, through ``adapter`` (a shop's own process).
    # Set by the gateway role, whose shops are elsewhere: ``await remote_tools(name,
    # arguments)`` asks the conversation's shop for the result (``chatbot.gateway``).
    remote_tools: Callable[[str, Any], Awaitable[dict[str, Any]]] | None = None
    # What the upstream reported using for this reply, when it does ("total_tokens"):
    # the gateway role counts it per shop.
    usage: dict[str, int] = field(default_factory=dict)


class AssistantError(Exception):
    """The assistant could not answer. ``retryable`` tells the pipeline whether the
    shopper's retry button makes sense; ``started`` whether text already reached the
    shopper (then it must not be retried silently)."""

    def __init__(
        self, message: str, *, retryable: bool = True, started: bool = False, code: str = "assistant_error"
    ):
        super().__init__(message)
        self.retryable = retryable
        self.started = started
        self.code = code


class ShopAssistant:
    """Base class. Subclasses set ``name`` and implement ``areply`` or ``reply``.

    The pipeline calls ``areply`` and always ends it with ``await events.aclose()`` (done,
    stopped or failed), so cleanup belongs in ``finally`` / ``except GeneratorExit``.
    """

    name = "base"
    # For a sync ``reply`` that computes everything before its first chunk and then yields
    # without waiting (the local assistant ranks in CPU and the database): one pool call
    # for the whole reply instead of one per event.
    computes_whole_reply = False

    async def areply(self, context: AssistantContext) -> AsyncGenerator[AssistantEvent, None]:
        if type(self).reply is ShopAssistant.reply:
            raise NotImplementedError(f"{type(self).__name__} implements neither areply nor reply.")
        if self.computes_whole_reply:
            events, error = await in_thread(_run_whole, self.reply, context)
            for event in events:
                yield event
            if error is not None:
                raise error
            return
        steps: Iterator[AssistantEvent] = await in_thread(lambda: iter(self.reply(context)))
        # Closed already when it ended or raised; still running on its thread when the
        # task was cancelled mid-step (closing it then would fail: it ends on its own, and
        # its cleanup runs when it is collected).
        closed = False
        try:
            while True:
                try:
                    event = await in_thread(next, steps, _END)
                except BaseException:
                    closed = True
                    raise
                if event is _END:
                    closed = True
                    return
                yield event
        finally:
            close = getattr(steps, "close", None)
            if not closed and close is not None:
                # The generator's own cleanup (closing a connection) may block too.
                await in_thread(close)

    def reply(self, context: AssistantContext) -> Iterator[AssistantEvent]:
        """The same events, for sync callers; an assistant that implements ``areply`` gets
        it from there."""
        if type(self).areply is ShopAssistant.areply:
            raise NotImplementedError(f"{type(self).__name__} implements neither areply nor reply.")
        return iterate_on_private_loop(self.areply(context))

    def answer(self, context: AssistantContext) -> FinalReply:
        """Run the stream to the end and return the final reply (for chatbot_ask)."""
        final: FinalReply | None = None
        for event in self.reply(context):
            if isinstance(event, FinalReply):
                final = event
        if final is None:
            raise AssistantError("The assistant ended without a reply.")
        return final


_END: Any = object()


def _run_whole(
    reply: Callable[[AssistantContext], Iterator[AssistantEvent]], context: AssistantContext
) -> tuple[list[AssistantEvent], Exception | None]:
    # The events before a failure still reach the shopper, in order, then the failure:
    # the same as iterating step by step.
    events: list[AssistantEvent] = []
    try:
        for event in reply(context):
            events.append(event)
    except Exception as exc:
        return events, exc
    return events, None


def iterate_on_private_loop(events: AsyncGenerator[AssistantEvent, None]) -> Iterator[AssistantEvent]:
    """A sync generator over an async one, driven on a new event loop in this thread: each
    event is handed on as soon as it arrives. Closing it (or its end) closes the async
    generator, the loop's HTTP clients and its default executor, then the loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("ShopAssistant.reply() cannot run inside an event loop; iterate areply().")
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                event = loop.run_until_complete(anext(events))
            except StopAsyncIteration:
                return
            yield event
    finally:
        try:
            loop.run_until_complete(events.aclose())
            loop.run_until_complete(aclose_clients())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
