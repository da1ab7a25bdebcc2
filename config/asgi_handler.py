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

When no middleware is sync-only, nothing changes (Django's async core is kept)."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response


class SyncBlockASGIHandler(ASGIHandler):
    _sync_core = False

    def load_middleware(self, is_async: bool = False) -> None:
        self._sync_core = False
        super().load_middleware(is_async)

    def adapt_method_mode(
        self,
        is_async: bool,
        method: Any,
        method_is_async: bool | None = None,
        debug: bool = False,
        name: str | None = None,
    ) -> Any:
        core = getattr(method, "__wrapped__", None) == self._get_response_async
        if not is_async and name is not None and core:
            # The innermost middleware is sync: give it Django's sync core.
            self._sync_core = True
            return convert_exception_to_response(self._get_response)
        if self._sync_core and name is None and method_is_async is None:
            # process_view / process_template_response / process_exception of a middleware
            # (Django passes only the method): the sync core calls them.
            is_async = False
        return super().adapt_method_mode(is_async, method, method_is_async, debug, name)


def get_asgi_application() -> SyncBlockASGIHandler:
    """As ``django.core.asgi.get_asgi_application``, with this handler."""
    import django

    django.setup(set_prefix=False)
    return SyncBlockASGIHandler()
