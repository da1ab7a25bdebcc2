"""Every shop gets its chat settings without anyone typing its slug: on its first page
with the widget, and listed by the storefront's adapter in one query."""

import pytest

from chatbot.models import ShopChatSettings
from storefront.chat_adapter import StorefrontAdapter


@pytest.mark.django_db
def test_a_shops_first_page_makes_its_chat_settings(client, make_shop):
    make_shop("acme", name="Acme Outdoor")
    assert not ShopChatSettings.objects.exists()
    assert client.get("/s/acme/").status_code == 200
    row = ShopChatSettings.objects.get()
    assert (row.shop_id, row.enabled, row.expected_wait_minutes) == ("acme", True, 10)


@pytest.mark.django_db
def test_the_adapter_lists_every_shop_in_one_query(make_shop, django_assert_num_queries):
    make_shop("acme", name="Acme Outdoor")
    make_shop("chaye", name="茶叶", language="zh-hans", currency="CNY")
    with django_assert_num_queries(1):
        shops = StorefrontAdapter().list_shops()
    assert [(s.id, s.name, s.language) for s in shops] == [
        ("acme", "Acme Outdoor", "en"),
        ("chaye", "茶叶", "zh-hans"),
    ]
