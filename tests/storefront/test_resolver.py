import pytest
from django.test import RequestFactory, override_settings

from storefront.resolver import resolve_shop, shop_by_slug

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops(make_shop):
    return {
        "demo": make_shop("demo"),
        "tea": make_shop("tea", language="zh-hans", currency="CNY", domain="tea.example.com"),
        "other": make_shop("other"),
    }


def request(path="/", host="testserver"):
    return RequestFactory().get(path, HTTP_HOST=host)


@override_settings(ALLOWED_HOSTS=["*"])
def test_host_matching_a_shop_domain_wins(shops):
    assert resolve_shop(request("/s/other/", host="tea.example.com:8000")) == shops["tea"]
    assert resolve_shop(request("/", host="TEA.example.com")) == shops["tea"]


def test_url_prefix_names_the_shop(shops):
    assert resolve_shop(request("/s/other/products/")) == shops["other"]
    assert resolve_shop(request("/s/other")) == shops["other"]


def test_default_shop_when_nothing_else_matches(shops):
    assert resolve_shop(request("/accounts/login/")) == shops["demo"]
    assert resolve_shop(request("/s/unknown/")) == shops["demo"]


@override_settings(CHATBOT_SHOP_ID="other")
def test_default_comes_from_chatbot_shop_id(shops):
    assert resolve_shop(request("/")) == shops["other"]


def test_no_shop_at_all(db):
    assert resolve_shop(request("/")) is None


def test_new_and_renamed_shops_are_seen_at_once(shops, make_shop):
    assert shop_by_slug("late") is None
    late = make_shop("late")
    assert shop_by_slug("late") == late
    late.name = "Renamed"
    late.save()
    assert shop_by_slug("late").name == "Renamed"


def test_middleware_sets_shop_and_language(client, shops):
    response = client.get("/s/tea/")
    assert response.wsgi_request.shop == shops["tea"]
    assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
