"""manage.py chatbot_ask against the demo shops, and the eval set as a regression test."""

import importlib.util
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chatbot.assistants.base import AssistantError
from chatbot.assistants.local import LocalShopAssistant
from chatbot.vocabulary import INTENTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def ask_json(*args):
    out = io.StringIO()
    call_command("chatbot_ask", *args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def test_json_output_shape(demo):
    data = ask_json("--shop", "demo", "do you have a rain jacket under 200 dollars?")
    assert set(data) == {"reply", "products", "intent", "handoff"}
    assert data["intent"] in INTENTS and data["intent"] == "product_search"
    assert isinstance(data["reply"], str) and data["reply"]
    assert all(isinstance(s, str) for s in data["products"]) and data["products"]
    assert data["handoff"] is False


def test_stdout_is_exactly_one_json_object(demo):
    out = io.StringIO()
    call_command("chatbot_ask", "--shop", "demo-zh", "--json", "转人工", stdout=out, stderr=io.StringIO())
    text = out.getvalue().strip()
    assert text.count("\n") == 0
    data = json.loads(text)
    assert data["handoff"] is True and data["intent"] == "handoff"


def test_customer_sees_own_orders(demo):
    data = ask_json("--shop", "demo", "--customer", "demo@example.com", "where is my order?")
    assert data["intent"] == "order_status" and "NW-10047" in data["reply"]
    other = ask_json("--shop", "demo", "--customer", "demo@example.com", "status of order NW-10043")
    assert "794612345678" not in other["reply"]


def test_plain_output(demo):
    out = io.StringIO()
    call_command("chatbot_ask", "--shop", "demo", "hello", stdout=out, stderr=io.StringIO())
    assert "Northwind Outfitters" in out.getvalue()


def test_unknown_shop_and_customer(demo):
    with pytest.raises(CommandError, match="Unknown shop"):
        call_command("chatbot_ask", "--shop", "nope", "hi", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No customer"):
        call_command(
            "chatbot_ask", "--shop", "demo", "--customer", "who@example.com", "hi", stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="Unknown assistant"):
        call_command("chatbot_ask", "--shop", "demo", "--assistant", "nope", "hi", stdout=io.StringIO())


def test_assistant_failure_is_a_command_error(demo, monkeypatch):
    def failing(self, context):
        raise AssistantError("boom", code="test_failure")
        yield  # pragma: no cover

    monkeypatch.setattr(LocalShopAssistant, "reply", failing)
    out = io.StringIO()
    with pytest.raises(CommandError, match="test_failure"):
        call_command("chatbot_ask", "--shop", "demo", "--json", "hi", stdout=out)
    assert out.getvalue() == ""


def test_eval_set_scores_at_least_95_percent(demo):
    spec = importlib.util.spec_from_file_location("assistant_eval", ROOT / "bench" / "assistant_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    items = [json.loads(line) for line in bench.EVAL_SET.read_text(encoding="utf-8").splitlines() if line]
    assert len(items) >= 60
    assert {i["shop"] for i in items} == {"demo", "demo-zh"}
    failures = []
    for item in items:
        final, _ = bench.ask(
            item["shop"], item["message"], item.get("customer"), item.get("history", ()), item.get("state")
        )
        problems = bench.check(item, final)
        if problems:
            failures.append((item["id"], item["message"], problems))
    assert len(failures) <= len(items) * 0.05, failures
