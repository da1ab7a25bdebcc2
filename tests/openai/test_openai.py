import json

import pytest

from chatbot import tools
from chatbot.assistants import get_assistant
from chatbot.assistants.base import AssistantError
from chatbot.exceptions import ChatbotImproperlyConfigured
from chatbot.vocabulary import ChatTurn, ProductCards, TextDelta, Thinking
from tests.assistants_contract.contract import collect, final_of
from tests.assistants_contract.fake_openai import chunk
from tests.assistants_contract.fakes import make_context
from tests.assistants_contract.upstream import Reply

from .conftest import FIXTURES, fixture_reply


def reply(assistant, message="What is your return policy?", **kwargs):
    context = make_context(message, **kwargs)
    return context, collect(assistant, context)


def test_request_shape_for_a_keyless_local_server(model, make_openai):
    _fake, upstream = model
    history = [ChatTurn("shopper", "Hi"), ChatTurn("assistant", "Hello!"), ChatTurn("staff", "Anna here.")]
    _, events = reply(make_openai(), history=history)
    assert isinstance(events[0], Thinking)
    [call] = upstream.calls("/v1/chat/completions")
    assert "authorization" not in call.headers  # Ollama needs no key
    body = call.json
    assert body["model"] == "qwen2.5:7b-instruct" and body["stream"] is True
    assert [t["function"]["name"] for t in body["tools"]] == [
        s["function"]["name"] for s in tools.TOOL_SCHEMAS
    ]
    system = body["messages"][0]
    assert system["role"] == "system"
    for fact in ("Northwind Outfitters", "USD", "English", "another customer", "request_handoff"):
        assert fact in system["content"]
    assert [(m["role"], m["content"]) for m in body["messages"][1:]] == [
        ("user", "Hi"),
        ("assistant", "Hello!"),
        ("assistant", "[Staff member] Anna here."),
        ("user", "What is your return policy?"),
    ]


def test_api_key_is_sent_as_bearer(model, make_openai, settings):
    _fake, upstream = model
    settings.OPENAI_API_KEY = "sk-test-key"
    reply(make_openai())
    assert upstream.calls("/v1/chat/completions")[0].headers["authorization"] == "Bearer sk-test-key"


def test_guest_prompt_asks_to_sign_in(model, make_openai):
    _, upstream = model
    reply(make_openai(), customer=None)
    assert "sign in" in upstream.calls("/v1/chat/completions")[0].json["messages"][0]["content"]


def test_missing_configuration(settings):
    settings.OPENAI_MODEL = ""
    settings.OPENAI_BASE_URL = "http://localhost:11434/v1"
    with pytest.raises(ChatbotImproperlyConfigured, match="OPENAI_MODEL"):
        get_assistant("openai")


def test_recorded_fragmented_tool_calls_are_assembled_by_index(model, make_openai):
    fake, upstream = model
    fake.failures = [fixture_reply("stream_tool_calls.sse")]
    _, events = reply(make_openai(), "Tents? And returns?")
    second = upstream.calls("/v1/chat/completions")[1].json["messages"]
    assistant_turn, first_output, second_output = second[-3:]
    assert [c["function"] for c in assistant_turn["tool_calls"]] == [
        {"name": "search_products", "arguments": '{"text":"tent"}'},
        {"name": "search_faq", "arguments": '{"query":"returns"}'},
    ]
    assert first_output["role"] == "tool" and first_output["tool_call_id"] == "call_DdmO9pD3xa9XTPNJ32zg2hcA"
    assert json.loads(first_output["content"])["products"][0]["sku"] == "TENT-2P"
    assert second_output["tool_call_id"] == "call_8mN2QmS1bT5c0aYfGvH3kLpE"
    assert "30 days" in second_output["content"]
    assert [c.sku for e in events if isinstance(e, ProductCards) for c in e.products] == ["TENT-2P"]
    assert final_of(events).intent == "product_search"


def test_recorded_ollama_whole_tool_call(model, make_openai):
    fake, upstream = model
    fake.failures = [fixture_reply("ollama_stream_tool_calls.sse")]
    _, events = reply(make_openai(), "Where is NW-1001?")
    tool_message = upstream.calls("/v1/chat/completions")[1].json["messages"][-1]
    assert tool_message["tool_call_id"] == "call_s1u9gq3n"
    assert json.loads(tool_message["content"])["order"]["tracking_number"] == "1Z999AA10123456784"
    assert final_of(events).intent == "order_status"


def test_recorded_text_stream(model, make_openai):
    fake, _ = model
    fake.failures = [fixture_reply("stream_text.sse")]
    _, events = reply(make_openai())
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        "You can return ",
        "unused items ",
        "within 30 days.",
    ]
    assert final_of(events).text == "You can return unused items within 30 days."


def test_tool_rounds_are_bounded_and_the_last_round_has_no_tools(model, make_openai):
    fake, upstream = model
    looping = [
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "search_faq", "arguments": '{"query":"returns"}'},
                    }
                ]
            }
        ),
        chunk({}, "tool_calls"),
        "data: [DONE]\n\n",
    ]
    fake.failures = [Reply.sse(list(looping)), Reply.sse(list(looping))]
    _, events = reply(make_openai(max_rounds=3))
    calls = upstream.calls("/v1/chat/completions")
    assert len(calls) == 3
    assert "tools" in calls[1].json and "tools" not in calls[2].json
    assert final_of(events).text


def test_errors_before_the_first_delta_are_retried(model, make_openai):
    fake, upstream = model
    rate_limited = json.loads((FIXTURES / "error_rate_limit.json").read_text())
    fake.failures = [Reply.json(rate_limited, 429), Reply(status=502, body=b"bad gateway")]
    _, events = reply(make_openai())
    assert final_of(events).text
    assert len(upstream.calls("/v1/chat/completions")) == 3


def test_no_retry_after_the_stream_started(model, make_openai):
    fake, upstream = model
    fake.failures = [fixture_reply("stream_error_midway.sse")]
    seen = []
    with pytest.raises(AssistantError) as info:
        collect(make_openai(), make_context("How much is the tent?"), events=seen)
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == "The tent costs "
    assert info.value.started is True and info.value.retryable is True
    assert len(upstream.calls("/v1/chat/completions")) == 1


def test_dropped_stream_after_text(model, make_openai):
    fake, upstream = model
    data = (FIXTURES / "stream_text.sse").read_text()
    fake.failures = [Reply.sse([data[: data.index("unused")]], drop=True)]
    with pytest.raises(AssistantError) as info:
        reply(make_openai())
    assert info.value.started is True and len(upstream.calls("/v1/chat/completions")) == 1


def test_bad_key_is_not_retryable_and_not_quoted(model, make_openai, settings, caplog):
    fake, _ = model
    fake.api_key = "sk-right"
    settings.OPENAI_API_KEY = "sk-wrong-4c1d"
    with pytest.raises(AssistantError) as info:
        reply(make_openai())
    assert info.value.retryable is False and info.value.code == "openai_invalid_api_key"
    assert "sk-wrong-4c1d" not in str(info.value) and "sk-wrong-4c1d" not in caplog.text


def test_server_that_ignores_stream_and_answers_json(model, make_openai):
    fake, _ = model
    fake.failures = [
        Reply.json(
            {
                "id": "x",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "We ship in 2 days."},
                        "finish_reason": "stop",
                    }
                ],
            }
        )
    ]
    _, events = reply(make_openai())
    assert final_of(events).text == "We ship in 2 days."


def test_handoff_through_the_tool(model, make_openai):
    _, events = reply(make_openai(), "I want to talk to a human")
    final = final_of(events)
    assert final.handoff is True and final.intent == "handoff"
