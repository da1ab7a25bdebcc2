"""The shop's tools as a remote model sees them (Coze, OpenAI-compatible): run the tool a
model asks for, hand its output back as JSON text, and remember what it showed so the
reply can carry product cards, the hand-off flag and an intent.

``ShopToolBridge.arun`` is what async assistants await: the tool runs on the shared pool
(the shop adapter reads the database), or, in the gateway role, in the conversation's
shop through ``context.remote_tools``. ``run`` is the same, blocking, for local tools.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import tools
from ..offloop import in_thread
from ..vocabulary import AssistantEvent, HandoffRequested, ProductCard, ProductCards
from .base import AssistantContext

logger = logging.getLogger("chatbot.assistants")

PRODUCT_TOOLS = ("search_products", "get_product")


class ShopToolBridge:
    """Runs the tools a remote model asks for, for one reply, and remembers what they
    showed so the reply can carry cards, a hand-off flag and an intent."""

    def __init__(self, context: AssistantContext) -> None:
        self.context = context
        self.called: list[str] = []
        self.products: dict[str, ProductCard] = {}
        self.handoff_reason: str | None = None

    def run(self, name: str, arguments: str | Mapping[str, Any] | None) -> tuple[str, list[AssistantEvent]]:
        """The tool's output as the JSON text to hand back to the model, and the events
        the widget should see. ``arguments`` is the model's JSON text (``run_tool``
        validates it and answers bad input with an error the model can read)."""
        return self.absorb(name, self._run_here(name, arguments))

    async def arun(
        self, name: str, arguments: str | Mapping[str, Any] | None
    ) -> tuple[str, list[AssistantEvent]]:
        """``run`` for async callers: on the pool, or in the shop across the gateway hop."""
        if self.context.remote_tools is None:
            return await in_thread(self.run, name, arguments)
        try:
            result: Any = await self.context.remote_tools(
                name, dict(arguments) if isinstance(arguments, Mapping) else arguments
            )
        except Exception:
            logger.exception("Remote shop tool %s failed", name)
            result = {"error": "tool_failed", "message": "This information is unavailable right now."}
        return self.absorb(name, result)

    def _run_here(self, name: str, arguments: str | Mapping[str, Any] | None) -> Any:
        try:
            return tools.run_tool(
                name, dict(arguments) if isinstance(arguments, Mapping) else arguments, self.context
            )
        except Exception:
            # run_tool promises not to raise; should it anyway, the model is told and
            # answers without the tool rather than the reply failing.
            logger.exception("Shop tool %s failed", name)
            return {"error": "tool_failed", "message": "This information is unavailable right now."}

    def absorb(self, name: str, result: Any) -> tuple[str, list[AssistantEvent]]:
        """The tool's result as JSON text for the model, and the events it shows."""
        self.called.append(name)
        events: list[AssistantEvent] = []
        if name in PRODUCT_TOOLS:
            cards = [
                card for card in cards_in(result, self.context.shop.currency) if card.sku not in self.products
            ]
            for card in cards:
                self.products[card.sku] = card
            if cards:
                events.append(ProductCards(tuple(cards)))
        elif name == "request_handoff" and isinstance(result, dict) and result.get("handoff"):
            self.handoff_reason = str(result.get("reason") or "")
            events.append(HandoffRequested(self.handoff_reason))
        return json.dumps(_jsonable(result), ensure_ascii=False, default=str), events

    @property
    def handoff(self) -> bool:
        return self.handoff_reason is not None

    def intent(self, answer: str) -> str:
        """Best effort: what the tools show, else a guess from the shopper's message."""
        if self.handoff:
            return "handoff"
        if "get_order_status" in self.called:
            return "order_status"
        if "get_product" in self.called:
            return "product_question"
        if "search_products" in self.called or self.products:
            return "product_search"
        if "search_faq" in self.called:
            return "faq"
        return guess_intent(self.context.message, answer)


_GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好|嗨|哈喽|早上好|晚上好)\b", re.I
)
_QUESTION = re.compile(
    r"[?？]|\b(how|what|when|where|why|which|can|do|does|is|are)\b|吗|怎么|如何|什么|多久|哪|能否|可以"
)


def guess_intent(message: str, answer: str) -> str:
    if not answer.strip():
        return "out_of_scope"
    if _GREETING.search(message) and len(message) <= 40:
        return "greeting"
    if _QUESTION.search(message.lower()):
        return "faq"
    return "smalltalk"


def _jsonable(value: Any) -> Any:
    if isinstance(value, ProductCard):
        return value.as_dict()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if hasattr(value, "as_dict"):
        return _jsonable(value.as_dict())
    return value


def cards_in(result: Any, currency: str) -> list[ProductCard]:
    """Product cards found in a tool result: ``ProductCard``s, or product-shaped dicts
    (``sku``, ``name``, ``price``) at any depth."""
    found: list[ProductCard] = []
    if isinstance(result, ProductCard):
        found.append(result)
    elif isinstance(result, dict):
        card = _card_from_dict(result, currency)
        if card is not None:
            found.append(card)
        else:
            for value in result.values():
                if isinstance(value, dict | list | tuple | ProductCard):
                    found.extend(cards_in(value, currency))
    elif isinstance(result, list | tuple):
        for item in result:
            found.extend(cards_in(item, currency))
    elif hasattr(result, "as_dict"):
        found.extend(cards_in(result.as_dict(), currency))
    return found


def _card_from_dict(data: Mapping[str, Any], currency: str) -> ProductCard | None:
    if not all(key in data for key in ("sku", "name", "price")):
        return None
    try:
        price = f"{Decimal(str(data['price'])):.2f}"
    except (InvalidOperation, ValueError):
        price = str(data["price"])
    try:
        stock = int(data.get("stock") or 0)
    except (TypeError, ValueError):
        stock = 0
    in_stock = data.get("inStock", data.get("in_stock"))
    return ProductCard(
        sku=str(data["sku"]),
        name=str(data["name"]),
        price=price,
        currency=str(data.get("currency") or currency),
        stock=stock,
        in_stock=bool(stock > 0 if in_stock is None else in_stock),
        url=str(data.get("url") or ""),
        image_url=str(data.get("imageUrl") or data.get("image_url") or ""),
    )
