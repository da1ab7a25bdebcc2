import pytest

from storefront.models import Order

pytestmark = pytest.mark.django_db


def test_guest_is_sent_to_sign_in_with_next(client, demo):
    response = client.get("/s/demo/orders/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/s/demo/orders/"


def test_my_orders_shows_only_my_orders_of_this_shop(client, demo_user, other_user):
    client.force_login(demo_user)
    html = client.get("/s/demo/orders/").content.decode()
    mine = Order.objects.filter(shop__slug="demo", customer=demo_user)
    assert mine.count() >= 5
    for number in mine.values_list("number", flat=True):
        assert number in html
    for number in Order.objects.filter(shop__slug="demo", customer=other_user).values_list(
        "number", flat=True
    ):
        assert number not in html
    for number in Order.objects.filter(shop__slug="demo-zh").values_list("number", flat=True):
        assert number not in html


def test_orders_page_shows_status_carrier_tracking_lines_and_total(client, demo_user):
    client.force_login(demo_user)
    html = client.get("/s/demo/orders/").content.decode()
    order = Order.objects.get(shop__slug="demo", number="NW-10042")
    assert "Shipped" in html
    assert order.carrier in html
    assert order.tracking_number in html
    assert "Ridgeline 2 Backpacking Tent" in html
    assert f"${order.total:,.2f}" in html
    for label in ("Paid", "Delivered", "Cancelled", "Refunded"):
        assert label in html


def test_the_other_customer_sees_their_own(client, other_user):
    client.force_login(other_user)
    html = client.get("/s/demo/orders/").content.decode()
    assert "NW-10043" in html
    assert "NW-10042" not in html


def test_orders_page_query_count_does_not_grow_with_orders(client, demo_user, django_assert_max_num_queries):
    client.force_login(demo_user)
    client.get("/s/demo/orders/")  # warm the shop cache
    with django_assert_max_num_queries(8):
        client.get("/s/demo/orders/")
