from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from storefront.models import Order, OrderLine, Product, Shop
from storefront.templatetags.shop_tags import money

pytestmark = pytest.mark.django_db


def test_sku_is_unique_within_a_shop(make_shop, make_product):
    shop = make_shop("acme")
    make_product(shop, "SKU-1", "First")
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(shop=shop, sku="SKU-1", name="Second", price=Decimal("1.00"))


def test_same_sku_in_two_shops_is_fine(make_shop, make_product):
    make_product(make_shop("acme"), "SKU-1", "Acme thing")
    make_product(make_shop("other"), "SKU-1", "Other thing")
    assert Product.objects.filter(sku="SKU-1").count() == 2


def test_price_cannot_be_negative(make_shop):
    shop = make_shop()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(shop=shop, sku="NEG", name="Negative", price=Decimal("-0.01"))


def test_blank_domain_is_stored_as_null_so_many_shops_can_have_none(make_shop):
    make_shop("a", domain="")
    make_shop("b", domain="  ")
    assert Shop.objects.filter(domain__isnull=True).count() == 2
    assert make_shop("c", domain=" Shop.Example.COM ").domain == "shop.example.com"


def test_urls_of_shop_and_product(make_shop, make_product):
    shop = make_shop("acme")
    product = make_product(shop, "AB-1_x.2", "Dotted")
    assert shop.get_absolute_url() == "/s/acme/"
    assert product.get_absolute_url() == "/s/acme/p/AB-1_x.2/"


def test_order_total_sums_its_lines(make_shop, make_product, django_user_model):
    shop = make_shop()
    user = django_user_model.objects.create_user("u@example.com", "u@example.com", "pw")
    a, b = make_product(shop, "A", "A", price="2.50"), make_product(shop, "B", "B", price="10.00")
    order = Order.objects.create(shop=shop, customer=user, number="X-1", placed_at="2026-01-01T00:00Z")
    OrderLine.objects.create(order=order, product=a, quantity=3, price=a.price)
    OrderLine.objects.create(order=order, product=b, quantity=1, price=b.price)
    assert order.total == Decimal("17.50")


def test_order_number_is_unique_per_shop(make_shop, django_user_model):
    user = django_user_model.objects.create_user("u@example.com", "u@example.com", "pw")
    a, b = make_shop("a"), make_shop("b")
    Order.objects.create(shop=a, customer=user, number="N-1", placed_at="2026-01-01T00:00Z")
    Order.objects.create(shop=b, customer=user, number="N-1", placed_at="2026-01-01T00:00Z")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(shop=a, customer=user, number="N-1", placed_at="2026-01-01T00:00Z")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("19.9"), "USD", "$19.90"),
        (Decimal("199"), "CNY", "¥199.00"),
        (Decimal("1299.5"), "USD", "$1,299.50"),
        (Decimal("12.5"), "CHF", "CHF 12.50"),
        (Decimal("1500"), "JPY", "¥1,500"),
        ("", "USD", ""),
    ],
)
def test_money_filter(value, currency, expected):
    assert money(value, currency) == expected


def test_money_filter_takes_a_shop(make_shop):
    assert money(Decimal("5"), make_shop(currency="CNY")) == "¥5.00"
