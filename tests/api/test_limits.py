"""Limits a client cannot dodge by changing cookies: per address, new conversations per
address per hour, a site-wide ceiling on replies in flight — next to the per-identity ones."""

import pytest
from django.test import Client

from chatbot.clientaddr import client_address
from chatbot.models import Conversation, Message

from .conftest import post

pytestmark = pytest.mark.django_db
MESSAGE = "/api/chatbot/stream-message"
TOKEN = "/api/chatbot/stream-chat-token"


def fresh_client(**extra) -> Client:
    """A client that throws its cookies away: new session, new csrftoken, every time."""
    return Client(enforce_csrf_checks=True, **extra)


def test_rotating_csrftoken_and_session_from_one_address_is_limited(assistant, settings):
    settings.CHATBOT_ADDRESS_RATE_LIMIT = 5
    statuses = []
    for i in range(8):
        response = post(
            fresh_client(), MESSAGE, {"shop": "acme", "text": f"spam {i}", "clientMessageId": "x"}
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [202] * 5
    assert statuses[5:] == [429] * 3
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert Conversation.objects.count() == 5
    assert Message.objects.filter(role="assistant").count() == 5  # no reply job for the refused


def test_another_address_is_not_affected(assistant, settings):
    settings.CHATBOT_ADDRESS_RATE_LIMIT = 2
    for _ in range(3):
        post(
            fresh_client(REMOTE_ADDR="203.0.113.7"),
            MESSAGE,
            {"shop": "acme", "text": "a", "clientMessageId": "x"},
        )
    other = post(
        fresh_client(REMOTE_ADDR="198.51.100.9"),
        MESSAGE,
        {"shop": "acme", "text": "b", "clientMessageId": "x"},
    )
    assert other.status_code == 202


def test_new_conversations_per_address_per_hour(assistant, settings):
    settings.CHATBOT_NEW_CONVERSATIONS_PER_HOUR = 3
    regular = Client(enforce_csrf_checks=True)
    assert post(regular, TOKEN, {"shop": "acme"}).status_code == 200  # conversation 1
    codes = [post(fresh_client(), TOKEN, {"shop": "acme"}).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    # Someone who already has a conversation keeps chatting.
    assert post(regular, TOKEN, {"shop": "acme"}).status_code == 200
    assert (
        post(regular, MESSAGE, {"shop": "acme", "text": "still here", "clientMessageId": "m"}).status_code
        == 202
    )
    assert Conversation.objects.count() == 3


def test_per_identity_limit_still_holds(assistant, settings):
    settings.CHATBOT_RATE_LIMIT = 3
    visitor = Client(enforce_csrf_checks=True)
    codes = [
        post(visitor, MESSAGE, {"shop": "acme", "text": "m", "clientMessageId": f"id{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [202, 202, 202, 429]


def test_site_wide_ceiling_on_replies_in_flight(assistant, settings):
    settings.CHATBOT_MAX_QUEUED_REPLIES = 2
    conversation = Conversation.objects.create(shop_id="acme", chat_user_id="gbusy", display_name="x")
    for status in ("pending", "streaming"):
        Message.objects.create(conversation=conversation, role="assistant", status=status)
    refused = post(fresh_client(), MESSAGE, {"shop": "acme", "text": "hello", "clientMessageId": "b"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "busy"
    assert refused["Retry-After"] == "10"
    Message.objects.filter(status="streaming").update(status="done")
    assert (
        post(fresh_client(), MESSAGE, {"shop": "acme", "text": "hello", "clientMessageId": "b"}).status_code
        == 202
    )


class FakeRequest:
    def __init__(self, remote: str, headers: dict[str, str] | None = None) -> None:
        self.META = {"REMOTE_ADDR": remote}
        self.headers = headers or {}


def test_client_address_trusts_the_header_only_from_trusted_proxies(settings):
    settings.CHATBOT_CLIENT_IP_HEADER = "Fly-Client-IP"
    settings.CHATBOT_TRUSTED_PROXIES = "172.16.0.0/12, fdaa::/16"
    via_proxy = FakeRequest("172.16.3.4", {"Fly-Client-IP": "203.0.113.7"})
    assert client_address(via_proxy) == "203.0.113.7"
    spoofed = FakeRequest("198.51.100.9", {"Fly-Client-IP": "203.0.113.7"})
    assert client_address(spoofed) == "198.51.100.9"
    v6 = FakeRequest("fdaa:0:1::3", {"Fly-Client-IP": "2001:db8:1:2:aaaa::1"})
    same_line = FakeRequest("fdaa:0:1::3", {"Fly-Client-IP": "2001:db8:1:2:bbbb::9"})
    assert client_address(v6) == client_address(same_line) == "2001:db8:1:2::/64"
    garbage = FakeRequest("172.16.3.4", {"Fly-Client-IP": "not an address"})
    assert client_address(garbage) == "172.16.3.4"


def test_forwarded_for_lists_take_the_rightmost_untrusted_entry(settings):
    settings.CHATBOT_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.CHATBOT_TRUSTED_PROXIES = "10.0.0.0/8"
    request = FakeRequest("10.0.0.2", {"X-Forwarded-For": "1.2.3.4, 203.0.113.7, 10.0.0.9"})
    assert client_address(request) == "203.0.113.7"  # 1.2.3.4 is whatever the client wrote


def test_without_settings_the_header_is_ignored(settings):
    settings.CHATBOT_CLIENT_IP_HEADER = ""
    settings.CHATBOT_TRUSTED_PROXIES = ""
    assert client_address(FakeRequest("198.51.100.9", {"Fly-Client-IP": "1.1.1.1"})) == "198.51.100.9"


def test_rotating_spoofed_headers_through_an_untrusted_peer_are_still_limited(assistant, settings):
    settings.CHATBOT_ADDRESS_RATE_LIMIT = 2
    settings.CHATBOT_CLIENT_IP_HEADER = "Fly-Client-IP"
    settings.CHATBOT_TRUSTED_PROXIES = "172.16.0.0/12"
    codes = [
        post(
            fresh_client(REMOTE_ADDR="198.51.100.9"),
            MESSAGE,
            {"shop": "acme", "text": "x", "clientMessageId": "x"},
            HTTP_FLY_CLIENT_IP=f"203.0.113.{i}",
        ).status_code
        for i in range(4)
    ]
    assert codes == [202, 202, 429, 429]
