"""A small shop the assistant contract runs against, independent of the storefront, for
:class:`tests.support.shops.MemoryShopAdapter`: one shop, three products, two FAQ
entries and two customers with one order each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chatbot.adapters import FaqInfo, OrderInfo, OrderLineInfo, ProductInfo, ShopAdapter, ShopInfo
from chatbot.assistants.base import AssistantContext
from chatbot.vocabulary import ChatTurn, Shopper
from tests.support.shops import MemoryShopAdapter, ShopData

SHOP = ShopInfo(id="demo", name="Northwind Outfitters", currency="USD", language="en", url="/")

TENT = ProductInfo(
    sku="TENT-2P",
    name="Trailhead 2-Person Tent",
    description="A light two-person tent for three seasons, 2.1 kg, with two doors.",
    price=Decimal("149.00"),
    stock=7,
    category="Tents",
    url="/products/tent-2p/",
)
JACKET = ProductInfo(
    sku="JACKET-RAIN",
    name="Stormline Rain Jacket",
    description="Waterproof, breathable rain jacket with a hood.",
    price=Decimal("89.90"),
    stock=3,
    category="Clothing",
    url="/products/jacket-rain/",
)
MUG = ProductInfo(
    sku="MUG-ENAMEL",
    name="Enamel Camp Mug",
    description="Enamel steel mug, 350 ml.",
    price=Decimal("12.50"),
    stock=0,
    category="Kitchen",
    url="/products/mug-enamel/",
)
PRODUCTS = (TENT, JACKET, MUG)

FAQ = [
    FaqInfo(
        question="What is your return policy?",
        answer="You can return unused items within 30 days of delivery for a full refund.",
    ),
    FaqInfo(
        question="How long does shipping take?",
        answer="Orders ship within 2 business days; delivery takes 3 to 5 business days.",
    ),
]

DEMO_CUSTOMER = ("1", "Demo Customer", "demo@example.com")
OTHER_CUSTOMER = ("2", "Other Customer", "other@example.com")

DEMO_ORDER = OrderInfo(
    number="NW-1001",
    status="shipped",
    placed_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
    shipped_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    carrier="UPS",
    tracking_number="1Z999AA10123456784",
    total=Decimal("149.00"),
    currency="USD",
    lines=(OrderLineInfo(sku="TENT-2P", name=TENT.name, quantity=1, price=TENT.price),),
)
# What must never reach demo@example.com.
OTHER_ORDER = OrderInfo(
    number="NW-2002",
    status="delivered",
    placed_at=dt.datetime(2026, 2, 11, 15, 30, tzinfo=dt.UTC),
    shipped_at=dt.datetime(2026, 2, 12, 8, 0, tzinfo=dt.UTC),
    carrier="DHL",
    tracking_number="JD014600006281234567",
    total=Decimal("287.35"),
    currency="USD",
    lines=(OrderLineInfo(sku="JACKET-RAIN", name=JACKET.name, quantity=3, price=JACKET.price),),
)
OTHER_ORDER_SECRETS = ("JD014600006281234567", "DHL", "287.35", "Other Customer", "other@example.com")

CONTRACT_SHOPS = ShopData(
    shops=(SHOP,),
    products={SHOP.id: PRODUCTS},
    faq={SHOP.id: FAQ},
    customers={address: (ref, name) for ref, name, address in (DEMO_CUSTOMER, OTHER_CUSTOMER)},
    orders={(SHOP.id, DEMO_CUSTOMER[0]): [DEMO_ORDER], (SHOP.id, OTHER_CUSTOMER[0]): [OTHER_ORDER]},
)


def make_context(
    message: str,
    *,
    customer: tuple[str, str, str] | None = DEMO_CUSTOMER,
    adapter: ShopAdapter | None = None,
    history: list[ChatTurn] | None = None,
    state: dict | None = None,
    language: str = "en",
) -> AssistantContext:
    shopper = Shopper(
        chat_user_id=f"chat-{customer[0]}" if customer else "guest-7f3a",
        display_name=customer[1] if customer else "Guest",
        customer_ref=customer[0] if customer else None,
        language=language,
    )
    return AssistantContext(
        shop=SHOP,
        shopper=shopper,
        message=message,
        adapter=adapter or MemoryShopAdapter(CONTRACT_SHOPS),
        history=list(history or []),
        language=language,
        conversation_id="42",
        state=dict(state or {}),
    )
