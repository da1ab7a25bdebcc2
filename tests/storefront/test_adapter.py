from decimal import Decimal

import pytest
from django.test import RequestFactory

from chatbot.adapters import OrderInfo, ProductInfo, ShopAdapter, get_adapter
from storefront.chat_adapter import StorefrontAdapter
from storefront.models import Category, FaqEntry, Order, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter():
    return StorefrontAdapter()


def test_settings_point_the_chatbot_at_this_adapter():
    assert isinstance(get_adapter(), StorefrontAdapter)


def test_every_adapter_method_is_implemented():
    for name, member in vars(ShopAdapter).items():
        if callable(member) and not name.startswith("_"):
            assert name in vars(StorefrontAdapter) or name == "customer_for_request", name


def test_get_shop_and_list_shop_ids(adapter, demo):
    shop = adapter.get_shop("demo-zh")
    assert (shop.id, shop.currency, shop.language, shop.url) == ("demo-zh", "CNY", "zh-hans", "/s/demo-zh/")
    assert adapter.get_shop("nope") is None
    assert adapter.list_shop_ids() == ["demo", "demo-zh"]


def test_products_and_faq(adapter, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        products = list(adapter.list_products("demo"))
    assert len(products) == Product.objects.filter(shop__slug="demo").count()
    assert all(isinstance(p, ProductInfo) for p in products)
    socks = adapter.get_product("demo", "NW-SOCK_MERINO.M")
    assert socks.url == "/s/demo/p/NW-SOCK_MERINO.M/"
    assert socks.category == "Footwear"
    assert socks.price == Decimal("32.00")
    assert adapter.get_product("demo-zh", "NW-SOCK_MERINO.M") is None
    assert any("退" in faq.question for faq in adapter.list_faq("demo-zh"))


def test_catalog_version_changes_with_products_faq_and_categories(adapter, demo, django_assert_num_queries):
    with django_assert_num_queries(1):
        v1 = adapter.catalog_version("demo")
    assert adapter.catalog_version("demo") == v1
    product = Product.objects.filter(shop__slug="demo").first()
    product.stock += 1
    product.save()
    v2 = adapter.catalog_version("demo")
    assert v2 != v1
    FaqEntry.objects.filter(shop__slug="demo").first().delete()
    v3 = adapter.catalog_version("demo")
    assert v3 != v2
    category = Category.objects.filter(shop__slug="demo").first()
    category.name = "Renamed"
    category.save()
    assert adapter.catalog_version("demo") != v3
    assert adapter.catalog_version("nope") == "none"


def test_get_order_only_for_its_customer_in_its_shop(adapter, demo_user, other_user):
    mine, theirs = str(demo_user.pk), str(other_user.pk)
    order = adapter.get_order("demo", mine, "NW-10042")
    assert isinstance(order, OrderInfo)
    assert (order.status, order.carrier, order.currency) == ("shipped", "UPS", "USD")
    assert order.total == sum(line.price * line.quantity for line in order.lines)
    assert adapter.get_order("demo", mine, " #nw-10042 ").number == "NW-10042"
    # another customer's order, the right order in the wrong shop, guests and junk refs
    assert adapter.get_order("demo", theirs, "NW-10042") is None
    assert adapter.get_order("demo", mine, "NW-10043") is None
    assert adapter.get_order("demo-zh", mine, "NW-10042") is None
    assert adapter.get_order("demo", "guest-abc", "NW-10042") is None
    assert adapter.get_order("demo", "", "NW-10042") is None
    assert adapter.get_order("demo", mine, "") is None


def test_recent_orders_newest_first_and_only_own(adapter, demo_user, other_user):
    orders = adapter.recent_orders("demo", str(demo_user.pk), limit=10)
    numbers = [o.number for o in orders]
    assert set(numbers) == set(
        Order.objects.filter(shop__slug="demo", customer=demo_user).values_list("number", flat=True)
    )
    assert [o.placed_at for o in orders] == sorted((o.placed_at for o in orders), reverse=True)
    assert len(adapter.recent_orders("demo", str(demo_user.pk), limit=2)) == 2
    assert adapter.recent_orders("demo", "not-a-number") == []


def test_find_customer(adapter, demo_user):
    assert adapter.find_customer(" DEMO@example.com ") == (str(demo_user.pk), "Alex Morgan")
    assert adapter.find_customer("nobody@example.com") is None
    assert adapter.find_customer("") is None


def test_resolve_shop_id(adapter, demo):
    request = RequestFactory().get("/s/demo-zh/products/")
    assert adapter.resolve_shop_id(request) == "demo-zh"
    assert adapter.resolve_shop_id(RequestFactory().get("/")) == "demo"


def test_customer_for_request(adapter, demo_user):
    request = RequestFactory().get("/")
    request.user = demo_user
    assert adapter.customer_for_request(request) == (str(demo_user.pk), "Alex Morgan")
