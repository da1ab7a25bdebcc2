"""The shop adapter: the only way the chatbot reads a shop's catalog, policies and orders.

A host site points ``CHATBOT_SHOP_ADAPTER`` at a subclass of :class:`ShopAdapter`
(django-allauth's adapter pattern). Nothing in ``chatbot`` imports the host's models;
assistants and tools see only the plain records below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from . import conf


@dataclass(frozen=True)
class ShopInfo:
    id: str  # the shop's slug; stable, used in chat ids and CHATBOT_SHOP_ID
    name: str
    currency: str  # ISO 4217, e.g. "USD", "CNY"
    language: str  # Django language code, e.g. "en", "zh-hans"
    url: str = ""  # the shop's home page path


@dataclass(frozen=True)
class CustomerInfo:
    ref: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    name: str
    description: str
    price: Decimal
    stock: int
    category: str
    url: str = ""  # product page path, for cards
    image_url: str = ""

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class FaqInfo:
    question: str
    answer: str


@dataclass(frozen=True)
class OrderLineInfo:
    sku: str
    name: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class OrderInfo:
    number: str
    status: str  # pending, paid, shipped, delivered, cancelled, refunded
    placed_at: dt.datetime
    shipped_at: dt.datetime | None
    carrier: str
    tracking_number: str
    total: Decimal
    currency: str
    lines: tuple[OrderLineInfo, ...] = field(default_factory=tuple)


class ShopAdapter:
    """Read-only view of the host's shops. Subclass it and override the data methods;
    the request methods have defaults that suit most Django sites."""

    def resolve_shop_id(self, request: HttpRequest) -> str | None:
        """The shop a page or API request belongs to (host, URL...). ``None`` lets the
        chatbot fall back to ``CHATBOT_SHOP_ID``."""
        return None

    def customer_for_request(self, request: HttpRequest) -> tuple[str, str] | None:
        """``(customer_ref, display name)`` of the signed-in customer, else ``None``."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        name = user.get_full_name() if hasattr(user, "get_full_name") else ""
        return str(user.pk), name or user.get_username()

    def get_shop(self, shop_id: str) -> ShopInfo | None:
        raise NotImplementedError

    def list_shop_ids(self) -> list[str]:
        raise NotImplementedError

    def list_shops(self) -> list[ShopInfo]:
        """Every shop the host has (admin offers them, so nobody types a slug). The default
        asks ``get_shop`` per id; override it with one query if you have many shops."""
        return [shop for shop in (self.get_shop(i) for i in self.list_shop_ids()) if shop is not None]

    def describe_customer(self, customer_ref: str) -> CustomerInfo | None:
        """Who a customer is, for staff in the inbox. The default knows nothing."""
        return None

    def catalog_version(self, shop_id: str) -> str:
        """A cheap string that changes whenever the shop's products or FAQ change;
        assistants rebuild their search index when it does."""
        raise NotImplementedError

    def list_products(self, shop_id: str) -> Iterable[ProductInfo]:
        raise NotImplementedError

    def get_product(self, shop_id: str, sku: str) -> ProductInfo | None:
        raise NotImplementedError

    def list_faq(self, shop_id: str) -> list[FaqInfo]:
        raise NotImplementedError

    def get_order(self, shop_id: str, customer_ref: str, number: str) -> OrderInfo | None:
        """The order with this number, only if it belongs to this customer in this shop."""
        raise NotImplementedError

    def recent_orders(self, shop_id: str, customer_ref: str, limit: int = 5) -> list[OrderInfo]:
        """The customer's orders in this shop, newest first."""
        raise NotImplementedError

    def find_customer(self, email: str) -> tuple[str, str] | None:
        """``(customer_ref, display name)`` for an email, for ``chatbot_ask --customer``."""
        raise NotImplementedError


@lru_cache(maxsize=1)
def _adapter_class(path: str) -> type[ShopAdapter]:
    if not path:
        raise ImproperlyConfigured("CHATBOT_SHOP_ADAPTER must name a ShopAdapter subclass.")
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, ShopAdapter)):
        raise ImproperlyConfigured(f"CHATBOT_SHOP_ADAPTER={path!r} is not a ShopAdapter subclass.")
    return cls


def get_adapter() -> ShopAdapter:
    return _adapter_class(conf.get("CHATBOT_SHOP_ADAPTER"))()
