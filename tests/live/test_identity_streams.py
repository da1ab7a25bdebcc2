"""Event streams follow who is chatting: a live ASGI server with the demo storefront, real
sign-in and sign-out through its forms, real SSE."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from tests.support.live import LiveSite, reading


@pytest.fixture(scope="module")
def site():
    # A short heartbeat so the session backstop and slot refresh run within the test.
    with LiveSite(
        env={"CHATBOT_ASSISTANT": "local", "REDIS_URL": "", "CHATBOT_SSE_HEARTBEAT_SECONDS": "1"}
    ) as live:
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        live.start()
        yield live


class Browser:
    """A requests session that behaves like a browser on the demo shop."""

    def __init__(self, base: str, shop: str = "demo") -> None:
        self.base, self.shop = base, shop
        self.http = requests.Session()
        assert self.http.get(f"{base}/s/{shop}/", timeout=10).status_code == 200

    @property
    def csrf(self) -> str:
        return self.http.cookies["csrftoken"]

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.http.post(
            self.base + path, json={"shop": self.shop, **body}, headers={"X-CSRFToken": self.csrf}, timeout=10
        )

    def token(self) -> dict[str, Any]:
        response = self.post("/api/chatbot/stream-chat-token", {})
        response.raise_for_status()
        return response.json()

    def sign_in(self, email: str, password: str) -> None:
        self.http.get(f"{self.base}/accounts/login/", timeout=10)
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={"username": email, "password": password, "csrfmiddlewaretoken": self.csrf},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:300]

    def sign_out(self) -> None:
        response = self.http.post(
            f"{self.base}/accounts/logout/",
            data={"csrfmiddlewaretoken": self.csrf},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302

    def events(self):
        return reading(f"{self.base}/api/chatbot/events?shop={self.shop}", session=self.http)


def wait_closed(stream, timeout: float = 10) -> None:
    stream.thread.join(timeout)
    assert not stream.thread.is_alive(), "the stream should have ended"


def test_sign_out_ends_that_browsers_stream_and_not_the_other_devices(site):
    base = site.servers[0][1]
    laptop, phone = Browser(base), Browser(base)
    laptop.sign_in("demo@example.com", "demo12345")
    phone.sign_in("demo@example.com", "demo12345")
    assert laptop.token()["userId"] == phone.token()["userId"]
    with laptop.events() as on_laptop, phone.events() as on_phone:
        assert on_laptop.status == on_phone.status == 200
        assert on_laptop.ready.wait(5) and on_phone.ready.wait(5)
        laptop.sign_out()
        ended = on_laptop.wait_for("session.ended")
        assert ended["data"] == {"reason": "signed_out"}
        wait_closed(on_laptop)
        # The phone is still signed in: its stream goes on and still gets replies.
        assert phone.post(
            "/api/chatbot/stream-message", {"text": "where is my order?", "clientMessageId": "p1"}
        ).status_code in (200, 202)
        done = on_phone.wait_for("reply.done")
        assert "NW-10047" in done["data"]["message"]["text"]
        assert not any(e["event"] == "session.ended" for e in on_phone.events)
    # Signed out, the laptop is nobody's stream until it starts a chat as a new guest.
    refused = laptop.http.get(f"{base}/api/chatbot/events?shop=demo", timeout=10)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "no_conversation"


def test_sign_in_ends_the_guest_stream_and_the_customer_stream_carries_on(site):
    base = site.servers[0][1]
    shopper = Browser(base)
    guest = shopper.token()
    assert shopper.post(
        "/api/chatbot/stream-message", {"text": "do you sell tents?", "clientMessageId": "g1"}
    ).status_code in (200, 202)
    with shopper.events() as as_guest:
        assert as_guest.ready.wait(5)
        shopper.sign_in("other@example.com", "other12345")
        assert as_guest.wait_for("session.ended")["data"] == {"reason": "signed_in"}
        wait_closed(as_guest)
    customer = shopper.token()
    assert customer["userRole"] == "customer" and customer["userId"] != guest["userId"]
    history = shopper.http.get(f"{base}/api/chatbot/history?shop=demo", timeout=10).json()
    assert "do you sell tents?" in [m["text"] for m in history["messages"]]
    with shopper.events() as as_customer:
        assert as_customer.status == 200


def test_a_fifth_stream_of_one_identity_is_refused_and_others_are_unaffected(site):
    base = site.servers[0][1]
    hoarder, neighbour = Browser(base), Browser(base)
    hoarder.token()
    neighbour.token()
    streams = [hoarder.events() for _ in range(4)]
    opened = [s.__enter__() for s in streams]
    try:
        assert [s.status for s in opened] == [200] * 4
        fifth = hoarder.http.get(f"{base}/api/chatbot/events?shop=demo", timeout=10)
        assert fifth.status_code == 429
        assert fifth.json()["error"]["code"] == "too_many_streams"
        assert int(fifth.headers["Retry-After"]) > 0
        with neighbour.events() as theirs:
            assert theirs.status == 200
        # Closing a tab frees its place.
        streams[0].__exit__(None, None, None)
        deadline = time.monotonic() + 10
        status = 0
        while time.monotonic() < deadline:
            again = hoarder.http.get(f"{base}/api/chatbot/events?shop=demo", timeout=10, stream=True)
            status = again.status_code
            again.close()
            if status == 200:
                break
            time.sleep(0.3)
        assert status == 200
    finally:
        for s in streams[1:]:
            s.__exit__(None, None, None)


def test_a_stream_whose_session_is_gone_ends_even_without_an_event(site):
    """The backstop: a session deleted behind the chat's back (expired, cleared by the
    host, signed out in a process that shares no event hub) ends its streams too."""
    base = site.servers[0][1]
    shopper = Browser(base)
    shopper.sign_in("demo@example.com", "demo12345")
    shopper.token()
    key = shopper.http.cookies["sessionid"]
    with shopper.events() as stream:
        assert stream.ready.wait(5)
        forget = f"Session.objects.filter(session_key={key!r}).delete()"
        site.manage("shell", "-c", f"from django.contrib.sessions.models import Session; {forget}")
        # Heartbeats come every second here; the check runs on every fourth.
        assert stream.wait_for("session.ended", timeout=15)["data"] == {"reason": "session_gone"}
        wait_closed(stream)


def test_parallel_first_requests_of_a_new_visitor_are_one_guest(site):
    """The token call and the first message leave together (two tabs, or a fast typist):
    the session the page set names one guest, and the message is kept."""
    base = site.servers[0][1]
    for attempt in range(5):
        shopper = Browser(base)  # the shop page: its session cookie names the guest
        results: dict[str, requests.Response] = {}
        start = threading.Barrier(2)

        def call(name: str, path: str, body: dict[str, Any], shopper: Browser = shopper) -> None:
            start.wait()
            results[name] = shopper.post(path, body)

        threads = [
            threading.Thread(target=call, args=("token", "/api/chatbot/stream-chat-token", {})),
            threading.Thread(
                target=call,
                args=(
                    "message",
                    "/api/chatbot/stream-message",
                    {"text": f"first {attempt}", "clientMessageId": "f1"},
                ),
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        token, message = results["token"], results["message"]
        assert token.status_code == 200 and message.status_code in (200, 202), (token.text, message.text)
        assert token.headers["X-Chatbot-User"] == message.headers["X-Chatbot-User"]
        history = shopper.http.get(f"{base}/api/chatbot/history?shop=demo", timeout=10).json()
        assert [m["text"] for m in history["messages"] if m["role"] == "shopper"] == [f"first {attempt}"]
