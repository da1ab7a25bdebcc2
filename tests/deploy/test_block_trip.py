"""config.asgi_handler.BlockTrip: the sync block's trip to the request's thread and back,
as asgiref's ``sync_to_async(thread_sensitive=True)`` makes it but with the caller running
again in the turn of the event loop after the thread's hand-back (asgiref's, a turn later)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import ThreadSensitiveContext, async_to_sync, sync_to_async
from django.urls import get_script_prefix, set_script_prefix

from config.asgi_handler import BlockTrip

flavour: contextvars.ContextVar[str] = contextvars.ContextVar("flavour", default="none")


class CountingLoop(asyncio.SelectorEventLoop):
    """An event loop that counts its turns (each runs the callbacks ready when it began)."""

    turns = 0

    def _run_once(self) -> None:
        self.turns += 1
        super()._run_once()  # type: ignore[misc]


def on_counting_loop(scenario: Callable[[CountingLoop], Coroutine[Any, Any, Any]]) -> Any:
    loop = CountingLoop()
    try:
        return loop.run_until_complete(scenario(loop))
    finally:
        loop.close()


async def trip(block: Callable[[Any], Any], request: Any = None) -> Any:
    """``block`` through a BlockTrip, on a request thread as the handler lends one."""
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        async with ThreadSensitiveContext(executor=executor):
            return await BlockTrip(block)(request)
    finally:
        executor.shutdown(wait=False)


def turns_back(go: Callable[[Callable[[Any], Any]], Coroutine[Any, Any, Any]]) -> int:
    """Turns of the loop from the thread's hand-back (its threadsafe callback running) to
    the awaiting coroutine running again."""

    async def scenario(loop: CountingLoop) -> int:
        handed_back: list[int] = []
        threadsafe = loop.call_soon_threadsafe

        def noting(callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            def noted(*a: Any) -> None:
                handed_back.append(loop.turns)
                callback(*a)

            return threadsafe(noted, *args, **kwargs)

        loop.call_soon_threadsafe = noting  # type: ignore[method-assign]
        assert await go(lambda request: "answer") == "answer"
        return loop.turns - handed_back[-1]

    return on_counting_loop(scenario)


def test_the_answer_is_back_on_the_loop_one_turn_after_the_thread_is_done():
    assert turns_back(trip) == 1


def test_asgirefs_own_trip_takes_a_turn_more():
    # Why BlockTrip exists: should asgiref's trip ever be as short, it can go.
    assert turns_back(lambda block: sync_to_async(block, thread_sensitive=True)(None)) == 2


def test_the_block_runs_in_the_lent_thread_with_the_callers_context_and_hands_its_changes_back():
    seen: dict[str, Any] = {}

    def block(request: Any) -> str:
        seen["thread"] = threading.get_ident()
        seen["flavour"] = flavour.get()
        seen["prefix"] = get_script_prefix()  # asgiref Local storage, set on the loop
        flavour.set("changed in the block")
        return "done"

    async def scenario(loop: CountingLoop) -> tuple[str, str, int]:
        flavour.set("vanilla")
        set_script_prefix("/shop/")
        try:
            answer = await trip(block)
            return answer, flavour.get(), threading.get_ident()
        finally:
            set_script_prefix("/")

    answer, after, loop_thread = on_counting_loop(scenario)
    assert answer == "done"
    assert seen["thread"] != loop_thread
    assert seen["flavour"] == "vanilla" and seen["prefix"] == "/shop/"
    assert after == "changed in the block"


def test_an_error_in_the_block_is_raised_to_the_caller():
    def block(request: Any) -> None:
        raise LookupError("no such shop")

    async def scenario(loop: CountingLoop) -> None:
        await trip(block)

    with pytest.raises(LookupError, match="no such shop"):
        on_counting_loop(scenario)


def test_async_code_called_from_the_block_runs_on_the_requests_loop():
    async def which_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    async def scenario(loop: CountingLoop) -> bool:
        return await trip(lambda request: async_to_sync(which_loop)()) is loop

    assert on_counting_loop(scenario)


def test_a_cancelled_request_lets_its_thread_finish_and_the_late_answer_is_dropped():
    release = threading.Event()
    finished = threading.Event()

    def block(request: Any) -> str:
        release.wait(5)
        finished.set()
        return "late"

    async def scenario(loop: CountingLoop) -> None:
        waiting = asyncio.ensure_future(trip(block))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        await asyncio.to_thread(finished.wait, 5)
        await asyncio.sleep(0.05)  # the thread's hand-back runs, and finds the request gone

    on_counting_loop(scenario)
    assert finished.is_set()
