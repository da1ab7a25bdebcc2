"""The assistant seam: who writes the reply.

Every assistant (local, coze, openai, gateway) is one module exporting one subclass of
:class:`ShopAssistant`. ``reply(context)`` yields a stream of events (the vocabulary's
``Thinking``, ``TextDelta``, ``ProductCards``, ``QuickReplies``, ``HandoffRequested``); the
reply pipeline forwards them to the chat engine as they come. The last event is always a
``FinalReply`` (or the generator raises :class:`AssistantError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..adapters import ShopAdapter, ShopInfo
from ..vocabulary import AssistantEvent, ChatTurn, FinalReply, Shopper


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
    """Base class. Subclasses set ``name`` and implement ``reply``."""

    name = "base"

    def reply(self, context: AssistantContext) -> Iterator[AssistantEvent]:
        raise NotImplementedError

    def answer(self, context: AssistantContext) -> FinalReply:
        """Run the stream to the end and return the final reply (for chatbot_ask)."""
        final: FinalReply | None = None
        for event in self.reply(context):
            if isinstance(event, FinalReply):
                final = event
        if final is None:
            raise AssistantError("The assistant ended without a reply.")
        return final
