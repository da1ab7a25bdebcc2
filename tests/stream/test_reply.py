"""Streaming a reply into Stream: placeholder, indicator events, coalesced partials, one
final update; and what happens when Stream answers 429 or 5xx."""

from __future__ import annotations

import pytest

from chatbot import stop
from chatbot.engines.stream import StreamEngine, StreamReplyWriter
from chatbot.models import Message
from chatbot.vocabulary import FinalReply, ProductCard

pytestmark = pytest.mark.django_db

CARD = ProductCard(
    sku="TSH-01",
    name="Trail tee",
    price="19.90",
    currency="USD",
    stock=4,
    in_stock=True,
    url="/p/TSH-01",
    image_url="/img/tsh.jpg",
)


@pytest.fixture
def reply(conversation):
    question = Message.objects.create(
        conversation=conversation, role=Message.Role.SHOPPER, text="hi", client_message_id="c-1"
    )
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=question,
    )


def _stream(writer, clock, *, deltas=500, seconds=10.0):
    """What the pipeline does: thinking, then the deltas as they come, polling stop."""
    writer.thinking()
    step = seconds / deltas
    for i in range(deltas):
        assert not writer.stop_requested
        writer.delta(f"w{i} ")
        clock.advance(step)
    return "".join(f"w{i} " for i in range(deltas))


def test_a_ten_second_reply_costs_at_most_52_calls(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    stream_api.rsps.calls.reset()  # count the reply, not the one-off user/channel set-up

    text = _stream(writer, clock)
    writer.finish(FinalReply(text=text))

    routes = stream_api.routes()
    partials = [r for r in routes if r.endswith("/ephemeral")]
    print(
        f"\nStream calls for a 10 s / 500-delta reply: {len(routes) + 1} "
        f"(placeholder included), partials {len(partials)}"
    )
    assert len(routes) + 1 <= 52  # +1: the placeholder, sent before the reset
    assert len(partials) <= 40
    events = [e["ai_state"] if e["type"] == "ai_indicator.update" else e["type"] for e in stream_api.events()]
    assert events == ["AI_STATE_THINKING", "AI_STATE_GENERATING", "ai_indicator.clear"]
    assert [r for r in routes if r.startswith("PUT ")] == [f"PUT /messages/{writer.message_id}"]
    final = stream_api.bodies("PUT", r"^/messages/")[0]
    assert final == {
        "set": {"text": text, "generating": False, "attachments": []},
        "user": {"id": "assistant-demo"},
    }
    # Partials carry the text so far, growing; none of them is the final.
    partial_texts = [b["set"]["text"] for b in stream_api.bodies("PATCH", r"/ephemeral$")]
    assert partial_texts == sorted(partial_texts, key=len)
    assert all(b["set"]["generating"] is True for b in stream_api.bodies("PATCH", r"/ephemeral$"))


def test_placeholder_then_final_with_cards_and_quick_replies(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    placeholder = stream_api.bodies("POST", r"/message$")[0]["message"]
    assert placeholder == {
        "id": f"{conversation.channel_id}-reply-{reply.pk}",
        "text": "",
        "ai_generated": True,
        "generating": True,
        "chatbot_message_id": reply.pk,
        "reply_to": reply.reply_to_id,
        "user": {"id": "assistant-demo"},
    }
    reply.refresh_from_db()
    assert reply.engine_message_id == placeholder["id"]

    writer.thinking()
    writer.delta("Here is ")
    clock.advance(0.3)
    writer.delta("a tee.")
    writer.products([CARD])
    writer.quick_replies(["Sizes?", "Shipping?"])
    writer.handoff("asked for a person")
    writer.finish(FinalReply(text="Here is a tee.", products=(CARD,), quick_replies=("Sizes?", "Shipping?")))

    final = stream_api.bodies("PUT", r"^/messages/")[-1]["set"]
    assert final == {
        "text": "Here is a tee.",
        "generating": False,
        "handoff": True,
        "attachments": [
            {
                "type": "product",
                "sku": "TSH-01",
                "name": "Trail tee",
                "price": "19.90",
                "currency": "USD",
                "stock": 4,
                "in_stock": True,
                "url": "/p/TSH-01",
                "image_url": "/img/tsh.jpg",
            },
            {
                "type": "quick_replies",
                "options": [
                    {"label": "Sizes?", "action": {"type": "ask"}},
                    {"label": "Shipping?", "action": {"type": "ask"}},
                ],
            },
        ],
    }
    assert stream_api.events()[-1] == {"type": "ai_indicator.clear", "user": {"id": "assistant-demo"}}


def test_ephemeral_404_falls_back_to_persistent_partials(stream_api, conversation, reply, clock):
    stream_api.ephemeral_status = 404
    writer = StreamEngine().open_reply(conversation, reply)
    writer.thinking()
    writer.delta("one ")
    for word in ("two ", "three ", "four "):
        clock.advance(0.3)
        writer.delta(word)
    writer.finish(FinalReply(text="one two three four "))

    routes = stream_api.routes()
    assert routes.count(f"PATCH /messages/{writer.message_id}/ephemeral") == 1  # learnt once
    puts = stream_api.bodies("PUT", r"^/messages/")
    assert [p["set"]["generating"] for p in puts] == [True, True, True, False]

    # The next reply of this process does not try the ephemeral route again.
    stream_api.rsps.calls.reset()
    other = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=reply.reply_to,
    )
    writer2 = StreamEngine().open_reply(conversation, other)
    writer2.delta("a")
    clock.advance(0.3)
    writer2.delta("b")
    assert not any(r.endswith("/ephemeral") for r in stream_api.routes())


def test_fail_shows_error_state_and_fallback_text(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    writer.thinking()
    writer.fail("Sorry, I couldn't answer just now.", retryable=True, code="assistant_error")

    final = stream_api.bodies("PUT", r"^/messages/")[-1]["set"]
    assert final["text"] == "Sorry, I couldn't answer just now."
    assert final["generating"] is False
    assert final["ai_error"] == "assistant_error"
    error = stream_api.events()[-1]
    assert error["type"] == "ai_indicator.update"
    assert error["ai_state"] == "AI_STATE_ERROR"
    assert error["message_id"] == writer.message_id


def test_final_update_waits_out_a_429_then_succeeds(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    writer.delta("hello")
    reset_at = int(clock.now) + 2
    stream_api.fail(
        "PUT",
        r"^/messages/",
        429,
        body={"code": 9, "message": "Too many requests", "StatusCode": 429},
        headers={
            "X-RateLimit-Limit": "1000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset_at),
        },
    )
    writer.finish(FinalReply(text="hello"))

    assert clock.slept and 1.5 <= clock.slept[0] <= 2.0  # waited until X-RateLimit-Reset
    puts = [c for c in stream_api.calls if c.request.method == "PUT"]
    assert [c.response.status_code for c in puts] == [429, 201]
    assert stream_api.events()[-1]["type"] == "ai_indicator.clear"


def test_5xx_is_retried_a_bounded_number_of_times_then_fails_visibly(stream_api, conversation, reply, clock):
    from chatbot.engines.stream.client import RETRY_ATTEMPTS, StreamError

    writer = StreamEngine().open_reply(conversation, reply)
    writer.delta("hello")
    stream_api.fail("PUT", r"^/messages/", 503, times=RETRY_ATTEMPTS, body="upstream unavailable")

    with pytest.raises(StreamError):
        writer.finish(FinalReply(text="hello"))
    puts = [c for c in stream_api.calls if c.request.method == "PUT"]
    assert len(puts) == RETRY_ATTEMPTS
    assert len(clock.slept) == RETRY_ATTEMPTS - 1
    assert sum(clock.slept) < 5
    assert stream_api.events()[-1]["ai_state"] == "AI_STATE_ERROR"


def test_pipeline_failure_after_a_broken_stream_still_shows_the_fallback(
    stream_api, conversation, reply, clock
):
    """The placeholder never made it (Stream down at that moment): fail() posts the
    fallback as a whole message so the shopper sees it."""
    stream_api.fail("POST", r"/message$", 500, times=3)
    writer = StreamEngine().open_reply(conversation, reply)
    writer.delta("lost")  # nothing to update: no call
    writer.fail("Sorry, try again.", retryable=True, code="engine_error")

    sent = stream_api.bodies("POST", r"/message$")[-1]["message"]
    assert sent["text"] == "Sorry, try again."
    assert sent["ai_generated"] is True
    assert sent["id"] == writer.message_id
    assert stream_api.events()[-1]["ai_state"] == "AI_STATE_ERROR"


def test_partial_429_is_skipped_and_the_next_waits(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    writer.delta("a")
    stream_api.fail(
        "PATCH",
        r"/ephemeral$",
        429,
        body={"code": 9, "message": "Too many requests"},
        headers={"X-RateLimit-Reset": str(int(clock.now) + 3)},
    )
    clock.advance(0.3)
    writer.delta("b")  # 429: skipped, no sleep in the stream
    assert clock.slept == []
    for _ in range(5):
        clock.advance(0.3)
        writer.delta("c")
    patches = [c for c in stream_api.calls if c.request.url.split("?")[0].endswith("/ephemeral")]
    assert len(patches) == 1  # waited out the reset (~3 s) before the next partial
    clock.advance(1.5)
    writer.delta("d")
    assert len([c for c in stream_api.calls if c.request.url.split("?")[0].endswith("/ephemeral")]) == 2


def test_stop_flag_is_read_at_most_every_200ms(stream_api, conversation, reply, clock, monkeypatch):
    reads = []
    real = stop.stop_requested
    monkeypatch.setattr(stop, "stop_requested", lambda reply_id: reads.append(reply_id) or real(reply_id))
    writer = StreamEngine().open_reply(conversation, reply)
    for _ in range(100):
        assert not writer.stop_requested
        clock.advance(0.01)  # one second in all
    assert 5 <= len(reads) <= 6
    stop.request_stop(reply.pk)
    clock.advance(0.2)
    assert writer.stop_requested
    assert writer.stop_requested  # stays stopped without another read


def test_stopped_reply_keeps_what_was_streamed(stream_api, conversation, reply, clock):
    writer = StreamEngine().open_reply(conversation, reply)
    writer.delta("Half an ")
    writer.delta("answer")
    writer.finish(FinalReply(text="Half an answer that went on"), stopped=True)
    final = stream_api.bodies("PUT", r"^/messages/")[-1]["set"]
    assert final["text"] == "Half an answer"
    assert final["stopped"] is True


def test_deliver_shopper_message_posts_it_as_the_shopper(stream_api, conversation):
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text="Do you ship to Oslo?",
        client_message_id="abc-1",
    )
    engine = StreamEngine()
    engine.deliver_shopper_message(conversation, message)
    engine.deliver_shopper_message(conversation, message)  # a retry: Stream already has it, no error

    sent = stream_api.bodies("POST", r"/message$")[0]["message"]
    assert sent == {
        "id": f"{conversation.channel_id}-abc-1",
        "text": "Do you ship to Oslo?",
        "client_message_id": "abc-1",
        "chatbot_message_id": message.pk,
        "user": {"id": conversation.chat_user_id},
    }
    message.refresh_from_db()
    assert message.engine_message_id == sent["id"]


def test_long_client_ids_give_a_stable_id_that_fits(stream_api, conversation):
    message = Message.objects.create(
        conversation=conversation, role=Message.Role.SHOPPER, text="hi", client_message_id="x" * 64
    )
    StreamEngine().deliver_shopper_message(conversation, message)
    message.refresh_from_db()
    assert len(message.engine_message_id) <= 80
    assert message.engine_message_id == stream_api.bodies("POST", r"/message$")[0]["message"]["id"]


def test_deliver_message_posts_staff_notice_as_the_assistant(stream_api, conversation):
    notice = Message.objects.create(
        conversation=conversation, role=Message.Role.SYSTEM, text="A person will reply here.", handoff=True
    )
    StreamEngine().deliver_message(conversation, notice)
    sent = stream_api.bodies("POST", r"/message$")[0]["message"]
    assert sent["user"] == {"id": "assistant-demo"}
    assert sent["chatbot_role"] == "system"
    assert sent["handoff"] is True
    assert "ai_generated" not in sent


def test_writer_is_a_reply_writer():
    from chatbot.engines.base import ReplyWriter

    assert issubclass(StreamReplyWriter, ReplyWriter)
