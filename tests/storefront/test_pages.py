import pytest
from django.test import override_settings
from django.urls import reverse

from storefront.models import Product, Shop

pytestmark = pytest.mark.django_db

ZH_MARKERS = ["全部商品", "我的订单", "登录"]


def shop_pages(slug, sku):
    return [
        reverse("storefront:home", kwargs={"shop_slug": slug}),
        reverse("storefront:products", kwargs={"shop_slug": slug}),
        reverse("storefront:products", kwargs={"shop_slug": slug}) + "?q=a&page=2",
        reverse("storefront:product", kwargs={"shop_slug": slug, "sku": sku}),
        reverse("storefront:login") + f"?next=/s/{slug}/orders/",
    ]


@pytest.mark.parametrize(
    ("slug", "sku", "lang"), [("demo", "NW-TNT-2P-GRN", "en"), ("demo-zh", "ZH-LJ-MQ-250", "zh-hans")]
)
def test_every_page_answers_in_the_shop_language(client, demo, slug, sku, lang):
    for url in shop_pages(slug, sku):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html, url
        shop = Shop.objects.get(slug=slug)
        assert shop.name in html, url
        if lang == "zh-hans":
            assert any(marker in html for marker in ZH_MARKERS), url
            assert "Sign in" not in html, url


@pytest.mark.parametrize("slug", ["demo", "demo-zh"])
def test_orders_page_answers_when_signed_in(client, demo_user, slug):
    client.force_login(demo_user)
    response = client.get(f"/s/{slug}/orders/")
    assert response.status_code == 200
    if slug == "demo-zh":
        assert "我的订单" in response.content.decode()
        assert "已发货" in response.content.decode()


def test_pages_use_the_base_template_with_the_chat_widget(client, demo):
    response = client.get("/s/demo/")
    assert "base.html" in [t.name for t in response.templates]
    assert "/static/storefront/shop.css" in response.content.decode()


def test_landing_lists_shops_and_shows_demo_credentials(client, demo):
    html = client.get("/").content.decode()
    assert "Northwind Outfitters" in html
    assert "禾木茶居" in html
    assert "demo@example.com" in html
    assert "demo12345" in html
    assert 'href="/s/demo-zh/"' in html


def test_landing_without_shops_explains_how_to_load_them(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "load_demo" in response.content.decode()


@override_settings(ALLOWED_HOSTS=["*"])
def test_a_shop_domain_serves_that_shop_home_at_the_root(client, demo):
    Shop.objects.filter(slug="demo-zh").update(domain="tea.example.com")
    from django.core.cache import cache

    cache.clear()
    html = client.get("/", HTTP_HOST="tea.example.com").content.decode()
    assert "精选商品" in html
    assert "demo12345" not in html


def test_home_shows_categories_and_featured_products(client, demo):
    response = client.get("/s/demo/")
    html = response.content.decode()
    assert "Featured products" in html
    assert "?category=footwear" in html
    assert "Ridgeline 2 Backpacking Tent" in html
    assert "$329.00" in html


def test_search_by_name_description_and_sku(client, demo):
    def names(query):
        response = client.get("/s/demo/products/", {"q": query})
        return {p.sku for p in response.context["page"].object_list}

    assert "NW-TNT-2P-GRN" in names("ridgeline")
    assert "NW-POT-TI-900" in names("titanium")  # in the description only of some
    assert names("nw-sock_merino") == {"NW-SOCK_MERINO.M"}
    assert names("no such thing at all") == set()


def test_category_filter_and_pagination(client, demo):
    response = client.get("/s/demo/products/", {"category": "footwear"})
    skus = {p.sku for p in response.context["page"].object_list}
    assert skus == set(
        Product.objects.filter(shop__slug="demo", category__slug="footwear").values_list("sku", flat=True)
    )
    page1 = client.get("/s/demo/products/").context["page"]
    assert page1.paginator.count == Product.objects.filter(shop__slug="demo").count()
    page2 = client.get("/s/demo/products/", {"page": 2}).context["page"]
    assert not {p.pk for p in page1} & {p.pk for p in page2}
    assert client.get("/s/demo/products/", {"category": "nope"}).context["page"].paginator.count == 0
    assert client.get("/s/demo/products/", {"page": "junk"}).status_code == 200


def test_chinese_category_filter(client, demo):
    response = client.get("/s/demo-zh/products/", {"category": "绿茶"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 3


def test_unknown_shop_and_other_shops_sku_are_404(client, demo):
    assert client.get("/s/nope/").status_code == 404
    assert client.get("/s/nope/products/").status_code == 404
    assert client.get("/s/demo/p/ZH-LJ-MQ-250/").status_code == 404
    assert client.get("/s/demo/p/NOPE/").status_code == 404


def test_prices_in_the_shop_currency(client, demo):
    assert "¥398.00" in client.get("/s/demo-zh/p/ZH-LJ-MQ-250/").content.decode()
    assert "$32.00" in client.get("/s/demo/p/NW-SOCK_MERINO.M/").content.decode()


def test_out_of_stock_is_shown(client, demo):
    html = client.get("/s/demo/p/NW-TNT-4P-SND/").content.decode()
    assert "Out of stock" in html


def test_sign_in_by_email_then_sign_out(client, demo):
    response = client.post(
        "/accounts/login/",
        {"username": "DEMO@example.com", "password": "demo12345", "next": "/s/demo-zh/orders/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/s/demo-zh/orders/"
    assert "ZH-20017" in client.get("/s/demo-zh/orders/").content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is POST only
    response = client.post("/accounts/logout/", {"next": "/s/demo/"})
    assert response.status_code == 302
    assert client.get("/s/demo/orders/").status_code == 302


def test_wrong_password_shows_an_error(client, demo):
    response = client.post("/accounts/login/", {"username": "demo@example.com", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_sign_in_without_next_lands_on_a_page(client, demo):
    response = client.post("/accounts/login/", {"username": "other@example.com", "password": "other12345"})
    assert response.status_code == 302
    assert response["Location"] in {"/", "/s/demo/"}


def test_admin_pages_load(demo, admin_client):
    for url in [
        "/admin/storefront/shop/",
        "/admin/storefront/product/",
        "/admin/storefront/order/",
        "/admin/storefront/faqentry/",
        "/admin/storefront/category/",
        "/admin/storefront/product/add/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    order = Shop.objects.get(slug="demo").orders.first()
    assert admin_client.get(f"/admin/storefront/order/{order.pk}/change/").status_code == 200
