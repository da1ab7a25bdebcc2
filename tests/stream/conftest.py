"""Fixtures for the Stream engine: settings, a fake clock, Stream's REST API mocked with
``responses`` in the shapes Stream documents, and a shop with a conversation."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import re
import time
from typing import Any

import pytest
import responses
from django.test import override_settings

from chatbot.engines import stream as stream_engine
from chatbot.engines.stream import client as stream_service
from tests.support.clock import FakeClock

API_KEY = "test-key"
API_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
BASE_URL = "https://stream.test"

STREAM_SETTINGS = {
    "STREAM_CHAT_ENABLED": True,
    "STREAM_CHAT_API_KEY": API_KEY,
    "STREAM_CHAT_API_SECRET": API_SECRET,
    "STREAM_CHAT_BASE_URL": BASE_URL,
    "CHATBOT_REPLY_MODE": "inline",
    "CHATBOT_ASSISTANT": "local",
}


@pytest.fixture(autouse=True)
def _fresh_stream_state():
    stream_service.reset_client()
    stream_engine.ephemeral_support.available = True
    yield
    stream_service.reset_client()
    stream_engine.ephemeral_support.available = True


@pytest.fixture
def stream_settings():
    with override_settings(**STREAM_SETTINGS):
        yield STREAM_SETTINGS


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(stream_service, "clock", fake)
    return fake


def _json(request: Any) -> Any:
    return json.loads(request.body) if request.body else None


class StreamAPI:
    """``responses`` answering like Stream's REST API, keeping what it was sent."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        self.messages: dict[str, dict[str, Any]] = {}
        self.app: dict[str, Any] = {"webhook_url": "", "event_hooks": []}
        self.ephemeral_status = 201
        self.failures: list[dict[str, Any]] = []
        prefix = re.escape(BASE_URL)
        rsps.add_callback(
            responses.POST, re.compile(prefix + r"/users"), callback=self._failing_or(self._users)
        )
        rsps.add_callback(
            responses.POST,
            re.compile(prefix + r"/channels/messaging/[^/]+/query"),
            callback=self._failing_or(self._query),
        )
        rsps.add_callback(
            responses.POST,
            re.compile(prefix + r"/channels/messaging/[^/]+/message"),
            callback=self._failing_or(self._send),
        )
        rsps.add_callback(
            responses.POST,
            re.compile(prefix + r"/channels/messaging/[^/]+/event"),
            callback=self._failing_or(self._event),
        )
        rsps.add_callback(
            responses.PATCH,
            re.compile(prefix + r"/messages/[^/]+/ephemeral"),
            callback=self._failing_or(self._ephemeral),
        )
        rsps.add_callback(
            responses.PUT,
            re.compile(prefix + r"/messages/[^/?]+(\?.*)?$"),
            callback=self._failing_or(self._update),
        )
        rsps.add_callback(
            responses.GET, re.compile(prefix + r"/app"), callback=self._failing_or(self._get_app)
        )
        rsps.add_callback(
            responses.PATCH, re.compile(prefix + r"/app"), callback=self._failing_or(self._patch_app)
        )

    def fail(
        self, method: str, path_regex: str, status: int, *, times: int = 1, headers=None, body=None
    ) -> None:
        """The next ``times`` matching calls answer ``status`` (a 429 with rate-limit
        headers, a 503...)."""
        self.failures.append(
            {
                "method": method,
                "path": re.compile(path_regex),
                "status": status,
                "times": times,
                "headers": headers or {},
                "body": body if body is not None else {"code": -1, "message": "injected"},
            }
        )

    def _failing_or(self, callback: Any) -> Any:
        def answer(request: Any) -> Any:
            path = request.path_url.split("?")[0]
            for failure in self.failures:
                if (
                    failure["times"] > 0
                    and failure["method"] == request.method
                    and failure["path"].search(path)
                ):
                    failure["times"] -= 1
                    body = (
                        failure["body"] if isinstance(failure["body"], str) else json.dumps(failure["body"])
                    )
                    return failure["status"], {"Content-Type": "application/json", **failure["headers"]}, body
            return callback(request)

        return answer

    # -- what the tests read

    @property
    def calls(self) -> list[Any]:
        return list(self.rsps.calls)

    def routes(self) -> list[str]:
        out = []
        for call in self.rsps.calls:
            path = call.request.path_url.split("?")[0]
            out.append(f"{call.request.method} {path}")
        return out

    def bodies(self, method: str, path_regex: str) -> list[Any]:
        return [
            _json(call.request)
            for call in self.rsps.calls
            if call.request.method == method and re.search(path_regex, call.request.path_url.split("?")[0])
        ]

    def events(self) -> list[dict[str, Any]]:
        return [body["event"] for body in self.bodies("POST", r"/event$")]

    # -- Stream's answers

    @staticmethod
    def _ok(payload: dict[str, Any], status: int = 201) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": "application/json"}, json.dumps({**payload, "duration": "1.2ms"})

    def _users(self, request: Any) -> Any:
        return self._ok({"users": _json(request)["users"]})

    def _query(self, request: Any) -> Any:
        channel_id = request.path_url.split("/")[3]
        body = _json(request)
        return self._ok(
            {
                "channel": {"id": channel_id, "type": "messaging", **body["data"]},
                "members": [],
                "messages": [],
            }
        )

    def _send(self, request: Any) -> Any:
        message = dict(_json(request)["message"])
        if message["id"] in self.messages:
            error = {
                "code": 4,
                "message": f'SendMessage failed with error: "a message with ID {message["id"]} '
                'already exists"',
            }
            return 400, {"Content-Type": "application/json"}, json.dumps({**error, "StatusCode": 400})
        self.messages[message["id"]] = message
        return self._ok({"message": {**message, "type": "regular"}})

    def _event(self, request: Any) -> Any:
        return self._ok({"event": _json(request)["event"]})

    def _ephemeral(self, request: Any) -> Any:
        if self.ephemeral_status != 201:
            return (
                self.ephemeral_status,
                {"Content-Type": "application/json"},
                json.dumps({"code": 404, "message": "no"}),
            )
        return self._ok({"message": {}})

    def _update(self, request: Any) -> Any:
        message_id = request.path_url.split("?")[0].split("/")[2]
        body = _json(request)
        if message_id not in self.messages:
            return 404, {"Content-Type": "application/json"}, json.dumps({"code": 4, "message": "not found"})
        self.messages[message_id].update(body.get("set") or {})
        return self._ok({"message": self.messages[message_id]})

    def _get_app(self, request: Any) -> Any:
        return self._ok({"app": json.loads(json.dumps(self.app))}, status=200)

    def _patch_app(self, request: Any) -> Any:
        self.app.update(_json(request))
        return self._ok({})


@pytest.fixture
def stream_api(stream_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield StreamAPI(rsps)


@pytest.fixture
def shop(make_shop):
    return make_shop("demo", name="Northwind Outfitters")


@pytest.fixture
def conversation(db, shop):
    from chatbot.models import Conversation

    return Conversation.objects.create(
        shop_id="demo", chat_user_id="g0123456789abcdef01234567", display_name="Guest 4567", language="en"
    )


def sign(body: bytes, secret: str = API_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


def unix_now() -> int:
    return int(time.time())
