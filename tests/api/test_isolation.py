import pytest
from django.test import Client

from chatbot.models import Message

from .conftest import post


def new_visitor():
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_one_visitor_cannot_read_or_stop_anothers_conversation(assistant):
    alice, bob = new_visitor(), new_visitor()
    sent = post(
        alice,
        "/api/chatbot/stream-message",
        {"shop": "acme", "text": "alice's secret", "clientMessageId": "a"},
    )
    assert sent.status_code == 202
    alice_history = alice.get("/api/chatbot/history?shop=acme").json()
    assert alice_history["messages"][0]["text"] == "alice's secret"
    bob_history = bob.get("/api/chatbot/history?shop=acme").json()
    assert bob_history["messages"] == []
    reply_id = sent.json()["reply"]["id"]
    stop = post(bob, "/api/chatbot/stop", {"shop": "acme", "messageId": reply_id})
    assert stop.status_code == 404
    # Bob reusing Alice's clientMessageId creates Bob's own message, not access to hers.
    bob_send = post(
        bob, "/api/chatbot/stream-message", {"shop": "acme", "text": "bob", "clientMessageId": "a"}
    )
    assert bob_send.status_code == 202
    assert bob_send.json()["message"]["text"] == "bob"
    assert Message.objects.filter(role="shopper").count() == 2


@pytest.mark.django_db
def test_a_forged_session_cookie_reads_nothing_and_mints_nothing(assistant):
    alice = new_visitor()
    post(alice, "/api/chatbot/stream-message", {"shop": "acme", "text": "mine", "clientMessageId": "a"})
    mallory = Client()
    mallory.cookies["sessionid"] = "x" * 32  # no such session
    history = mallory.get("/api/chatbot/history?shop=acme")
    assert history.status_code == 200 and history.json()["messages"] == []
    assert "X-Chatbot-User" not in history  # a read names nobody and makes nobody up
    assert mallory.get("/api/chatbot/events?shop=acme").status_code == 404


@pytest.mark.django_db
def test_a_script_readable_cookie_alone_reads_nothing(assistant):
    """The csrftoken cookie is readable by page scripts: sending only it is a stranger."""
    alice = new_visitor()
    post(alice, "/api/chatbot/stream-message", {"shop": "acme", "text": "card 4242", "clientMessageId": "a"})
    thief = Client(enforce_csrf_checks=True)
    thief.cookies["csrftoken"] = alice.cookies["csrftoken"].value
    csrf = {"HTTP_X_CSRFTOKEN": alice.cookies["csrftoken"].value}
    assert thief.get("/api/chatbot/history?shop=acme").json()["messages"] == []
    assert thief.get("/api/chatbot/events?shop=acme").status_code == 404
    token = thief.post(
        "/api/chatbot/stream-chat-token", {"shop": "acme"}, content_type="application/json", **csrf
    )
    assert token.status_code == 200
    assert (
        token.json()["userId"]
        != alice.post(
            "/api/chatbot/stream-chat-token", {"shop": "acme"}, content_type="application/json", **csrf
        ).json()["userId"]
    )


@pytest.mark.django_db
def test_events_need_the_owners_cookies_not_a_url_token(assistant):
    alice = new_visitor()
    body = post(alice, "/api/chatbot/stream-chat-token", {"shop": "acme"}).json()
    assert body["token"] == "" and "token" not in body["eventsUrl"]
    stranger = Client().get("/api/chatbot/events?shop=acme&token=anything")
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "no_conversation"


@pytest.mark.django_db
def test_history_is_paged_and_rejects_bad_numbers(assistant):
    alice = new_visitor()
    for i in range(3):
        post(
            alice,
            "/api/chatbot/stream-message",
            {"shop": "acme", "text": f"m{i}", "clientMessageId": f"id{i}"},
        )
    page = alice.get("/api/chatbot/history?shop=acme&limit=2").json()["messages"]
    assert len(page) == 2 and page[-1]["role"] == "assistant"
    older = alice.get(f"/api/chatbot/history?shop=acme&limit=50&before={page[0]['id']}").json()["messages"]
    assert all(m["id"] < page[0]["id"] for m in older) and len(older) == 4
    assert alice.get("/api/chatbot/history?shop=acme&limit=x").status_code == 400
