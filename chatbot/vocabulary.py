"""The chat's own vocabulary: who is chatting, a turn of the conversation, a product card,
and the events an assistant's reply is made of.

Engines, assistants, tools, identity and the pipeline all speak it; it imports nothing of
the app (tests/test_layers.py holds it to that), so neither seam depends on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


# What a quick-reply chip does when the shopper taps it (docs/contracts.md, "Quick
# replies"). The widget sends the chip's label as the message text and the action beside
# it; ``ask`` is a plain question (the label is all there is).
ACTION_TYPES = ("ask", "refine", "faq", "handoff")


@dataclass(frozen=True)
class QuickReply:
    """A chip: the shopper's words (``label``) and what tapping it does (``action``,
    ``{"type": one of ACTION_TYPES, ...}``)."""

    label: str
    action: Mapping[str, Any] = field(default_factory=lambda: {"type": "ask"})

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "action": dict(self.action)}


QuickReplyOption = QuickReply | str  # a plain string is an ``ask`` chip (LLM follow-ups)


def quick_reply(option: QuickReplyOption | Mapping[str, Any]) -> QuickReply:
    """A chip from what an assistant yields or a row stored before chips had actions."""
    if isinstance(option, QuickReply):
        return option
    if isinstance(option, Mapping):
        action = option.get("action")
        return QuickReply(
            str(option.get("label", "")), action if isinstance(action, Mapping) else {"type": "ask"}
        )
    return QuickReply(str(option))


def quick_replies_json(
    options: Iterable[QuickReplyOption | Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    return [quick_reply(option).as_dict() for option in options or ()]


@dataclass(frozen=True)
class QuickReplies:
    options: tuple[QuickReplyOption, ...]


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
    quick_replies: tuple[QuickReplyOption, ...] = ()
    handoff: bool = False
    # The assistant said it could not answer (nothing matched, not in the shop's
    # information): the shop's numbers list these questions (chatbot.stats).
    declined: bool = False


AssistantEvent = Thinking | TextDelta | ProductCards | QuickReplies | HandoffRequested | FinalReply
