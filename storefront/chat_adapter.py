"""The storefront's side of the chatbot seam: ``CHATBOT_SHOP_ADAPTER`` points here.

Every method reads the database on each call (shops through the resolver's cache, which
signals keep fresh); nothing here is cached, so the assistant never answers from stale
stock, prices or order states.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, Max, OuterRef, Subquery
from django.http import HttpRequest
from django.urls import reverse

from chatbot.adapters import (
    CustomerInfo,
    FaqInfo,
    OrderInfo,
    OrderLineInfo,
    ProductInfo,
    ShopAdapter,
    ShopInfo,
)

from .models import Category, FaqEntry, Order, Product, Shop
from .resolver import resolve_shop, shop_by_slug

_SLUG_PLACEHOLDER = "\x00catalog-version\x00"  # no shop has it: found among the compiled params


@functools.cache
def _catalog_version_sql(alias: str) -> tuple[str, tuple[object, ...], int]:
    """The catalog-version query of this database, compiled, and the index of the shop's
    slug among its parameters."""

    def stats(model: type[Product] | type[FaqEntry] | type[Category]) -> tuple[Subquery, Subquery]:
        rows = model.objects.filter(shop=OuterRef("pk")).order_by().values("shop")
        return (
            Subquery(rows.annotate(n=Count("pk")).values("n")),
            Subquery(rows.annotate(last=Max("updated_at")).values("last")),
        )

    # One query: counts catch deletions, the newest timestamps catch edits and inserts.
    (pn, pt), (fn, ft), (cn, ct) = stats(Product), stats(FaqEntry), stats(Category)
    query = (
        Shop.objects.using(alias)
        .filter(slug=_SLUG_PLACEHOLDER)
        .annotate(pn=pn, pt=pt, fn=fn, ft=ft, cn=cn, ct=ct)
        .values_list("pk", "pn", "pt", "fn", "ft", "cn", "ct")
        .order_by()[:1]
    ).query
    sql, params = query.get_compiler(using=alias).as_sql()
    return sql, tuple(params), list(params).index(_SLUG_PLACEHOLDER)


def _product_url(shop_slug: str, sku: str) -> str:
    return reverse("storefront:product", kwargs={"shop_slug": shop_slug, "sku": sku})


def _product_info(product: Product, shop_slug: str) -> ProductInfo:
    return ProductInfo(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price=product.price,
        stock=product.stock,
        category=product.category.name if product.category else "",
        url=_product_url(shop_slug, product.sku),
        image_url=product.image_url,
    )


def _order_info(order: Order, currency: str) -> OrderInfo:
    lines = tuple(
        OrderLineInfo(sku=line.product.sku, name=line.product.name, quantity=line.quantity, price=line.price)
        for line in order.lines.all()
    )
    return OrderInfo(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        shipped_at=order.shipped_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        total=sum((line.price * line.quantity for line in lines), Decimal("0")),
        currency=currency,
        lines=lines,
    )


def _customer_pk(customer_ref: str) -> int | None:
    # The ref comes from the chatbot's session identity; a guest id is not a user pk.
    try:
        return int(customer_ref)
    except (TypeError, ValueError):
        return None


class StorefrontAdapter(ShopAdapter):
    def resolve_shop_id(self, request: HttpRequest) -> str | None:
        shop = getattr(request, "shop", None) or resolve_shop(request)
        return shop.slug if shop else None

    def get_shop(self, shop_id: str) -> ShopInfo | None:
        shop = shop_by_slug(shop_id)
        if shop is None:
            return None
        return ShopInfo(
            id=shop.slug,
            name=shop.name,
            currency=shop.currency,
            language=shop.language,
            url=shop.get_absolute_url(),
        )

    def list_shop_ids(self) -> list[str]:
        return list(Shop.objects.order_by("slug").values_list("slug", flat=True))

    def list_shops(self) -> list[ShopInfo]:
        return [
            ShopInfo(
                id=shop.slug,
                name=shop.name,
                currency=shop.currency,
                language=shop.language,
                url=shop.get_absolute_url(),
            )
            for shop in Shop.objects.order_by("slug")
        ]

    def describe_customer(self, customer_ref: str) -> CustomerInfo | None:
        pk = _customer_pk(customer_ref)
        user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
        if user is None:
            return None
        return CustomerInfo(
            ref=customer_ref, name=user.get_full_name() or user.get_username(), email=user.email
        )

    def catalog_version(self, shop_id: str) -> str:
        # Asked before every answer: the query is compiled once per database (its six
        # subqueries cost the ORM ~2 ms to compile, more than PostgreSQL takes to run it).
        alias = Shop.objects.db
        sql, compiled, slug_at = _catalog_version_sql(alias)
        params = list(compiled)
        params[slug_at] = shop_id
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return "none"
        # Only compared for equality: the database's own text of each timestamp will do (raw
        # SQLite rows carry text, PostgreSQL's datetimes).
        pk, pn, pt, fn, ft, cn, ct = row
        return f"{pk}.p{pn or 0}-{pt or 0}.f{fn or 0}-{ft or 0}.c{cn or 0}-{ct or 0}"

    def list_products(self, shop_id: str) -> Iterator[ProductInfo]:
        products = (
            Product.objects.filter(shop__slug=shop_id)
            .select_related("category")
            .order_by("pk")
            .iterator(chunk_size=2000)
        )
        for product in products:
            yield _product_info(product, shop_id)

    def get_product(self, shop_id: str, sku: str) -> ProductInfo | None:
        product = (
            Product.objects.filter(shop__slug=shop_id, sku=sku.strip()).select_related("category").first()
        )
        return _product_info(product, shop_id) if product else None

    def list_faq(self, shop_id: str) -> list[FaqInfo]:
        return [
            FaqInfo(question=question, answer=answer)
            for question, answer in FaqEntry.objects.filter(shop__slug=shop_id)
            .order_by("pk")
            .values_list("question", "answer")
        ]

    def _orders(self, shop_id: str, customer_ref: str):
        pk = _customer_pk(customer_ref)
        if pk is None:
            return None
        return (
            Order.objects.filter(shop__slug=shop_id, customer_id=pk)
            .select_related("shop")
            .prefetch_related("lines__product")
        )

    def get_order(self, shop_id: str, customer_ref: str, number: str) -> OrderInfo | None:
        orders = self._orders(shop_id, customer_ref)
        number = (number or "").strip().lstrip("#").strip()
        if orders is None or not number:
            return None
        # Shoppers type order numbers by hand: "nw-10042" means NW-10042.
        order = orders.filter(number__iexact=number).first()
        return _order_info(order, order.shop.currency) if order else None

    def recent_orders(self, shop_id: str, customer_ref: str, limit: int = 5) -> list[OrderInfo]:
        orders = self._orders(shop_id, customer_ref)
        if orders is None:
            return []
        return [_order_info(order, order.shop.currency) for order in orders.order_by("-placed_at")[:limit]]

    def find_customer(self, email: str) -> tuple[str, str] | None:
        email = (email or "").strip()
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
        if user is None:
            return None
        return str(user.pk), user.get_full_name() or user.get_username()
