"""Django's ASGI handler, with a sync middleware block that also runs the view.

Django builds its middleware chain around an async core under ASGI. When the innermost
middleware is sync-only, Django wraps that core in ``async_to_sync``, and the core then
runs a sync view through ``sync_to_async``: a sync request goes from its worker thread
back to the event loop and out to the thread again, twice per request. While event
streams keep the loop busy, each return to the loop is a wait behind them (the token
route's latency in bench/concurrency.py). Here the sync block ends in Django's own sync
core instead, so a sync view runs in the block's thread: one trip from the loop to a
thread and back per request. The view, template-response and exception middleware are
then all called by that sync core, so they are adapted to sync.

When no middleware is sync-only, nothing changes (Django's async core is kept).

Each request's sync work runs on a single-thread executor, as Django arranges with
``ThreadSensitiveContext``; Django makes a new one (a new thread) per request, and starting
a thread makes the event loop wait for that thread to get the GIL, which behind a busy
loop's other threads is a stall of every open stream. Here the executors are lent from a
free list and kept, as a WSGI server keeps its threads.

Django's ``handle`` sends ``request_started`` on its own trip to the request's thread before
anything else; here the sync block sends it in its thread instead, as it starts (one trip
fewer per request). A request answered before the block (a static file, a health check)
sends none: its receivers only reset the thread's database connections, which such a
request does not use, or which ``request_finished`` closes after it.

Old-style middleware above the sync block (``MiddlewareMixin``) has each of its hooks run
through ``sync_to_async`` by Django under ASGI: a trip to the request's thread and back per
hook. For the ones in ``HOOKS_ON_LOOP``, whose hooks do no I/O, the hooks run on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from asgiref.sync import (
    SyncToAsync,
    ThreadSensitiveContext,
    iscoroutinefunction,
    markcoroutinefunction,
    sync_to_async,
)
from asgiref.sync import _restore_context as restore_context
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, RequestAborted, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.middleware.security import SecurityMiddleware
from django.urls import set_script_prefix
from django.utils.deprecation import MiddlewareMixin

# Middleware whose process_request/process_response only read settings and headers and set
# headers: under ASGI they run on the event loop instead of a thread each. SecurityMiddleware
# sits above the sync block (nosniff and HSTS reach static files too), so Django sent every
# request to a thread and back twice for it; at 1,000 streaming replies the trip in alone was
# 30-100 ms of the token route (bench/concurrency.py). Listed by class, exactly: a subclass
# may add I/O to a hook.
HOOKS_ON_LOOP: tuple[type[MiddlewareMixin], ...] = (SecurityMiddleware,)


async def _hooks_on_loop(middleware: Any, request: HttpRequest) -> HttpResponseBase:
    """``MiddlewareMixin.__acall__`` without ``sync_to_async`` around the hooks."""
    response = middleware.process_request(request) if hasattr(middleware, "process_request") else None
    if response is None:
        response = await middleware.get_response(request)
    if hasattr(middleware, "process_response"):
        response = middleware.process_response(request, response)
    return response


def run_hooks_on_loop(chain: Any) -> int:
    """Walks the built middleware chain (each layer is Django's exception wrapper around a
    middleware instance, which holds the next layer) and switches the async-mode instances
    of ``HOOKS_ON_LOOP`` to ``_hooks_on_loop``; returns how many."""
    switched = 0
    handler = chain
    while handler is not None:
        middleware = getattr(handler, "__wrapped__", None)
        if middleware is None:
            break
        if type(middleware) in HOOKS_ON_LOOP and getattr(middleware, "async_mode", False):
            # MiddlewareMixin.__call__ looks self.__acall__ up: the instance's comes first.
            middleware.__acall__ = functools.partial(_hooks_on_loop, middleware)
            switched += 1
        handler = getattr(middleware, "get_response", None)
    return switched


def lent_thread() -> Executor | None:
    """The request's single-thread executor, where ``sync_to_async(thread_sensitive=True)``
    finds it: lent to asgiref's ``ThreadSensitiveContext`` by
    ``SyncBlockASGIHandler.__call__``. None outside such a context."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    return SyncToAsync.context_to_thread_executor.get(context) if context is not None else None


class BlockTrip:
    """The sync block's trip to the request's thread and back: what
    ``sync_to_async(block, thread_sensitive=True)`` does, with one turn of the event loop
    fewer on the way back.

    asgiref hands the result back through the executor's future, that future's copy on the
    loop (set in the turn the thread's hand-back runs) and ``asyncio.shield``'s outer future
    (set a turn later); the request's task runs in the turn after that. Here the thread's
    hand-back settles the future the task awaits, and the task runs in the next turn. While
    the loop sends to a thousand open event streams a turn takes a few milliseconds
    (bench/concurrency.py), and the token route spent a third of its time in that trip
    back. What asgiref sets up for the thread is set up alike: the caller's context
    variables, asgiref's ``Local`` storage moved to the thread and the changes brought back
    (its ``_restore_context``; asgiref is pinned in requirements.txt for it), and the loop
    for an ``async_to_sync`` inside the block. As with ``sync_to_async``, a cancelled
    request (the client left) lets its thread finish; unlike it, an ``async_to_sync`` call
    the block is making then is not cancelled but finishes with the block (the chat makes
    one only for a reply run inline, which then ends whole). tests/deploy/test_block_trip.py
    counts the turns, asgiref's included."""

    def __init__(self, block: Callable[[HttpRequest], Any]) -> None:
        self.block = block
        markcoroutinefunction(self)  # Django asks whether the next layer is async

    async def __call__(self, request: HttpRequest) -> Any:
        executor = lent_thread()
        if executor is None:  # not through SyncBlockASGIHandler.__call__ (a test's own call)
            return await sync_to_async(self.block, thread_sensitive=True)(request)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        answered: asyncio.Future[Any] = loop.create_future()
        executor.submit(self._in_thread, loop, context, answered, request)
        try:
            return await answered
        finally:
            restore_context(context)

    def _in_thread(
        self,
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context,
        answered: asyncio.Future[Any],
        request: HttpRequest,
    ) -> None:
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        SyncToAsync.threadlocal.task_context = []
        try:
            result, error = context.run(self._run, context, request), None
        except BaseException as raised:  # handed to the awaiting task
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody awaits the answer
            loop.call_soon_threadsafe(_settle, answered, result, error)

    def _run(self, context: contextvars.Context, request: HttpRequest) -> Any:
        restore_context(context)  # asgiref's Local storage, moved to this thread
        return self.block(request)


def _settle(answered: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if answered.done():  # the request was cancelled meanwhile
        return
    if error is not None:
        answered.set_exception(error)
    else:
        answered.set_result(result)


class RequestThreads:
    """Single-thread executors lent to requests, one each, and kept for the next ones.

    Borrowed and given back on the event loop's thread only, so no lock. At most ``keep``
    idle executors are kept; past that a returned one is shut down (after a burst)."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    def borrow(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class SyncBlockASGIHandler(ASGIHandler):
    _sync_core = False
    _block_entry = False

    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        executor = self.threads.borrow()
        try:
            # The caller owns an executor given to the context: not shut down on exit.
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    def load_middleware(self, is_async: bool = False) -> None:
        self._sync_core = False
        self._block_entry = False
        super().load_middleware(is_async)
        if is_async:
            run_hooks_on_loop(getattr(self, "_middleware_chain", None))

    def adapt_method_mode(
        self,
        is_async: bool,
        method: Any,
        method_is_async: bool | None = None,
        debug: bool = False,
        name: str | None = None,
    ) -> Any:
        core = getattr(method, "__wrapped__", None) == self._get_response_async
        method_is_sync = not (iscoroutinefunction(method) if method_is_async is None else method_is_async)
        if is_async and name is not None and not core and method_is_sync:
            # The sync block's entry: the request's one trip from the loop to its thread.
            self._block_entry = True
            return BlockTrip(self._starting_block(method))
        if not is_async and name is not None and core:
            # The innermost middleware is sync: give it Django's sync core.
            self._sync_core = True
            return convert_exception_to_response(self._get_response)
        if self._sync_core and name is None and method_is_async is None:
            # process_view / process_template_response / process_exception of a middleware
            # (Django passes only the method): the sync core calls them.
            is_async = False
        return super().adapt_method_mode(is_async, method, method_is_async, debug, name)

    async def send_response(self, response: HttpResponseBase, send: Any) -> None:
        # An event stream's events may be written by their publisher while the stream
        # waits (chatbot.engines.local.push): its writer takes the server's send here.
        writer = getattr(response, "direct_writer", None)
        if writer is not None:
            send = writer.wrap(send, getattr(response, "_iterator", None))
        await super().send_response(response, send)

    def _starting_block(self, block: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
        handler_class = self.__class__

        def starting_block(request: HttpRequest) -> Any:
            if not getattr(request, "_chatbot_started", False):  # once, however many blocks
                request._chatbot_started = True  # type: ignore[attr-defined]
                signals.request_started.send(sender=handler_class, scope=getattr(request, "scope", None))
            return block(request)

        return starting_block

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django 5.2's ``ASGIHandler.handle``, step for step, without ``request_started``
        (the sync block sends it), and leaving no reference cycle behind it: the
        listener's exception is read, not re-raised, and a finished request is emptied
        (``untie``). Without a sync block, Django's own. (tests/deploy fails when the
        installed Django's ``handle`` changes, so this copy is looked at again.)"""
        if not self._block_entry:
            await super().handle(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request: HttpRequest, send: Any) -> HttpResponseBase:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):
                await self.send_response(response, send)
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        processing = tasks[1]
        task = processing
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done():
                    # Read, not re-raised: Django's ``task.result()`` raises the
                    # RequestAborted of every finished request in this frame, and the
                    # exception's traceback then holds this frame, whose ``tasks`` hold the
                    # exception: a cycle keeping the whole request (and its response) until
                    # a full collection, which is rare (config/asgi.py). Under load that was
                    # the workers' memory growth: hundreds of MiB a minute.
                    error = task.exception()
                    if error is None or isinstance(error, RequestAborted):
                        continue
                    if isinstance(error, AssertionError):
                        body_file.close()
                    raise error
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if processing.cancelled():
                await signals.request_finished.asend(sender=self.__class__)
            else:
                response = processing.result()
                await sync_to_async(response.close)()
                # Not when the view was cancelled: its thread may still run.
                untie(request, response)
            body_file.close()
        finally:
            # Whatever was raised here keeps this frame: let it keep no request or response.
            tasks.clear()
            task = processing = response = None  # type: ignore[assignment]


def untie(request: HttpRequest, response: HttpResponseBase | None) -> None:
    """Empties a finished request, its response and, for a REST framework view, the view
    and its own request, so that they are freed at once.

    Each is a knot of reference cycles (Django's request: its user's lazy loader, its
    message storage; the REST framework's: its parser context, its view, the response's
    renderer context), so only the cyclic collector frees them. One still in flight when
    the collector runs is moved to an older generation and, once finished, waits for a full
    collection: under load, most of them, and config/asgi.py makes full collections rare.
    Called once the response is sent and closed: nothing runs for them after that."""
    context = getattr(response, "renderer_context", None) or {}
    for knot in (request, response, context.get("view"), context.get("request")):
        if knot is not None and hasattr(knot, "__dict__"):
            knot.__dict__.clear()


def get_asgi_application() -> SyncBlockASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with this handler."""
    import django

    django.setup(set_prefix=False)
    return SyncBlockASGIHandler()
