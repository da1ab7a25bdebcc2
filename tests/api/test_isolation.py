import pytest
from django.test import Client

from chatbot.models import Message

from .conftest import post


def new_visitor():
    client = Client(enforce_csrf_checks=True)
    client.get("/api/chatbot/history?shop=acme")
    return client


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
def test_a_forged_guest_cookie_is_replaced_not_trusted(assistant):
    alice = new_visitor()
    post(alice, "/api/chatbot/stream-message", {"shop": "acme", "text": "mine", "clientMessageId": "a"})
    mallory = Client()
    mallory.cookies["chatbot_guest"] = "g" + "0" * 24  # unsigned
    history = mallory.get("/api/chatbot/history?shop=acme")
    assert history.json()["messages"] == []
    assert history.cookies["chatbot_guest"].value != "g" + "0" * 24


@pytest.mark.django_db
def test_events_token_of_one_visitor_does_not_open_anothers_stream(assistant):
    alice = new_visitor()
    token = post(alice, "/api/chatbot/stream-chat-token", {"shop": "acme"}).json()["token"]
    tampered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = Client().get(f"/api/chatbot/events?token={tampered}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_token"
    assert Client().get("/api/chatbot/events").status_code == 401


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
