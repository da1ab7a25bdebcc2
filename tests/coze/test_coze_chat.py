import json
import threading

import pytest

from chatbot.assistants import get_assistant
from chatbot.assistants.base import AssistantError
from chatbot.assistants.coze import STATE_CHAT, STATE_CONVERSATION
from chatbot.exceptions import ChatbotImproperlyConfigured
from chatbot.vocabulary import (
    ChatTurn,
    FinalReply,
    HandoffRequested,
    ProductCards,
    QuickReplies,
    TextDelta,
    Thinking,
)
from tests.assistants_contract.contract import collect, final_of
from tests.assistants_contract.fake_coze import LOGID
from tests.assistants_contract.fakes import make_context
from tests.assistants_contract.upstream import Reply

from .conftest import FIXTURES, fixture_reply


def reply(assistant, message="What is your return policy?", **kwargs):
    context = make_context(message, **kwargs)
    return context, collect(assistant, context)


def json_reply(name, status=200):
    return Reply.json(json.loads((FIXTURES / name).read_text()), status=status)


def test_request_shape_and_conversation_kept_in_state(coze, make_coze):
    _bot, upstream = coze
    context, events = reply(make_coze())
    assert isinstance(events[0], Thinking)
    [_create] = upstream.calls("/v1/conversation/create")
    [chat] = upstream.calls("/v3/chat")
    conversation_id = context.state[STATE_CONVERSATION]
    assert chat.query == {"conversation_id": conversation_id}
    body = chat.json
    assert body["bot_id"] == "7379462189365198898"
    assert body["stream"] is True and body["auto_save_history"] is True
    assert body["additional_messages"][-1] == {
        "role": "user",
        "type": "question",
        "content": "What is your return policy?",
        "content_type": "text",
    }
    # Stable, and says nothing about the shopper.
    assert body["user_id"].startswith("shopper-") and "chat-1" not in body["user_id"]

    # The next message of the same conversation reuses the Coze conversation.
    again = make_context("And shipping?", state=context.state)
    collect(make_coze(), again)
    assert len(upstream.calls("/v1/conversation/create")) == 1
    second = upstream.calls("/v3/chat")[1]
    assert second.query["conversation_id"] == conversation_id
    assert second.json["user_id"] == body["user_id"]
    assert len(second.json["additional_messages"]) == 1


def test_a_new_coze_conversation_receives_the_recent_history(coze, make_coze):
    _, upstream = coze
    history = [
        ChatTurn("shopper", "Hi"),
        ChatTurn("assistant", "Hello! How can I help?"),
        ChatTurn("system", "x"),
    ]
    reply(make_coze(), history=history)
    messages = upstream.calls("/v3/chat")[0].json["additional_messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "Hi"),
        ("assistant", "Hello! How can I help?"),
        ("user", "What is your return policy?"),
    ]


def test_bot_id_from_the_shop_overrides_the_default(coze, make_coze):
    _, upstream = coze
    reply(make_coze(bot_id="7450000000000000001"))
    assert upstream.calls("/v3/chat")[0].json["bot_id"] == "7450000000000000001"


def test_missing_bot_id_is_a_configuration_error(settings):
    settings.COZE_BOT_ID = ""
    with pytest.raises(ChatbotImproperlyConfigured, match="COZE_BOT_ID"):
        get_assistant("coze")


def test_recorded_stream_final_text_prefers_the_completed_message(coze, make_coze):
    bot, _ = coze
    bot.failures = [fixture_reply("chat_text_stream.sse")]
    _, events = reply(make_coze())
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert deltas == ["Our ", "return policy: ", "unused items within ", "30 days."]
    final = final_of(events)
    assert final.text == "Our return policy: unused items can be returned within 30 days of delivery."
    assert final.intent == "faq"


def test_follow_ups_become_quick_replies(coze, make_coze):
    bot, _ = coze
    bot.failures = [fixture_reply("chat_follow_up.sse")]
    _, events = reply(make_coze())
    quick = [e for e in events if isinstance(e, QuickReplies)]
    assert quick == [QuickReplies(("How do I start a return?", "Who pays for return shipping?"))]
    assert final_of(events).quick_replies == quick[0].options
    assert "How do I start" not in final_of(events).text


def test_comments_unknown_events_crlf_and_bare_done_are_tolerated(coze, make_coze):
    bot, _ = coze
    bot.failures = [fixture_reply("chat_tolerance.sse", size=3)]
    _, events = reply(make_coze())
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello ", "there!"]
    assert final_of(events).text == "Hello there!"


@pytest.mark.parametrize("done", ['"[DONE]"', "[DONE]"])
def test_both_done_shapes_end_the_stream(coze, make_coze, done):
    bot, _ = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text().replace('data:"[DONE]"', f"data:{done}")
    # Anything after done is not read: the stream is over.
    bot.failures = [Reply.sse([text, "event:conversation.message.delta\ndata:{}\n\n"])]
    _, events = reply(make_coze())
    assert final_of(events).text.startswith("Our return policy")


def test_recorded_requires_action_runs_the_shop_tool_and_submits_its_output(coze, make_coze):
    bot, upstream = coze
    bot.failures = [fixture_reply("chat_requires_action.sse")]
    bot.submit_failures = [fixture_reply("chat_submit_tool_outputs.sse")]
    context, events = reply(make_coze(), "Do you have tents?")
    [submit] = upstream.calls("/v3/chat/submit_tool_outputs")
    assert submit.query == {
        "conversation_id": context.state[STATE_CONVERSATION],
        "chat_id": "7451024373590049830",
    }
    [output] = submit.json["tool_outputs"]
    assert submit.json["stream"] is True
    assert output["tool_call_id"] == "BUJJF0dAQ0NAEBVeQkVKEV5HFURFXhFCEhFeFxdHShcSEEBAEUVGQA"
    assert json.loads(output["output"])["products"][0]["sku"] == "TENT-2P"
    cards = [e for e in events if isinstance(e, ProductCards)]
    assert cards and cards[0].products[0].sku == "TENT-2P"
    final = final_of(events)
    assert final.text == "The Trailhead 2-Person Tent costs 149.00 USD and is in stock."
    assert final.intent == "product_search"
    assert [c.sku for c in final.products] == ["TENT-2P"]
    # Thinking before text, again while the tools run.
    assert sum(isinstance(e, Thinking) for e in events) == 2


def test_request_handoff_tool_call(coze, make_coze):
    _, _upstream = coze
    _, events = reply(make_coze(), "Can I talk to a human please?")
    assert HandoffRequested("The shopper asked for a person.") in events
    final = final_of(events)
    assert final.handoff is True and final.intent == "handoff"


@pytest.mark.parametrize(
    "failures",
    [
        [json_reply("error_4013.json")],  # HTTP 200 + JSON where SSE was expected
        [
            json_reply("error_4013.json", status=429),
            Reply.json({"code": 5000, "msg": "internal"}, status=502),
        ],
        [Reply(status=503, body=b"<html>Service Unavailable</html>", headers={"Content-Type": "text/html"})],
    ],
)
def test_errors_before_the_stream_are_retried(coze, make_coze, failures):
    bot, upstream = coze
    bot.failures = list(failures)
    _, events = reply(make_coze())
    assert final_of(events).text
    assert len(upstream.calls("/v3/chat")) == len(failures) + 1


def test_retries_are_bounded_and_log_the_logid(coze, make_coze, caplog):
    bot, upstream = coze
    bot.failures = [json_reply("error_4013.json")] * 5
    with pytest.raises(AssistantError) as info:
        reply(make_coze())
    assert info.value.retryable is True and info.value.started is False
    assert info.value.code == "coze_4013"
    assert len(upstream.calls("/v3/chat")) == 3
    assert "202412201234560A8D4F0C9E7B3A1F2D43" in caplog.text


def test_json_error_where_a_stream_was_expected_is_not_retried_when_permanent(coze, make_coze):
    bot, upstream = coze
    bot.failures = [json_reply("error_4000.json")]
    with pytest.raises(AssistantError) as info:
        reply(make_coze())
    assert info.value.code == "coze_4000"
    assert "bot_id" in str(info.value)
    assert len(upstream.calls("/v3/chat")) == 1


def test_connection_errors_are_retried_then_reported(settings, make_coze):
    settings.COZE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.COZE_BOT_ID = "1"
    settings.COZE_API_TOKEN = "pat_x"
    settings.COZE_OAUTH_APP_ID = ""
    with pytest.raises(AssistantError) as info:
        reply(make_coze())
    assert info.value.retryable is True and info.value.code == "coze_connection_error"


def test_no_retry_once_text_has_streamed(coze, make_coze):
    bot, upstream = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text()
    cut = text.index("event:conversation.message.completed")
    bot.failures = [Reply.sse([text[:cut]], drop=True)]
    context = make_context("What is your return policy?")
    seen = []
    with pytest.raises(AssistantError) as info:
        collect(make_coze(), context, events=seen)
    assert [e for e in seen if isinstance(e, TextDelta)]
    assert info.value.started is True and info.value.retryable is True
    assert len(upstream.calls("/v3/chat")) == 1


@pytest.mark.parametrize(
    ("fixture", "code", "started"),
    [
        ("chat_failed_last_error.sse", "coze_5000", True),
        ("chat_failed_bare.sse", "coze_4011", False),
        ("chat_error_event.sse", "coze_4000", False),
    ],
)
def test_failed_chat_and_error_events(coze, make_coze, fixture, code, started):
    bot, upstream = coze
    bot.failures = [fixture_reply(fixture)]
    with pytest.raises(AssistantError) as info:
        reply(make_coze())
    assert info.value.code == code
    assert info.value.started is started
    assert info.value.retryable is True
    assert len(upstream.calls("/v3/chat")) == 1


def test_stream_that_stops_before_completion_is_an_error(coze, make_coze):
    bot, _ = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text()
    bot.failures = [Reply.sse([text[: text.index("event:conversation.chat.completed")]])]
    with pytest.raises(AssistantError) as info:
        reply(make_coze())
    assert info.value.code == "coze_stream_incomplete" and info.value.started is True


def test_read_timeout_between_events(coze, make_coze):
    bot, _ = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text()
    cut = text.index("event:conversation.message.completed")
    gate = threading.Event()

    def slow():
        yield text[:cut].encode()
        gate.wait(5)
        yield text[cut:].encode()

    bot.failures = [Reply(headers={"Content-Type": "text/event-stream"}, chunks=slow())]
    try:
        with pytest.raises(AssistantError) as info:
            reply(make_coze(read_timeout=0.3))
    finally:
        gate.set()
    assert info.value.code == "coze_timeout" and info.value.started is True


def test_chat_in_progress_cancels_our_previous_chat_and_retries(coze, make_coze):
    bot, upstream = coze
    bot.failures = [json_reply("error_4016.json")]
    state = {STATE_CONVERSATION: "7451024373590016038", STATE_CHAT: "7451024373590049830"}
    context, events = reply(make_coze(), state=state)
    assert bot.cancelled == ["7451024373590049830"]
    assert final_of(events).text
    assert context.state[STATE_CONVERSATION] == "7451024373590016038"
    assert len(upstream.calls("/v3/chat")) == 2


def test_chat_in_progress_without_a_chat_to_cancel_moves_to_a_new_conversation(coze, make_coze):
    bot, upstream = coze
    bot.failures = [json_reply("error_4016.json")]
    history = [ChatTurn("shopper", "Hi"), ChatTurn("assistant", "Hello!")]
    context, events = reply(make_coze(), state={STATE_CONVERSATION: "old-conversation"}, history=history)
    assert final_of(events).text
    assert context.state[STATE_CONVERSATION] not in ("old-conversation", "")
    last = upstream.calls("/v3/chat")[-1]
    assert last.query["conversation_id"] == context.state[STATE_CONVERSATION]
    assert len(last.json["additional_messages"]) == 3  # the history came along


def test_chat_id_is_remembered_until_the_chat_completes(coze, make_coze):
    bot, _ = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text()
    bot.failures = [Reply.sse([text[: text.index("event:conversation.message.completed")]], drop=True)]
    context = make_context("Hi")
    with pytest.raises(AssistantError):
        collect(make_coze(), context)
    assert context.state[STATE_CHAT] == "7451024373590049830"
    collect(make_coze(), context)
    assert STATE_CHAT not in context.state


def test_stop_requested_ends_the_reply_and_cancels_the_chat(coze, make_coze):
    bot, _ = coze
    context = make_context("Hello!")
    stop = threading.Event()
    context.stop_requested = stop.is_set

    def press_stop_after_the_first_delta(event):
        if isinstance(event, TextDelta):
            stop.set()
        return False  # keep reading: the assistant itself must notice and end

    events = collect(make_coze(), context, until=press_stop_after_the_first_delta)
    assert len([e for e in events if isinstance(e, TextDelta)]) == 1
    assert isinstance(events[-1], FinalReply)
    assert bot.cancelled


def test_multiple_answers_are_separated_in_stream_and_final(coze, make_coze):
    bot, _ = coze
    text = (FIXTURES / "chat_text_stream.sse").read_text()
    second = text.replace("7451024390383747110", "7451024390383747999")
    first_part = text[: text.index("event:conversation.chat.completed")]
    second_part = second[second.index("event:conversation.message.delta") :]
    bot.failures = [Reply.sse([first_part, second_part])]
    _, events = reply(make_coze())
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    final = final_of(events)
    assert final.text.count("Our return policy") == 2 and "\n\n" in final.text
    once = "Our return policy: unused items within 30 days."
    assert streamed == f"{once}\n\n{once}"


def test_logid_from_the_stream_header_is_logged_on_failure(coze, make_coze, caplog):
    bot, _ = coze
    bot.failures = [fixture_reply("chat_failed_bare.sse", headers={"x-tt-logid": LOGID})]
    with pytest.raises(AssistantError):
        reply(make_coze())
    assert LOGID in caplog.text


def test_a_pipeline_that_stops_reading_after_the_stop_cancels_the_coze_chat(coze, make_coze):
    """The pipeline notices the stop between events and closes the reply; Coze must not go
    on generating (and billing) the rest of the answer. Through the sync ``reply`` (its
    ``close()`` closes ``areply`` on its private loop); the contract tests ``aclose()``."""
    bot, _ = coze
    context = make_context("Hello!")
    stop = threading.Event()
    context.stop_requested = stop.is_set
    events = make_coze().reply(context)
    for event in events:
        if isinstance(event, TextDelta):
            stop.set()
            break
    events.close()
    assert bot.cancelled
