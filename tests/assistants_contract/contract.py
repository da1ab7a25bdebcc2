"""The contract every assistant passes (django-anymail's shared provider suite, allauth's
provider test mixin). A subclass per assistant supplies the mocked upstream through two
fixtures, ``assistant`` (a healthy upstream) and ``failing_assistant`` (an upstream
that fails), and lists the ``secrets`` that must never appear in an error or a log.

Every test drives ``areply`` on an event loop, as the pipeline does (``collect``); the
sync ``reply`` that ``manage.py chatbot_ask`` uses has its own test. The remote
assistants also pass :class:`RemoteAssistantContract`: streaming, timeouts, retries,
resets and closing, against the fake vendor on a local socket.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from chatbot.assistants.base import AssistantContext, AssistantError, ShopAssistant
from chatbot.assistants.clients import aclose_clients
from chatbot.vocabulary import AssistantEvent, FinalReply, ProductCards, TextDelta, Thinking

from .fakes import DEMO_CUSTOMER, OTHER_ORDER, OTHER_ORDER_SECRETS, TENT, make_context
from .upstream import FakeUpstream, Reply


def collect(
    assistant: ShopAssistant,
    context: AssistantContext,
    *,
    events: list | None = None,
    until: Callable[[AssistantEvent], bool] | None = None,
) -> list:
    """The events of ``assistant.areply(context)`` on a fresh event loop, as the pipeline
    reads them: stop reading once ``until(event)`` is true, and always ``aclose()``.
    Events land in ``events`` as they come, so a test still has them when it raises."""
    seen: list = [] if events is None else events

    async def drive() -> None:
        replying = assistant.areply(context)
        try:
            async for event in replying:
                seen.append(event)
                if until is not None and until(event):
                    break
        finally:
            await replying.aclose()
            await aclose_clients()

    asyncio.run(drive())
    return seen


def run(assistant: ShopAssistant, message: str, **kwargs) -> list:
    return collect(assistant, make_context(message, **kwargs))


def final_of(events: list) -> FinalReply:
    finals = [e for e in events if isinstance(e, FinalReply)]
    assert len(finals) == 1, events
    assert events[-1] is finals[0], "FinalReply must be the last event"
    return finals[0]


def is_delta(event: AssistantEvent) -> bool:
    return isinstance(event, TextDelta)


def own_threads() -> int:
    """Live threads of this process, without the fake server's thread per connection
    (a real vendor's threads are not ours)."""
    return sum(1 for t in threading.enumerate() if not t.name.endswith("(process_request_thread)"))


def pool_size() -> int:
    # The shared pool in_thread uses (chatbot.offloop), whatever its size.
    from chatbot.offloop import pool

    return pool()._max_workers


class AssistantContract:
    secrets: tuple[str, ...] = ()

    @pytest.fixture
    def assistant(self) -> ShopAssistant:
        raise NotImplementedError

    @pytest.fixture
    def failing_assistant(self) -> ShopAssistant:
        raise NotImplementedError

    def test_streams_deltas_before_the_final_reply(self, assistant):
        events = run(assistant, "Hello! What can you help me with?")
        final = final_of(events)
        deltas = [e for e in events[: events.index(final)] if isinstance(e, TextDelta)]
        assert len(deltas) >= 2, events
        assert all(d.text for d in deltas)
        assert final.text.strip()
        assert not isinstance(events[0], TextDelta), (
            "Thinking (or cards) may come first, never text before start"
        )
        assert any(isinstance(e, Thinking) for e in events) or deltas

    def test_answers_a_product_question_through_the_tools(self, assistant):
        events = run(assistant, "How much is the Trailhead tent?")
        final = final_of(events)
        assert TENT.name in final.text
        assert "149" in final.text
        assert TENT.sku in [card.sku for card in final.products]
        streamed = [card.sku for e in events if isinstance(e, ProductCards) for card in e.products]
        assert TENT.sku in streamed
        card = next(c for c in final.products if c.sku == TENT.sku)
        assert card.price == "149.00" and card.currency == "USD"

    def test_refuses_another_customers_order(self, assistant):
        events = run(assistant, f"Where is my order {OTHER_ORDER.number}?", customer=DEMO_CUSTOMER)
        final = final_of(events)
        shown = final.text + "".join(e.text for e in events if isinstance(e, TextDelta))
        for secret in OTHER_ORDER_SECRETS:
            assert secret not in shown

    def test_fails_gracefully_on_upstream_errors(self, failing_assistant, caplog):
        caplog.set_level(logging.DEBUG)
        with pytest.raises(AssistantError) as info:
            run(failing_assistant, "How much is the Trailhead tent?")
        error = info.value
        assert error.retryable is True
        assert error.code
        for secret in self.secrets:
            assert secret not in str(error)
            assert secret not in caplog.text

    def test_the_sync_reply_gives_the_same_answer(self, assistant):
        """``reply``/``answer`` (chatbot_ask, scripts) are the same reply, driven off the
        caller's thread's private loop."""
        message = "How much is the Trailhead tent?"
        sync_events = list(assistant.reply(make_context(message)))
        async_events = run(assistant, message)
        assert [type(e) for e in sync_events] == [type(e) for e in async_events]
        assert final_of(sync_events).text == final_of(async_events).text
        assert assistant.answer(make_context(message)).text == final_of(async_events).text

    def test_many_concurrent_replies_need_no_thread_per_reply(self, assistant):
        """The point of areply: a hundred replies on one loop, each waiting for its
        upstream, hold no thread each. Threads may come from the shared pool (tools, the
        Coze token, the local assistant's ranking) but their number does not grow with
        the replies."""
        replies = 100
        peak = 0

        async def one() -> list:
            return [e async for e in assistant.areply(make_context("Hello! What can you help me with?"))]

        async def sample(done: asyncio.Event) -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, own_threads())
                await asyncio.sleep(0.002)

        async def main() -> list:
            done = asyncio.Event()
            sampler = asyncio.create_task(sample(done))
            try:
                return await asyncio.gather(*(one() for _ in range(replies)))
            finally:
                done.set()
                await sampler
                await aclose_clients()

        before = own_threads()
        results = asyncio.run(main())
        assert len(results) == replies
        assert all(final_of(events).text for events in results)
        assert peak - before <= pool_size() < replies


class RemoteAssistantContract(AssistantContract):
    """What an assistant that streams from a vendor over HTTP must also do. A subclass
    supplies ``upstream`` (the :class:`FakeUpstream`), ``chat_path`` (where the answer
    streams from), ``make_assistant(**options)``, ``serve`` (queue replies for the next
    calls to ``chat_path``) and ``delta_event(text)`` (one text delta in the vendor's wire
    format), plus ``stream_start`` (what the vendor sends before the first delta)."""

    chat_path = ""
    stream_start: tuple[str, ...] = ()

    @pytest.fixture
    def upstream(self) -> FakeUpstream:
        raise NotImplementedError

    @pytest.fixture
    def make_assistant(self) -> Callable[..., ShopAssistant]:
        raise NotImplementedError

    @pytest.fixture
    def serve(self) -> Callable[..., None]:
        raise NotImplementedError

    def delta_event(self, text: str) -> str:
        raise NotImplementedError

    def head(self) -> list[str]:
        """The beginning of an answer: one text delta, not the end."""
        return [*self.stream_start, self.delta_event("Hello ")]

    def endless(self, stop: threading.Event) -> Iterator[bytes]:
        """An answer that goes on (a delta every 20 ms, for 5 s at most) until ``stop``."""
        for part in self.head():
            yield part.encode()
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
            yield self.delta_event("more ").encode()

    def stalled(self, gate: threading.Event) -> Iterator[bytes]:
        """An answer that sends its head, then nothing until ``gate`` (5 s at most)."""
        for part in self.head():
            yield part.encode()
        gate.wait(5)

    def sse(self, chunks) -> Reply:
        return Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks)

    def test_a_delta_is_yielded_while_the_upstream_is_still_sending(self, make_assistant, serve):
        gate = threading.Event()
        serve(self.sse(self.stalled(gate)))
        still_sending = []

        def first_delta(event):
            if isinstance(event, TextDelta):
                still_sending.append(not gate.is_set())
                return True
            return False

        try:
            events = collect(make_assistant(), make_context("Hello!"), until=first_delta)
        finally:
            gate.set()
        assert still_sending == [True], events
        assert events[-1] == TextDelta("Hello ")

    def test_closing_the_reply_closes_the_upstream_connection(self, make_assistant, serve, upstream):
        stop = threading.Event()
        serve(self.sse(self.endless(stop)))
        try:
            events = collect(make_assistant(), make_context("Hello!"), until=is_delta)
            deadline = time.monotonic() + 3
            while self.chat_path not in upstream.hangups and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop.set()
        assert isinstance(events[-1], TextDelta)
        assert self.chat_path in upstream.hangups

    def test_stop_requested_ends_the_reply_and_the_upstream_stream(self, make_assistant, serve, upstream):
        stop = threading.Event()
        serve(self.sse(self.endless(stop)))
        pressed = threading.Event()
        context = make_context("Hello!")
        context.stop_requested = pressed.is_set
        events: list = []

        def press_after_first_delta(event):
            if isinstance(event, TextDelta):
                pressed.set()
            return False

        started = time.monotonic()
        try:
            collect(make_assistant(), context, events=events, until=press_after_first_delta)
            deadline = time.monotonic() + 3
            while self.chat_path not in upstream.hangups and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop.set()
        # Ended by the assistant itself at the next upstream event, not by the stream's end.
        assert time.monotonic() - started < 4
        assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello "]
        assert self.chat_path in upstream.hangups

    def test_read_timeout_mid_stream(self, make_assistant, serve, upstream):
        gate = threading.Event()
        serve(self.sse(self.stalled(gate)))
        seen: list = []
        try:
            with pytest.raises(AssistantError) as info:
                collect(make_assistant(read_timeout=0.3), make_context("Hello!"), events=seen)
        finally:
            gate.set()
        assert TextDelta("Hello ") in seen
        error = info.value
        assert error.code == f"{make_assistant().name}_timeout"
        assert error.started is True and error.retryable is True
        assert len(upstream.calls(self.chat_path)) == 1  # text was shown: no retry

    def test_server_error_before_streaming_is_retried_then_reported(self, make_assistant, serve, upstream):
        serve(*[Reply(status=500, body=b"Internal Server Error")] * 3)
        with pytest.raises(AssistantError) as info:
            collect(make_assistant(), make_context("Hello!"))
        assert info.value.retryable is True and info.value.started is False
        assert len(upstream.calls(self.chat_path)) == 3

    def test_server_error_before_streaming_then_success(self, make_assistant, serve, upstream):
        serve(Reply(status=500, body=b"Internal Server Error"))
        events = collect(make_assistant(), make_context("Hello! What can you help me with?"))
        assert final_of(events).text
        assert len(upstream.calls(self.chat_path)) == 2

    def test_reset_mid_stream(self, make_assistant, serve, upstream):
        head = [part.encode() for part in self.head()]
        serve(Reply(headers={"Content-Type": "text/event-stream"}, chunks=head, reset=True))
        seen: list = []
        with pytest.raises(AssistantError) as info:
            collect(make_assistant(), make_context("Hello!"), events=seen)
        assert TextDelta("Hello ") in seen
        error = info.value
        assert error.code == f"{make_assistant().name}_stream_interrupted"
        assert error.started is True and error.retryable is True
        assert len(upstream.calls(self.chat_path)) == 1

    def test_replies_on_one_loop_reuse_the_connection(self, make_assistant, upstream):
        async def two_replies() -> None:
            try:
                for _ in range(2):
                    assistant = make_assistant()  # one per reply, as the pipeline builds them
                    events = [e async for e in assistant.areply(make_context("Hello!"))]
                    assert final_of(events).text
            finally:
                await aclose_clients()

        asyncio.run(two_replies())
        ports = {call.client_port for call in upstream.calls(self.chat_path)}
        assert len(upstream.calls(self.chat_path)) == 2 and len(ports) == 1
