"""The tool contract shared by every assistant: schemas, validation, order privacy."""

import json

import pytest

from chatbot import tools

from .fakes import make_context

NAMES = {"search_products", "get_product", "get_order_status", "search_faq", "request_handoff"}


def test_schemas_are_openai_function_tools():
    assert {s["function"]["name"] for s in tools.TOOL_SCHEMAS} == NAMES
    for schema in tools.TOOL_SCHEMAS:
        assert schema["type"] == "function"
        params = schema["function"]["parameters"]
        assert params["type"] == "object" and "properties" in params
        json.dumps(schema)


def test_search_products_result(adapter):
    result = tools.run_tool("search_products", {"text": "jacket", "max_price": 150}, make_context(adapter))
    assert result["currency"] == "USD"
    assert {p["sku"] for p in result["products"]} == {"EN-JKT-1", "EN-JKT-3"}
    assert all(isinstance(p["price"], str) and p["price"].count(".") == 1 for p in result["products"])
    json.dumps(result)


def test_arguments_as_json_text(adapter):
    result = tools.run_tool("get_product", '{"sku": "en-jkt-1"}', make_context(adapter))
    assert result["product"]["name"] == "Storm Shell Rain Jacket"
    assert result["product"]["stock"] == 12


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("search_products", "{not json"),
        ("search_products", "[1, 2]"),
        ("search_products", {"limit": "five"}),
        ("search_products", {"limit": 0}),
        ("search_products", {"limit": 1000}),
        ("search_products", {"max_price": -1}),
        ("search_products", {"min_price": 50, "max_price": 10}),
        ("search_products", {"in_stock_only": "yes"}),
        ("search_products", {"sort": "random"}),
        ("search_products", {"colour": "red"}),
        ("search_products", {"text": "x" * 5000}),
        ("get_product", {}),
        ("get_product", {"sku": ""}),
        ("get_product", {"sku": 42}),
        ("search_faq", {"query": None}),
        ("get_order_status", {"number": ["A-1"]}),
        ("request_handoff", {"reason": "r" * 600}),
        ("delete_everything", {}),
    ],
)
def test_bad_arguments_return_errors(adapter, name, arguments):
    result = tools.run_tool(name, arguments, make_context(adapter))
    assert "error" in result and result["message"]


def test_tool_failure_is_reported_not_raised(adapter):
    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    adapter.get_product = broken
    result = tools.run_tool("get_product", {"sku": "EN-JKT-1"}, make_context(adapter))
    assert result["error"] == "tool_failed"


def test_order_tool_refuses_guests(adapter):
    result = tools.run_tool("get_order_status", {"number": "A-1002"}, make_context(adapter))
    assert result["error"] == "sign_in_required"
    assert "A-1002" not in json.dumps(result)


def test_order_tool_hides_other_customers_orders(adapter):
    theirs = tools.run_tool("get_order_status", {"number": "B-2001"}, make_context(adapter, customer="1"))
    missing = tools.run_tool("get_order_status", {"number": "X-0000"}, make_context(adapter, customer="1"))
    assert theirs == missing == {"error": "not_found", "message": theirs["message"]}


def test_order_tool_own_orders(adapter):
    result = tools.run_tool("get_order_status", {"number": "#a-1002"}, make_context(adapter, customer="1"))
    assert result["order"]["tracking_number"] == "1Z-ALICE-2"
    latest = tools.run_tool("get_order_status", {}, make_context(adapter, customer="1"))
    assert [o["number"] for o in latest["orders"]] == ["A-1002", "A-1001"]


def test_faq_and_handoff(adapter):
    faq = tools.run_tool("search_faq", {"query": "return policy"}, make_context(adapter))
    assert "30 days" in faq["results"][0]["answer"]
    handoff = tools.run_tool("request_handoff", {"reason": "angry"}, make_context(adapter))
    assert handoff["handoff"] is True
