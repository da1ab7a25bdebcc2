"""The chat's requests leave no cyclic garbage behind them: the collector starts a
collection after so many new objects it tracks, and each collection pauses every open
event stream of the process (config/asgi.py, chatbot/serializers.py)."""

import gc
import json
import time

import pytest
from asgiref.sync import async_to_sync

from config.asgi_handler import SyncBlockASGIHandler
from tests.support.asgi import exchange

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "c" * 32


class Browser:
    """One shopper's browser on the ASGI application, its cookies kept between calls."""

    def __init__(self) -> None:
        self.application = SyncBlockASGIHandler()
        self.cookies = {"csrftoken": CSRF}

    def post(self, path: str, body: dict) -> int:
        return async_to_sync(self._post)(path, json.dumps(body).encode())

    async def _post(self, path: str, body: bytes) -> int:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = [
            (b"content-type", b"application/json"),
            (b"cookie", cookie.encode()),
            (b"x-csrftoken", CSRF.encode()),
        ]
        status, answered, _ = await exchange(
            self.application, path, method="POST", body=body, headers=headers, disconnect=True
        )
        for name, value in answered:
            if name.lower() == b"set-cookie":
                key, _, rest = value.decode().partition("=")
                self.cookies[key] = rest.split(";")[0]
        return status


def garbage_of(calls) -> list:
    """The cyclic garbage ``calls`` leaves (the collector off meanwhile, then asked to keep
    what it finds instead of freeing it)."""
    # Earlier tests' request threads end when their applications are collected, and their
    # thread-local database connections then become garbage: let them finish first.
    deadline, quiet = time.monotonic() + 3, 0
    while quiet < 3 and time.monotonic() < deadline:
        quiet = 0 if gc.collect() else quiet + 1
        time.sleep(0.05)
    gc.disable()
    try:
        calls()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.fixture
def browser(settings) -> Browser:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    shopper = Browser()
    assert shopper.post("/api/chatbot/stream-chat-token", {"shop": "acme"}) == 200  # warm: imports, caches
    return shopper


def test_a_token_call_leaves_no_garbage(browser):
    def calls():
        for _ in range(3):
            assert browser.post("/api/chatbot/stream-chat-token", {"shop": "acme"}) == 200

    assert [type(o).__qualname__ for o in garbage_of(calls)] == []


def test_a_message_leaves_none_of_its_bodys_validation_behind(browser, assistant):
    def calls():
        for i in range(3):
            body = {"shop": "acme", "text": f"hello {i}", "clientMessageId": f"g{i}"}
            assert browser.post("/api/chatbot/stream-message", body) in (200, 202)

    left = [o for o in garbage_of(calls) if type(o).__module__.startswith(("rest_framework", "django.core"))]
    assert [type(o).__qualname__ for o in left] == []
