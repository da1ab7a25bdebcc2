"""The chat's own vocabulary: who is chatting, a turn of the conversation, a product card,
and the events an assistant's reply is made of.

Engines, assistants, tools, identity and the pipeline all speak it; it imports nothing of
the app (tests/test_layers.py holds it to that), so neither seam depends on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
