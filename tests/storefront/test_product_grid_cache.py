"""Product grids are rendered once per content (``storefront.views.grid_key`` and
``{% cache %}``): a repeat visit reuses the fragment, and any value a card prints — price,
stock, name, category, language — renders it anew at once, however it was changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test.signals import template_rendered

from storefront.models import Category, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_renders():
    rendered: list[str] = []

    def seen(sender, template, context, **kwargs):  # type: ignore[no-untyped-def]
        if template.name == "storefront/_product_card.html":
            rendered.append(template.name)

    template_rendered.connect(seen)
    yield rendered
    template_rendered.disconnect(seen)


@pytest.mark.parametrize("path", ["/s/demo/products/", "/s/demo/", "/s/demo/products/?q=tent"])
def test_a_repeat_visit_reuses_the_rendered_grid(client, demo, card_renders, path):
    first = client.get(path)
    assert first.status_code == 200 and card_renders
    card_renders.clear()
    again = client.get(path)
    assert card_renders == []
    assert again.content.count(b"product-card") == first.content.count(b"product-card") > 0


def test_a_changed_price_shows_at_once_even_without_a_save(client, demo, card_renders):
    product = Product.objects.filter(shop__slug="demo").order_by("name", "pk").first()
    assert client.get("/s/demo/products/").status_code == 200
    # A bulk update: no signal, no updated_at. The key holds the price itself.
    Product.objects.filter(pk=product.pk).update(price=Decimal("1234.56"))
    page = client.get("/s/demo/products/").content.decode()
    assert "1,234.56" in page


def test_stock_name_and_category_changes_show_at_once(client, demo):
    product = Product.objects.filter(shop__slug="demo", stock__gt=0).order_by("name", "pk").first()
    client.get("/s/demo/products/")
    Product.objects.filter(pk=product.pk).update(stock=0, name="Renamed Aardvark Tent")
    Category.objects.filter(pk=product.category_id).update(name="Renamed Category")
    page = client.get("/s/demo/products/").content.decode()
    assert "Renamed Aardvark Tent" in page and "Renamed Category" in page
    assert "Out of stock" in page


def test_each_shop_and_language_has_its_own_grid(client, demo):
    english = client.get("/s/demo/products/").content.decode()
    chinese = client.get("/s/demo-zh/products/").content.decode()
    assert "/s/demo/p/" in english and "/s/demo/p/" not in chinese
    assert "/s/demo-zh/p/" in chinese
