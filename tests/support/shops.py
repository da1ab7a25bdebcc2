"""The in-memory shop adapter every test uses instead of a database.

``MemoryShopAdapter(data)`` serves one :class:`ShopData`: shops, their products and FAQ,
customers and their orders. Each suite keeps its own data set next to its tests
(``tests/assistant/fakes.py``, ``tests/assistants_contract/fakes.py``); the default,
:data:`API_SHOPS`, is what the chat API tests and the live servers use, so settings can
name the class alone: ``CHATBOT_SHOP_ADAPTER=tests.support.shops.MemoryShopAdapter``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from chatbot.adapters import FaqInfo, OrderInfo, ProductInfo, ShopAdapter, ShopInfo


@dataclass(frozen=True)
class ShopData:
    shops: Sequence[ShopInfo]
    products: Mapping[str, Sequence[ProductInfo]] = field(default_factory=dict)  # by shop id
    faq: Mapping[str, Sequence[FaqInfo]] = field(default_factory=dict)  # by shop id
    customers: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # email: (ref, name)
    # (shop id, customer ref): that customer's orders in that shop, newest first.
    orders: Mapping[tuple[str, str], Sequence[OrderInfo]] = field(default_factory=dict)


# The chat API tests, live servers and benchmarks: an English and a Chinese shop; one
# product's name and description try to inject markup.
_SHIPPING = FaqInfo("Shipping", "We ship in 2 days.")
API_SHOPS = ShopData(
    shops=(
        ShopInfo("acme", "Acme Outfitters", "USD", "en", "/s/acme/"),
        ShopInfo("chaye", "茶叶小铺", "CNY", "zh-hans", "/s/chaye/"),
    ),
    products={
        "acme": (
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
        ),
        "chaye": (
            ProductInfo(
                "LJ-01", "西湖龙井", "明前龙井，250克", Decimal("168.00"), 0, "绿茶", "/s/chaye/p/LJ-01/"
            ),
        ),
    },
    faq={"acme": (_SHIPPING,), "chaye": (_SHIPPING,)},
)

# Each adapter has its own catalog versions: search indexes built from one adapter's data
# are never served for another's, though all of them are this one class.
_adapters = itertools.count(1)


class MemoryShopAdapter(ShopAdapter):
    """A copy of ``data`` that a test may change (``adapter.products[shop].append(...)``;
    bump ``adapter.version`` so indexes are rebuilt). SKUs and emails match in any case,
    order numbers exactly. ``broken=True`` stands for a shop database that is down: every
    read of shop data raises ``ConnectionError``."""

    def __init__(self, data: ShopData = API_SHOPS, *, broken: bool = False) -> None:
        self.shops = {shop.id: shop for shop in data.shops}
        self.products = {shop_id: list(items) for shop_id, items in data.products.items()}
        self.faq = {shop_id: list(items) for shop_id, items in data.faq.items()}
        self.customers = {email.lower(): who for email, who in data.customers.items()}
        self.orders = {key: list(items) for key, items in data.orders.items()}
        self.broken = broken
        self.version = "1"
        self._serial = next(_adapters)

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("shop database unavailable")

    def get_shop(self, shop_id: str) -> ShopInfo | None:
        self._check()
        return self.shops.get(shop_id)

    def list_shop_ids(self) -> list[str]:
        return list(self.shops)

    def catalog_version(self, shop_id: str) -> str:
        self._check()
        return f"{self._serial}:{self.version}"

    def list_products(self, shop_id: str) -> list[ProductInfo]:
        self._check()
        return list(self.products.get(shop_id, []))

    def get_product(self, shop_id: str, sku: str) -> ProductInfo | None:
        self._check()
        wanted = str(sku).upper()
        return next((p for p in self.products.get(shop_id, []) if p.sku.upper() == wanted), None)

    def list_faq(self, shop_id: str) -> list[FaqInfo]:
        self._check()
        return list(self.faq.get(shop_id, []))

    def get_order(self, shop_id: str, customer_ref: str, number: str) -> OrderInfo | None:
        self._check()
        return next((o for o in self.orders.get((shop_id, customer_ref), []) if o.number == number), None)

    def recent_orders(self, shop_id: str, customer_ref: str, limit: int = 5) -> list[OrderInfo]:
        self._check()
        return list(self.orders.get((shop_id, customer_ref), []))[:limit]

    def find_customer(self, email: str) -> tuple[str, str] | None:
        return self.customers.get(email.lower())
