"""Test doubles for the chat API: an in-memory shop adapter and scripted assistants.

Usable in-process (override CHATBOT_SHOP_ADAPTER) and by server subprocesses
(``CHATBOT_SHOP_ADAPTER=tests.api.fakes.MemoryShopAdapter``,
``CHATBOT_ASSISTANT=tests.api.fakes.TickingAssistant``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal

from chatbot.adapters import FaqInfo, OrderInfo, ProductInfo, ShopAdapter, ShopInfo
from chatbot.assistants.base import AssistantContext, AssistantError, ShopAssistant
from chatbot.vocabulary import FinalReply, ProductCard, ProductCards, QuickReplies, TextDelta, Thinking

SHOPS = {
    "acme": ShopInfo("acme", "Acme Outfitters", "USD", "en", "/s/acme/"),
    "chaye": ShopInfo("chaye", "茶叶小铺", "CNY", "zh-hans", "/s/chaye/"),
}
PRODUCTS = {
    "acme": [
        ProductInfo(
            "TENT-2",
            "Trail Tent 2P",
            "A light two-person tent.",
            Decimal("199.00"),
            4,
            "Camping",
            "/s/acme/p/TENT-2/",
        ),
        ProductInfo(
            "XSS-1",
            '<img src=x onerror="window.__xss=1">Mug',
            "A mug <script>window.__xss=2</script>",
            Decimal("9.50"),
            10,
            "Kitchen",
            "/s/acme/p/XSS-1/",
        ),
    ],
    "chaye": [
        ProductInfo("LJ-01", "西湖龙井", "明前龙井，250克", Decimal("168.00"), 0, "绿茶", "/s/chaye/p/LJ-01/")
    ],
}


class MemoryShopAdapter(ShopAdapter):
    def resolve_shop_id(self, request):  # type: ignore[no-untyped-def]
        return None

    def get_shop(self, shop_id: str) -> ShopInfo | None:
        return SHOPS.get(shop_id)

    def list_shop_ids(self) -> list[str]:
        return list(SHOPS)

    def catalog_version(self, shop_id: str) -> str:
        return "1"

    def list_products(self, shop_id: str) -> list[ProductInfo]:
        return PRODUCTS.get(shop_id, [])

    def get_product(self, shop_id: str, sku: str) -> ProductInfo | None:
        return next((p for p in PRODUCTS.get(shop_id, []) if p.sku == sku), None)

    def list_faq(self, shop_id: str) -> list[FaqInfo]:
        return [FaqInfo("Shipping", "We ship in 2 days.")]

    def get_order(self, shop_id: str, customer_ref: str, number: str) -> OrderInfo | None:
        return None

    def recent_orders(self, shop_id: str, customer_ref: str, limit: int = 5) -> list[OrderInfo]:
        return []

    def find_customer(self, email: str) -> tuple[str, str] | None:
        return None


def card(product: ProductInfo, currency: str = "USD") -> ProductCard:
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
    """Answers with the shop's first product, streaming in three pieces."""

    name = "echo"

    def __init__(self, **options: object) -> None:
        pass

    def reply(self, context: AssistantContext) -> Iterator[object]:  # type: ignore[override]
        yield Thinking()
        products = list(context.adapter.list_products(context.shop.id))
        text = f"You said: {context.message}"
        for piece in (text[:5], text[5:10], text[10:]):
            yield TextDelta(piece)
        cards = tuple(card(p, context.shop.currency) for p in products[:1])
        if cards:
            yield ProductCards(cards)
        yield QuickReplies(("Shipping?",))
        yield FinalReply(text=text, intent="product_search", products=cards, quick_replies=("Shipping?",))


class FailingAssistant(ShopAssistant):
    name = "failing"

    def __init__(self, **options: object) -> None:
        pass

    def reply(self, context: AssistantContext) -> Iterator[object]:  # type: ignore[override]
        yield Thinking()
        raise AssistantError("upstream said 5000", retryable=True, code="upstream_error")


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
