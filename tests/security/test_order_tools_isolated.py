"""Rule: a shopper sees and acts on their own conversation only; order tools answer only for
the signed-in customer's own orders in this shop; a guest is asked to sign in.

Written with the feature (named below) plus the shop boundary through the real storefront:
a customer's order of one shop is unknown in another shop, answered exactly like a number
that does not exist."""

from __future__ import annotations

import pytest

from tests.storefront.test_chat_identity import ask, browser, sign_in

from .references import missing

REFERENCES = [
    "tests.assistant.test_tools::test_order_tool_refuses_guests",
    "tests.assistant.test_tools::test_order_tool_hides_other_customers_orders",
    "tests.assistant.test_tools::test_order_tool_own_orders",
    "tests.storefront.test_chat_identity::test_another_customers_order_number_gets_the_unknown_answer",
    "tests.storefront.test_orders::test_my_orders_shows_only_my_orders_of_this_shop",
    "tests.api.test_isolation::test_one_visitor_cannot_read_or_stop_anothers_conversation",
]


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []


@pytest.mark.django_db
def test_an_order_of_one_shop_is_unknown_in_another_shop(demo):
    client = browser()
    sign_in(client, "demo@example.com", "demo12345")
    at_home = ask(client, "status of NW-10047?", "h1", "demo")
    assert "NW-10047" in at_home and "find" not in at_home.lower()  # it is theirs, in its shop
    elsewhere = ask(client, "status of NW-10047?", "e1", "demo-zh")
    unknown = ask(client, "status of NW-99999?", "e2", "demo-zh")
    assert elsewhere.replace("NW-10047", "#") == unknown.replace("NW-99999", "#")


@pytest.mark.django_db
def test_a_guest_asking_for_an_order_is_asked_to_sign_in(demo):
    answer = ask(browser(), "where is my order NW-10047?", "g1", "demo")
    assert "sign in" in answer.lower()
    assert "shipped" not in answer.lower() and "delivered" not in answer.lower()
