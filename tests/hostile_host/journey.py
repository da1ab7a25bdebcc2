"""One shopper's journey through every chat route, reduced to what a client sees: status,
the JSON body's shape and error code. Run under the demo's settings and under the hostile
host's (tests/test_hostile_host.py), the two must be identical."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from django.core.management import call_command
from django.test import Client


def _shape(response: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {"status": response.status_code, "type": response.get("Content-Type", "")}
    try:
        body = json.loads(response.content)
    except ValueError:
        seen["body"] = "not json"
        return seen
    if isinstance(body, dict):
        seen["keys"] = sorted(body)
        if "error" in body:
            seen["error"] = sorted(body["error"]), body["error"].get("code")
        for k in ("userRole", "userName", "engine"):
            if k in body:
                seen[k] = body[k]
        if body.get("userRole") == "visitor":
            seen["userName"] = body["userName"][:-4] + "····"  # a random guest's suffix
    seen["user_header"] = bool(response.get("X-Chatbot-User"))
    return seen


def run() -> list[tuple[str, dict[str, Any]]]:
    call_command("load_demo", stdout=io.StringIO())
    out: list[tuple[str, dict[str, Any]]] = []
    c = Client(enforce_csrf_checks=True)
    c.get("/s/demo/")

    def csrf() -> dict[str, str]:
        return {"HTTP_X_CSRFTOKEN": c.cookies["csrftoken"].value}

    def post(url: str, body: Any, **extra: Any) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return c.post(url, data, content_type="application/json", **{**csrf(), **extra})

    out.append(("history before", _shape(c.get("/api/chatbot/history?shop=demo"))))
    out.append(("events before", _shape(c.get("/api/chatbot/events?shop=demo"))))
    out.append(("token", _shape(post("/api/chatbot/stream-chat-token", {"shop": "demo"}))))
    out.append(("token twice", _shape(post("/api/chatbot/stream-chat-token", {"shop": "demo"}))))
    msg = post("/api/chatbot/stream-message", {"shop": "demo", "text": "a tent?", "clientMessageId": "j1"})
    out.append(("message", _shape(msg)))
    out.append(("history", _shape(c.get("/api/chatbot/history?shop=demo"))))
    out.append(("bad json", _shape(post("/api/chatbot/stream-message", "{not json"))))
    out.append(("missing text", _shape(post("/api/chatbot/stream-message", {"shop": "demo"}))))
    out.append(("stop unknown", _shape(post("/api/chatbot/stop", {"shop": "demo", "messageId": 999999}))))
    out.append(("unknown shop", _shape(post("/api/chatbot/stream-chat-token", {"shop": "nope"}))))
    out.append(("bad history limit", _shape(c.get("/api/chatbot/history?shop=demo&limit=x"))))
    no_csrf = c.post("/api/chatbot/stream-chat-token", {"shop": "demo"}, content_type="application/json")
    out.append(("no csrf", _shape(no_csrf)))
    out.append(
        (
            "basic auth ignored",
            _shape(
                post(
                    "/api/chatbot/stream-chat-token",
                    {"shop": "demo"},
                    HTTP_AUTHORIZATION="Basic ZGVtb0BleGFtcGxlLmNvbTpkZW1vMTIzNDU=",
                )
            ),
        )
    )
    out.append(("form body", _shape(c.post("/api/chatbot/stream-message", {"text": "x"}, **csrf()))))
    out.append(("wrong method", _shape(c.get("/api/chatbot/stream-message"))))
    schema = c.get("/api/chatbot/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    out.append(
        (
            "schema",
            {"status": schema.status_code, "has_routes": b"/api/chatbot/stream-message" in schema.content},
        )
    )
    # Sign in with the storefront's form: the chat follows.
    c.get("/accounts/login/")
    c.post(
        "/accounts/login/",
        {
            "username": "demo@example.com",
            "password": "demo12345",
            "csrfmiddlewaretoken": c.cookies["csrftoken"].value,
        },
    )
    out.append(("token signed in", _shape(post("/api/chatbot/stream-chat-token", {"shop": "demo"}))))
    history = c.get("/api/chatbot/history?shop=demo").json()
    out.append(
        ("carried over", {"texts": [m["text"] for m in history["messages"] if m["role"] == "shopper"]})
    )
    return out


if __name__ == "__main__":  # run by tests/test_hostile_host.py under the hostile settings
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0)
    json.dump(run(), sys.stdout)
