"""The contract every chat engine passes (as tests/assistants_contract does for
assistants). A subclass per engine supplies three fixtures:

- ``engine_settings``: the settings under which ``chatbot.engines.get_engine()`` picks
  the engine (the tests get their engine from there, as the pipeline does);
- ``observer``: an :class:`~.observers.Observer` reading the engine's own output (the
  local engine's hub events; the HTTP calls the Stream engine made);
- ``pause``: lets ``seconds`` of the engine's time pass (between chunks of a reply, and
  while the stop flag is polled).

The writer tests drive ``ChatEngine``/``ReplyWriter`` in the order the pipeline does and
store the reply row the way ``chatbot.pipeline.run_reply`` does before it calls
``finish``/``fail``; the pipeline tests run ``receive_shopper_message`` end to end with a
scripted assistant (``CHATBOT_REPLY_MODE=inline``).
"""

from __future__ import annotations

import pytest

from chatbot.assistants.base import AssistantError
from chatbot.engines import get_engine
from chatbot.models import Conversation, Message
from chatbot.pipeline import (
    FALLBACK_TEXT,
    HANDOFF_PAUSED_TEXT,
    receive_shopper_message,
    request_stop,
)
from chatbot.vocabulary import (
    FinalReply,
    HandoffRequested,
    ProductCards,
    QuickReplies,
    Shopper,
    TextDelta,
    Thinking,
    quick_replies_json,
)

from .fakes import SCRIPTED_ASSISTANT, TENT, ScriptedAssistant
from .observers import Shown

# More than the Stream engine's 250 ms between partial updates and the writers' 200 ms
# between stop-flag reads: each chunk after a pause is visible on its own.
CHUNK_GAP = 0.3
STOP_WAIT = 2.0

DELTAS = ["Our ", "Trailhead Tent 2P ", "costs ", "149 dollars."]
# Differs from the deltas on purpose: the final text is authoritative.
FINAL_TEXT = "Our Trailhead Tent 2P costs $149.00."
OPTIONS = ["Is it waterproof?", "Shipping times?"]


# ---------------------------------------------------------------- what the pipeline stores


def store_shopper_message(conversation: Conversation, text: str, client_message_id: str) -> Message:
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.SHOPPER,
        text=text,
        status=Message.Status.RECEIVED,
        client_message_id=client_message_id,
    )


def store_pending_reply(conversation: Conversation, question: Message) -> Message:
    return Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=question,
    )


def open_streaming(engine, conversation: Conversation, reply: Message):
    writer = engine.open_reply(conversation, reply)
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)
    reply.status = Message.Status.STREAMING
    return writer


def store_outcome(reply: Message, final: FinalReply, *, stopped: bool, parts: list[str]) -> None:
    """``run_reply`` after the assistant's stream ended, before ``writer.finish``."""
    reply.text = final.text if not stopped else "".join(parts)
    reply.intent = final.intent
    reply.products = [card.as_dict() for card in final.products]
    reply.quick_replies = quick_replies_json(final.quick_replies)
    reply.handoff = final.handoff
    reply.status = Message.Status.STOPPED if stopped else Message.Status.DONE
    reply.save(
        update_fields=["text", "intent", "products", "quick_replies", "handoff", "status", "updated_at"]
    )


def store_failure(reply: Message, text: str, code: str) -> None:
    """``run_reply``'s ``_mark_failed``, before ``writer.fail``."""
    reply.text = text
    reply.status = Message.Status.FAILED
    reply.error_code = code
    reply.save(update_fields=["text", "status", "error_code", "updated_at"])


def assert_grows_through(texts: list[str], whole: str) -> None:
    """Partial texts: at least two, each longer than the last, all a prefix of ``whole``."""
    assert len(texts) >= 2, texts
    assert all(whole.startswith(text) for text in texts), (texts, whole)
    assert [len(t) for t in texts] == sorted({len(t) for t in texts}), texts


def streaming_reply(conversation: Conversation) -> Message:
    return Message.objects.get(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.STREAMING
    )


class EngineContract:
    engine_name = ""

    # ------------------------------------------------------------ supplied per engine

    @pytest.fixture
    def engine_settings(self):
        raise NotImplementedError

    @pytest.fixture
    def observer(self, engine_settings):
        raise NotImplementedError

    @pytest.fixture
    def pause(self):
        raise NotImplementedError

    # ------------------------------------------------------------ shared

    @pytest.fixture
    def engine(self, engine_settings):
        engine = get_engine()
        assert engine.name == self.engine_name
        return engine

    @pytest.fixture
    def conversation(self, make_shop, observer):
        make_shop("demo", name="Northwind Outfitters")
        conversation = Conversation.objects.create(
            shop_id="demo", chat_user_id="g0123456789abcdef01234567", display_name="Guest 4567", language="en"
        )
        observer.watch(conversation)
        return conversation

    @pytest.fixture
    def other_conversation(self, conversation, observer):
        other = Conversation.objects.create(
            shop_id="demo", chat_user_id="g76543210fedcba9876543210", display_name="Guest 3210", language="en"
        )
        observer.watch(other)
        return other

    @pytest.fixture
    def question(self, conversation):
        return store_shopper_message(conversation, "How much is the Trailhead tent?", "c-1")

    @pytest.fixture
    def reply(self, conversation, question):
        return store_pending_reply(conversation, question)

    @pytest.fixture
    def script(self, settings, engine_settings):
        settings.CHATBOT_ASSISTANT = SCRIPTED_ASSISTANT
        settings.CHATBOT_REPLY_MODE = "inline"
        ScriptedAssistant.script = []
        yield ScriptedAssistant.script
        ScriptedAssistant.script = []

    def wait_for_stop(self, writer, pause) -> bool:
        waited = 0.0
        while waited < STOP_WAIT:
            if writer.stop_requested:
                return True
            pause(0.05)
            waited += 0.05
        return writer.stop_requested

    # ------------------------------------------------------------ the session

    def test_session_payload_names_the_engine_and_a_channel_per_conversation(
        self, engine, conversation, other_conversation
    ):
        shopper = Shopper(chat_user_id=conversation.chat_user_id, display_name="Guest 4567")
        payload = engine.session_payload(conversation, shopper)
        assert {"token", "apiKey", "engine", "channel"} <= set(payload)
        assert payload["engine"] == engine.name
        assert payload["channel"]["id"]
        assert engine.session_payload(conversation, shopper)["channel"] == payload["channel"]
        other = Shopper(chat_user_id=other_conversation.chat_user_id, display_name="Guest 3210")
        assert engine.session_payload(other_conversation, other)["channel"]["id"] != payload["channel"]["id"]

    # ------------------------------------------------------------ 1. the shopper's message

    def test_delivers_the_shoppers_message_to_its_channel(
        self, engine, observer, conversation, other_conversation
    ):
        message = store_shopper_message(conversation, "Do you have the tent in 绿色?", "c-7")

        engine.deliver_shopper_message(conversation, message)

        [shown] = observer.channel(conversation)
        assert shown.id == message.pk
        assert shown.role == "shopper"
        assert shown.text == "Do you have the tent in 绿色?"
        assert shown.client_message_id == "c-7"  # the widget matches its own bubble by it
        assert shown.status == "received"
        assert observer.channel(other_conversation) == []
        message.refresh_from_db()
        assert message.status == Message.Status.RECEIVED

    # ------------------------------------------------------------ 2. a streamed reply

    def test_streams_a_reply_in_partials_then_an_authoritative_final(
        self, engine, observer, pause, conversation, question, reply
    ):
        writer = open_streaming(engine, conversation, reply)
        writer.thinking()
        for i, delta in enumerate(DELTAS):
            if i:
                pause(CHUNK_GAP)
            writer.delta(delta)
        writer.products([TENT])
        writer.quick_replies(OPTIONS)
        final = FinalReply(
            text=FINAL_TEXT, intent="product_question", products=(TENT,), quick_replies=tuple(OPTIONS)
        )
        store_outcome(reply, final, stopped=False, parts=DELTAS)
        writer.finish(final)

        trace = observer.reply(conversation, reply.pk)
        kinds = trace.kinds()
        assert kinds[0] == "thinking", kinds
        assert kinds.index("thinking") < kinds.index("text")
        assert_grows_through(trace.texts, "".join(DELTAS))
        end = trace.final
        assert end == Shown(
            id=reply.pk,
            role="assistant",
            text=FINAL_TEXT,
            status="done",
            client_message_id=None,
            reply_to=question.pk,
            products=[TENT.sku],
            quick_replies=quick_replies_json(OPTIONS),
        )
        assert observer.channel(conversation) == [end]
        reply.refresh_from_db()
        assert (reply.status, reply.text) == (Message.Status.DONE, FINAL_TEXT)

    # ------------------------------------------------------------ 3. stop

    def test_the_shoppers_stop_reaches_the_writer_and_ends_the_reply_stopped(
        self, engine, observer, pause, conversation, other_conversation, reply
    ):
        elsewhere = store_pending_reply(
            other_conversation, store_shopper_message(other_conversation, "Hello?", "o-1")
        )
        writer = open_streaming(engine, conversation, reply)
        writer.thinking()
        writer.delta(DELTAS[0])
        pause(CHUNK_GAP)
        writer.delta(DELTAS[1])
        assert writer.stop_requested is False

        request_stop(elsewhere.pk)  # another shopper's stop is not this reply's
        pause(CHUNK_GAP)
        assert writer.stop_requested is False

        request_stop(reply.pk)  # what POST /api/chatbot/stop does
        assert self.wait_for_stop(writer, pause), "stop_requested never turned true"

        parts = DELTAS[:2]
        final = FinalReply(text="".join(parts))
        store_outcome(reply, final, stopped=True, parts=parts)
        writer.finish(final, stopped=True)

        end = observer.reply(conversation, reply.pk).final
        assert (end.id, end.status, end.text) == (reply.pk, "stopped", "".join(parts))
        assert [m.status for m in observer.channel(conversation) if m.id == reply.pk] == ["stopped"]
        reply.refresh_from_db()
        assert reply.status == Message.Status.STOPPED

    # ------------------------------------------------------------ 4. visible failure

    @pytest.mark.parametrize("retryable", [True, False], ids=["retryable", "final"])
    def test_a_failure_is_visible_to_the_shopper(
        self, engine, observer, pause, conversation, reply, retryable
    ):
        writer = open_streaming(engine, conversation, reply)
        writer.thinking()
        writer.delta("Let me look ")
        pause(CHUNK_GAP)
        writer.delta("that up")
        visible = FALLBACK_TEXT["en"]
        store_failure(reply, visible, "upstream_unavailable")
        writer.fail(reply.text, retryable=retryable, code="upstream_unavailable")

        end = observer.reply(conversation, reply.pk).final
        assert (end.id, end.role, end.status, end.text) == (reply.pk, "assistant", "failed", visible)
        assert end.retryable is retryable
        assert end.code == "upstream_unavailable"
        assert [m.text for m in observer.channel(conversation)] == [visible]
        reply.refresh_from_db()
        assert (reply.status, reply.error_code) == (Message.Status.FAILED, "upstream_unavailable")

    # ------------------------------------------------------------ 5. a staff message

    def test_delivers_a_staff_message(self, engine, observer, conversation, question):
        engine.deliver_shopper_message(conversation, question)
        staff = Message.objects.create(
            conversation=conversation,
            role=Message.Role.STAFF,
            text="Hi, this is Dana from Northwind. The tent ships tomorrow.",
            status=Message.Status.DONE,
        )

        engine.deliver_message(conversation, staff)

        shopper_message, shown = observer.channel(conversation)
        assert shopper_message.id == question.pk
        assert (shown.id, shown.role, shown.text) == (staff.pk, "staff", staff.text)
        assert shown.client_message_id is None
        assert shown.handoff is False

    # ------------------------------------------------------------ the real pipeline

    def test_pipeline_streams_a_whole_reply(self, engine, observer, pause, script, conversation):
        script += [
            Thinking(),
            TextDelta(DELTAS[0]),
            lambda context: pause(CHUNK_GAP),
            TextDelta(DELTAS[1]),
            lambda context: pause(CHUNK_GAP),
            ProductCards((TENT,)),
            TextDelta(DELTAS[2]),
            lambda context: pause(CHUNK_GAP),
            TextDelta(DELTAS[3]),
            QuickReplies(tuple(OPTIONS)),
            FinalReply(
                text=FINAL_TEXT, intent="product_question", products=(TENT,), quick_replies=tuple(OPTIONS)
            ),
        ]

        message, reply, started = receive_shopper_message(conversation, "How much is the tent?", "c-42")

        assert started
        reply.refresh_from_db()
        assert (reply.status, reply.text, reply.reply_to_id) == (Message.Status.DONE, FINAL_TEXT, message.pk)
        assert [card["sku"] for card in reply.products] == [TENT.sku]
        shopper_message, answer = observer.channel(conversation)
        assert (shopper_message.id, shopper_message.role, shopper_message.text) == (
            message.pk,
            "shopper",
            "How much is the tent?",
        )
        assert shopper_message.client_message_id == "c-42"
        trace = observer.reply(conversation, reply.pk)
        assert trace.kinds()[0] == "thinking"
        assert_grows_through(trace.texts, "".join(DELTAS))
        assert (
            trace.final
            == answer
            == Shown(
                id=reply.pk,
                role="assistant",
                text=FINAL_TEXT,
                status="done",
                reply_to=message.pk,
                products=[TENT.sku],
                quick_replies=quick_replies_json(OPTIONS),
            )
        )

    def test_pipeline_stops_when_the_shopper_presses_stop(
        self, engine, observer, pause, script, conversation
    ):
        script += [
            Thinking(),
            TextDelta("Checking "),
            lambda context: pause(CHUNK_GAP),
            TextDelta("the stock "),
            lambda context: request_stop(streaming_reply(conversation).pk),
            lambda context: pause(CHUNK_GAP),
            TextDelta("NEVER SHOWN"),
            lambda context: pause(CHUNK_GAP),
            TextDelta("NOR THIS"),
            FinalReply(text="Checking the stock NEVER SHOWN NOR THIS"),
        ]

        _message, reply, _ = receive_shopper_message(conversation, "Is the tent in stock?", "c-43")

        reply.refresh_from_db()
        assert (reply.status, reply.text) == (Message.Status.STOPPED, "Checking the stock ")
        trace = observer.reply(conversation, reply.pk)
        assert (trace.final.status, trace.final.text) == ("stopped", "Checking the stock ")
        assert not any("NEVER" in text for text in trace.texts)
        assert observer.channel(conversation)[-1] == trace.final

    def test_pipeline_shows_a_failed_reply_as_retryable(self, engine, observer, pause, script, conversation):
        script += [
            Thinking(),
            TextDelta("Let me look "),
            lambda context: pause(CHUNK_GAP),
            TextDelta("that up"),
            AssistantError("Upstream answered 503", retryable=True, code="upstream_unavailable"),
        ]

        _message, reply, _ = receive_shopper_message(conversation, "Where is my order?", "c-44")

        reply.refresh_from_db()
        assert (reply.status, reply.error_code, reply.text) == (
            Message.Status.FAILED,
            "upstream_unavailable",
            FALLBACK_TEXT["en"],
        )
        end = observer.reply(conversation, reply.pk).final
        assert (end.id, end.status, end.text, end.retryable, end.code) == (
            reply.pk,
            "failed",
            FALLBACK_TEXT["en"],
            True,
            "upstream_unavailable",
        )
        assert observer.channel(conversation)[-1] == end

    def test_pipeline_hands_off_then_delivers_the_paused_notice(self, engine, observer, script, conversation):
        script += [
            Thinking(),
            HandoffRequested("asked for a person"),
            TextDelta("I'll get a person for you."),
            FinalReply(text="I'll get a person for you.", intent="handoff", handoff=True),
        ]
        first, reply, _ = receive_shopper_message(conversation, "I want a human", "c-45")
        reply.refresh_from_db()
        conversation.refresh_from_db()
        assert reply.handoff is True and conversation.handoff_at is not None
        end = observer.reply(conversation, reply.pk).final
        assert (end.status, end.handoff) == ("done", True)

        # The assistant is paused now: the next message gets the system notice, through
        # ``deliver_message``, instead of a reply.
        second, notice, started = receive_shopper_message(conversation, "Hello? Anyone?", "c-46")

        assert started and notice.role == Message.Role.SYSTEM
        shown = observer.channel(conversation)
        assert [(m.id, m.role) for m in shown] == [
            (first.pk, "shopper"),
            (reply.pk, "assistant"),
            (second.pk, "shopper"),
            (notice.pk, "system"),
        ]
        assert (shown[-1].text, shown[-1].handoff) == (HANDOFF_PAUSED_TEXT["en"], True)
