"""Scripted assistants for tests that exercise what runs around an assistant (routes,
pipeline, engines, live servers). In-process, patch ``chatbot.pipeline.assistant_for_shop``;
in a server subprocess, ``CHATBOT_ASSISTANT=tests.support.assistants.TickingAssistant``."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator

from chatbot.adapters import ProductInfo
from chatbot.assistants.base import AssistantContext, AssistantError, ShopAssistant
from chatbot.vocabulary import FinalReply, ProductCard, ProductCards, QuickReplies, TextDelta, Thinking


def _card(product: ProductInfo, currency: str) -> ProductCard:
    return ProductCard(
        product.sku,
        product.name,
        f"{product.price:.2f}",
        currency,
        product.stock,
        product.stock > 0,
        product.url,
    )


class EchoAssistant(ShopAssistant):
    """Answers "You said: <message>" in three pieces, with the shop's first product as a
    card (if it has one) and one quick reply."""

    name = "echo"

    def __init__(self, **options: object) -> None:
        pass

    def reply(self, context: AssistantContext) -> Iterator[object]:  # type: ignore[override]
        yield Thinking()
        products = list(context.adapter.list_products(context.shop.id))
        text = f"You said: {context.message}"
        for piece in (text[:5], text[5:10], text[10:]):
            yield TextDelta(piece)
        cards = tuple(_card(p, context.shop.currency) for p in products[:1])
        if cards:
            yield ProductCards(cards)
        yield QuickReplies(("Shipping?",))
        yield FinalReply(text=text, intent="product_search", products=cards, quick_replies=("Shipping?",))


class FailingAssistant(ShopAssistant):
    """Starts thinking, then fails with a retryable :class:`AssistantError`."""

    name = "failing"

    def __init__(
        self, message: str = "upstream said 5000", code: str = "upstream_error", **options: object
    ) -> None:
        self.message = message
        self.code = code

    def reply(self, context: AssistantContext) -> Iterator[object]:  # type: ignore[override]
        yield Thinking()
        raise AssistantError(self.message, retryable=True, code=self.code)


class TickingAssistant(ShopAssistant):
    """For latency and concurrency runs: a delta every ``CHATBOT_FAKE_TICK_MS`` ms
    (default 20), ``CHATBOT_FAKE_TICKS`` times (default 10), each carrying the wall-clock
    time it was emitted so a client can measure delivery delay. A message "ticks:N"
    asks for N deltas."""

    name = "ticking"

    def __init__(self, **options: object) -> None:
        self.tick = float(os.environ.get("CHATBOT_FAKE_TICK_MS", "20")) / 1000
        self.count = int(os.environ.get("CHATBOT_FAKE_TICKS", "10"))

    def reply(self, context: AssistantContext) -> Iterator[object]:  # type: ignore[override]
        yield Thinking()
        parts = []
        # "ticks:N ..." asks for a reply of N deltas (long replies for stop/concurrency runs).
        count = int(context.message[6:].split()[0]) if context.message.startswith("ticks:") else self.count
        for i in range(count):
            time.sleep(self.tick)
            piece = f"[{i}@{time.time():.6f}]"
            parts.append(piece)
            yield TextDelta(piece)
        yield FinalReply(text="".join(parts), intent="smalltalk")

    async def areply(self, context: AssistantContext) -> AsyncIterator[object]:  # type: ignore[override]
        # What a remote assistant does on the loop: wait for upstream without a thread.
        yield Thinking()
        parts = []
        count = int(context.message[6:].split()[0]) if context.message.startswith("ticks:") else self.count
        for i in range(count):
            await asyncio.sleep(self.tick)
            if context.stop_requested():
                break
            piece = f"[{i}@{time.time():.6f}]"
            parts.append(piece)
            yield TextDelta(piece)
        yield FinalReply(text="".join(parts), intent="smalltalk")
