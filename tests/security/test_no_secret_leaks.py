"""Rule: the Stream API secret, Coze keys and SSO secret never reach a browser or a log line.

One real server (uvicorn, as production) runs with fake but realistic secrets for every
vendor, DEBUG logging, and the Coze assistant pointed at an address that refuses
connections (so replies fail and the failure path logs). A shopper and an attacker go
through every route: pages, sign-in, token, messages, history, stop, events, schema,
health and readiness, webhooks signed right and wrong, hostile bodies, unknown paths.
Then every response (status line, headers, body) and everything the site logged — the
management commands' output and the server's whole log — is searched for each secret and
for its first 12 characters."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
import requests

from tests.support.live import LiveSite, Shopper, wait_for

pytestmark = pytest.mark.slow

SECRETS = {
    "STREAM_CHAT_API_SECRET": "fake-stream-secret-Zq81mXw0LkP3vB7nR2sT9yC4",
    "COZE_API_TOKEN": "pat_fakeCozeToken_9fK2LmQ8sV1xN4bR7tW0yZ3cH6jD",
    "CHATBOT_SSO_SECRET": "fake-sso-secret-H5gT1kP9wQ2mZ8xL3vB6nR0c",
    "OPENAI_API_KEY": "sk-fakeOpenAIKey-4Rt8Yp2Lm6Qw0Zx3Vb7Nc1Ks",
    "SECRET_KEY": "fake-django-secret-key-J7hG2fD9sA4kL1pO8iU3yT6r",
}
ENV = {
    **SECRETS,
    "STREAM_CHAT_API_KEY": "fakestreamkey",
    "STREAM_CHAT_ENABLED": "false",  # no network; the webhook still verifies with the secret
    "CHATBOT_ASSISTANT": "coze",
    "COZE_BOT_ID": "7400000000000000001",
    "COZE_API_BASE": "http://127.0.0.1:9",  # refuses connections: replies fail and log
    "CHATBOT_NODE_URL": "",
    "LOG_LEVEL": "DEBUG",
    "REDIS_URL": "",
    "DEBUG": "false",
}


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[LiveSite, str, list[str]]]:
    with LiveSite(env=ENV) as live:
        said = [live.manage("migrate", "--noinput"), live.manage("load_demo"), live.manage("check")]
        base = live.start()
        yield live, base, said


def record(response: requests.Response, into: list[str]) -> requests.Response:
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    into.append(f"{response.status_code} {response.url}\n{head}\n{response.text}")
    return response


def signed(body: bytes) -> str:
    return hmac.new(SECRETS["STREAM_CHAT_API_SECRET"].encode(), body, hashlib.sha256).hexdigest()


def final_reply(shopper: Shopper, base: str) -> bool:
    messages = shopper.session.get(base + "/api/chatbot/history?shop=demo", timeout=10).json()["messages"]
    return any(m["role"] == "assistant" and m["status"] in ("failed", "done") for m in messages)


def exercise(base: str) -> list[str]:
    seen: list[str] = []
    shopper = Shopper(base, "demo")
    for path in ("/", "/s/demo/", "/s/demo/products/?q=tent", "/accounts/login/", "/health", "/health/ready"):
        record(shopper.session.get(base + path, timeout=10), seen)
    record(shopper.session.get(base + "/api/chatbot/schema", timeout=10), seen)
    record(shopper.post("/api/chatbot/stream-chat-token", {}), seen)
    sent = record(
        shopper.post("/api/chatbot/stream-message", {"text": "Do you have tents?", "clientMessageId": "s-1"}),
        seen,
    )
    reply_id = (sent.json().get("reply") or {}).get("id", 1)
    # Let the reply meet the refusing upstream (and log it) before the rest.
    wait_for(lambda: final_reply(shopper, base), timeout=20, step=0.2)
    record(shopper.post("/api/chatbot/stop", {"messageId": reply_id}), seen)
    record(shopper.session.get(base + "/api/chatbot/history?shop=demo", timeout=10), seen)
    events = shopper.session.get(base + "/api/chatbot/events?shop=demo", stream=True, timeout=10)
    seen.append(f"{events.status_code} events\n" + "\n".join(f"{k}: {v}" for k, v in events.headers.items()))
    events.close()
    # Signing in (the form) and a wrong password.
    login = shopper.session.get(base + "/accounts/login/", timeout=10)
    record(login, seen)
    for password in ("wrong-password", "demo12345"):
        record(
            shopper.session.post(
                base + "/accounts/login/",
                data={
                    "username": "demo@example.com",
                    "password": password,
                    "csrfmiddlewaretoken": shopper.csrf,
                },
                headers={"Referer": base + "/accounts/login/"},
                timeout=10,
            ),
            seen,
        )
    shopper.csrf = [c.value for c in shopper.session.cookies if c.name == "csrftoken"][-1]  # rotated
    record(shopper.post("/api/chatbot/stream-chat-token", {}), seen)
    record(
        shopper.post("/api/chatbot/stream-message", {"text": "where is my order?", "clientMessageId": "s-2"}),
        seen,
    )
    # Webhooks: right signature, wrong signature, nested, not JSON.
    hook = base + "/api/chatbot/webhooks/stream"
    good = json.dumps({"type": "message.new", "channel_id": "x", "message": {"text": "hi"}}).encode()
    record(
        requests.post(
            hook, data=good, headers={"X-Signature": signed(good), "X-Webhook-Id": "w1"}, timeout=10
        ),
        seen,
    )
    record(requests.post(hook, data=good, headers={"X-Signature": "0" * 64}, timeout=10), seen)
    nested = b"[" * 3000 + b"]" * 3000
    record(requests.post(hook, data=nested, headers={"X-Signature": signed(nested)}, timeout=10), seen)
    # Hostile requests on the chat's routes.
    record(
        shopper.session.post(
            base + "/api/chatbot/stream-message",
            data=nested,
            timeout=10,
            headers={"Content-Type": "application/json", "X-CSRFToken": shopper.csrf},
        ),
        seen,
    )
    record(shopper.session.get(base + "/api/chatbot/nope", timeout=10), seen)
    record(
        shopper.session.get(base + "/api/chatbot/history", headers={"Host": "evil.example"}, timeout=10), seen
    )
    record(requests.post(base + "/api/chatbot/stream-message", json={"text": "x"}, timeout=10), seen)
    record(shopper.session.get(base + "/s/demo/p/NOPE/", timeout=10), seen)
    return seen


def test_no_secret_in_any_response_or_log_line(site) -> None:
    live, base, said = site
    responses = exercise(base)
    assert any(r.startswith("202") for r in responses)  # the message route really ran
    log = live.log(base)
    assert "127.0.0.1:9" in log  # the refusing upstream was reached and logged
    first_lines = [r.split("\n", 1)[0] for r in responses]
    assert sum(line.startswith("202") and "stream-message" in line for line in first_lines) == 2
    everything = {"responses": "\n".join(responses), "server log": log, "manage.py": "\n".join(said)}
    for name, secret in SECRETS.items():
        for where, text in everything.items():
            assert secret not in text, f"{name} found in {where}"
            assert secret[:12] not in text, f"the start of {name} found in {where}"
