from io import StringIO

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.core.management import call_command
from django.test import RequestFactory

from storefront.models import Category, FaqEntry, Order, OrderLine, Product, Shop

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Shop, Category, Product, FaqEntry, Order, OrderLine)]


def test_load_demo_is_idempotent(demo, django_user_model):
    before = counts()
    users = django_user_model.objects.count()
    stamps = list(Product.objects.values_list("sku", "updated_at").order_by("sku"))
    call_command("load_demo", stdout=StringIO())
    assert counts() == before
    assert django_user_model.objects.count() == users
    # an unchanged catalog is not rewritten, so the chatbot's catalog version holds still
    assert list(Product.objects.values_list("sku", "updated_at").order_by("sku")) == stamps


def test_demo_shops_have_a_real_catalog(demo):
    for slug, currency, language in [("demo", "USD", "en"), ("demo-zh", "CNY", "zh-hans")]:
        shop = Shop.objects.get(slug=slug)
        assert (shop.currency, shop.language) == (currency, language)
        assert shop.products.count() >= 30
        assert shop.categories.count() >= 5
        assert shop.products.filter(stock=0).exists()
        assert shop.products.filter(featured=True).count() >= 4
        assert shop.faq_entries.count() >= 8
        statuses = set(
            shop.orders.filter(customer__email="demo@example.com").values_list("status", flat=True)
        )
        assert {"paid", "shipped", "delivered", "cancelled", "refunded"} <= statuses
        shipped = shop.orders.filter(status="shipped")
        assert all(o.carrier and o.tracking_number and o.shipped_at for o in shipped)
        assert shop.orders.filter(customer__email="other@example.com").exists()


def test_chinese_shop_speaks_chinese(demo):
    shop = Shop.objects.get(slug="demo-zh")
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in q)
        for q in shop.faq_entries.values_list("question", flat=True)
    )


def authenticate(**credentials):
    # With the sign-in throttle (django-axes) authenticate() needs the request it guards.
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_demo_accounts_work(demo):
    assert authenticate(username="demo@example.com", password="demo12345")
    assert authenticate(username="other@example.com", password="other12345")
    admin = authenticate(username="admin", password="admin12345")
    assert admin and admin.is_superuser
    assert "admin12345" in demo


def test_load_demo_resets_a_changed_demo_password(demo, django_user_model):
    user = django_user_model.objects.get(username="demo@example.com")
    user.set_password("changed")
    user.save()
    call_command("load_demo", stdout=StringIO())
    assert authenticate(username="demo@example.com", password="demo12345")
