"""The assistant seam: who writes the reply.

Every assistant (local, coze, openai, gateway) is one module exporting one subclass of
:class:`ShopAssistant`. ``reply(context)`` yields a stream of events; the reply pipeline
forwards them to the chat engine as they come. The last event is always a
:class:`FinalReply` (or the generator raises :class:`AssistantError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ..adapters import ShopAdapter, ShopInfo

INTENTS = (
    "greeting",
    "product_search",
    "product_question",
    "faq",
    "order_status",
    "handoff",
    "smalltalk",
    "out_of_scope",
)


@dataclass(frozen=True)
class Shopper:
    """Who is chatting. ``chat_user_id`` is stable and non-identifying; ``customer_ref``
    is the host's customer key, set only for a signed-in customer (never from a request
    body)."""

    chat_user_id: str
    display_name: str
    customer_ref: str | None = None
    language: str = "en"

    @property
    def is_signed_in(self) -> bool:
        return self.customer_ref is not None


@dataclass(frozen=True)
class ChatTurn:
    role: Literal["shopper", "assistant", "staff", "system"]
    text: str


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
    # Set by the pipeline when the shopper pressed "stop"; assistants check it between
    # chunks and end early.
    cancelled: Any = None  # threading.Event | None


@dataclass(frozen=True)
class ProductCard:
    sku: str
    name: str
    price: str  # formatted decimal, e.g. "19.90"
    currency: str
    stock: int
    in_stock: bool
    url: str = ""
    image_url: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price": self.price,
            "currency": self.currency,
            "stock": self.stock,
            "inStock": self.in_stock,
            "url": self.url,
            "imageUrl": self.image_url,
        }


@dataclass(frozen=True)
class Thinking:
    """The assistant is working (looking something up) before or between text."""


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ProductCards:
    products: tuple[ProductCard, ...]


@dataclass(frozen=True)
class QuickReplies:
    options: tuple[str, ...]


@dataclass(frozen=True)
class HandoffRequested:
    reason: str = ""


@dataclass(frozen=True)
class FinalReply:
    """The whole answer. ``text`` is authoritative (the concatenated deltas may differ,
    e.g. Coze's completed message)."""

    text: str
    intent: str = "out_of_scope"
    products: tuple[ProductCard, ...] = ()
    quick_replies: tuple[str, ...] = ()
    handoff: bool = False


AssistantEvent = Thinking | TextDelta | ProductCards | QuickReplies | HandoffRequested | FinalReply


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
