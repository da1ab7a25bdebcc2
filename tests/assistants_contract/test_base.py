"""The seam's defaults: ``areply`` for an assistant that only has a sync ``reply`` (a
host's own, written before ``areply``), ``computes_whole_reply``, and the sync ``reply``
of an assistant that only has ``areply``."""

import asyncio
import threading

import pytest

from chatbot.assistants.base import AssistantError, ShopAssistant
from chatbot.vocabulary import FinalReply, TextDelta, Thinking

from .contract import collect, is_delta
from .fakes import make_context


class SyncOnly(ShopAssistant):
    """Records the thread of every step and whether its cleanup ran."""

    name = "sync_only"

    def __init__(self, fail_after: int | None = None):
        self.threads: list[int] = []
        self.closed = False
        self.finished = False
        self.fail_after = fail_after

    def reply(self, context):
        try:
            for number, event in enumerate([Thinking(), TextDelta("Hello "), TextDelta("there.")]):
                if number == self.fail_after:
                    raise AssistantError("The shop's data cannot be read.", code="sync_only_error")
                self.threads.append(threading.get_ident())
                yield event
            self.threads.append(threading.get_ident())
            yield FinalReply(text="Hello there.")
            self.finished = True
        finally:
            self.closed = True


class WholeReply(SyncOnly):
    computes_whole_reply = True


def test_a_sync_only_assistant_runs_its_steps_off_the_loop():
    assistant = SyncOnly()
    loop_threads = []

    async def main():
        loop_threads.append(threading.get_ident())
        return [e async for e in assistant.areply(make_context("Hi"))]

    events = asyncio.run(main())
    assert events == [Thinking(), TextDelta("Hello "), TextDelta("there."), FinalReply(text="Hello there.")]
    assert assistant.threads and loop_threads[0] not in assistant.threads
    assert assistant.finished and assistant.closed


def test_closing_areply_early_closes_the_sync_generator():
    assistant = SyncOnly()
    events = collect(assistant, make_context("Hi"), until=is_delta)
    assert events == [Thinking(), TextDelta("Hello ")]
    assert assistant.closed and not assistant.finished


def test_computes_whole_reply_runs_the_generator_to_its_end_in_one_pool_call():
    assistant = WholeReply()
    finished_at_first_event = []

    def note(event):
        finished_at_first_event.append(assistant.finished)
        return False

    events = collect(assistant, make_context("Hi"), until=note)
    assert events[-1] == FinalReply(text="Hello there.")
    assert finished_at_first_event[0] is True  # computed before the first event was handed on
    assert len(set(assistant.threads)) == 1


@pytest.mark.parametrize("kind", [SyncOnly, WholeReply])
def test_a_failure_comes_after_the_events_before_it(kind):
    seen: list = []
    with pytest.raises(AssistantError) as info:
        collect(kind(fail_after=2), make_context("Hi"), events=seen)
    assert seen == [Thinking(), TextDelta("Hello ")]
    assert info.value.code == "sync_only_error"


class AsyncOnly(ShopAssistant):
    name = "async_only"

    def __init__(self):
        self.cleaned_up = False

    async def areply(self, context):
        try:
            yield Thinking()
            await asyncio.sleep(0)
            yield TextDelta("Hi!")
            yield FinalReply(text="Hi!")
        finally:
            self.cleaned_up = True


def test_the_sync_reply_of_an_async_assistant_streams_and_closes():
    assistant = AsyncOnly()
    events = assistant.reply(make_context("Hi"))
    assert next(events) == Thinking()
    assert not assistant.cleaned_up
    events.close()
    assert assistant.cleaned_up
    assert AsyncOnly().answer(make_context("Hi")) == FinalReply(text="Hi!")


def test_the_sync_reply_refuses_to_run_inside_an_event_loop():
    async def main():
        with pytest.raises(RuntimeError, match="areply"):
            next(AsyncOnly().reply(make_context("Hi")))

    asyncio.run(main())


def test_an_assistant_must_implement_one_of_the_two():
    class Neither(ShopAssistant):
        name = "neither"

    with pytest.raises(NotImplementedError):
        Neither().reply(make_context("Hi"))
    with pytest.raises(NotImplementedError):
        collect(Neither(), make_context("Hi"))
