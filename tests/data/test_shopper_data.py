"""One shopper's data, exported and deleted with ``manage.py chatbot_shopper_data``, on the
local engine and on Stream (against the Stream double: its channel must be empty after)."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from chatbot.engines import get_engine
from chatbot.engines.local.hub import get_hub
from chatbot.engines.stream import client as stream_client
from chatbot.identity import customer_chat_id
from chatbot.models import Conversation, ConversationRating, Message
from tests.doubles.stream_double import StreamDouble
from tests.support.clock import FakeClock
from tests.support.redisdb import redis_test_url

pytestmark = pytest.mark.django_db

KEY, SECRET = "data-key", "data-secret-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(autouse=True)
def storefront_shop(settings):
    """The storefront's adapter: a customer's email is found as in production."""
    from storefront.models import Shop

    settings.CHATBOT_SHOP_ADAPTER = "storefront.chat_adapter.StorefrontAdapter"
    Shop.objects.create(slug="acme", name="Acme")
    Shop.objects.create(slug="beta", name="Beta")


@pytest.fixture
def mia() -> str:
    user = get_user_model().objects.create_user("mia", "mia@example.com", "pw-mia-1")
    return customer_chat_id(str(user.pk))


def chat(shop: str, chat_user: str, texts: list[tuple[str, str]], *, engine: bool = False) -> Conversation:
    conv = Conversation.objects.create(shop_id=shop, chat_user_id=chat_user, display_name="Mia")
    for role, text in texts:
        message = Message.objects.create(conversation=conv, role=role, text=text, status="done")
        if engine:  # the message reaches the engine as in a real chat
            deliver = (
                get_engine().deliver_shopper_message if role == "shopper" else get_engine().deliver_message
            )
            deliver(conv, message)
    return conv


TEXTS = [
    ("shopper", "Do you have tents?"),
    ("assistant", "Yes: the Trail Tent."),
    ("shopper", "I want a person"),
    ("staff", "Hi, Sam here. 你好!"),
]


def run(*args: str) -> str:
    out = StringIO()
    call_command("chatbot_shopper_data", *args, stdout=out)
    return out.getvalue()


def test_export_holds_every_message_and_the_ratings_local(mia, caplog):
    conv = chat("acme", mia, TEXTS)
    ConversationRating.objects.create(conversation=conv, score=4, comment="quick")
    chat("beta", mia, [("shopper", "another shop")])  # not part of an acme export
    with caplog.at_level(logging.INFO, logger="chatbot.shopper_data"):
        data = json.loads(run("export", "--shop", "acme", "--customer", "mia@example.com"))
    [exported] = data["conversations"]
    assert [(m["role"], m["text"]) for m in exported["messages"]] == TEXTS
    assert all(m["created_at"] and m["status"] == "done" for m in exported["messages"])
    assert exported["ratings"] == [
        {"score": 4, "comment": "quick", "created_at": exported["ratings"][0]["created_at"]}
    ]
    assert exported["engine"] == {"name": "local", "copy": None}
    [line] = [r.getMessage() for r in caplog.records]
    assert f"shop=acme chat_user={mia} conversations=1 messages=4 ratings=1" in line
    assert "by=manage.py" in line
    assert not any(text in line for _, text in TEXTS)  # never the texts


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def hub(request, settings):
    """The local engine's event hub: in memory, and on Redis as deployed with REDIS_URL."""
    if request.param == "redis":
        import redis

        url = redis_test_url(9)
        try:
            redis.Redis.from_url(url).ping()
        except redis.RedisError:
            pytest.skip("no Redis at 127.0.0.1:6379")
        redis.Redis.from_url(url).flushdb()
        settings.REDIS_URL = url
    else:
        settings.REDIS_URL = ""
        # The memory hub lives as long as the process: another test's conversation with
        # the same (reused) primary key may have left events in its replay buffer.
        memory = get_hub()
        for conversation_id in list(memory._buffers):  # type: ignore[attr-defined]
            memory.forget(conversation_id)
    return get_hub()


def test_delete_leaves_nothing_of_the_shopper_in_that_shop_local(mia, caplog, hub):
    conv = chat("acme", mia, TEXTS, engine=True)  # the live events too (the hub's replay buffer)
    hub.flush()
    assert [e.data["message"]["text"] for e in hub.replay(conv.pk, "0-0")] == [t for _, t in TEXTS]
    ConversationRating.objects.create(conversation=conv, score=1)
    kept = chat("beta", mia, [("shopper", "another shop")])
    with caplog.at_level(logging.INFO, logger="chatbot.shopper_data"):
        out = run("delete", "--shop", "acme", "--chat-user", mia)
    assert "Deleted 1 conversation(s), 4 message(s), 1 rating(s)" in out
    assert not Conversation.objects.filter(pk=conv.pk).exists()
    assert not Message.objects.filter(conversation_id=conv.pk).exists()
    assert not ConversationRating.objects.filter(conversation_id=conv.pk).exists()
    assert Conversation.objects.filter(pk=kept.pk).exists()
    assert hub.replay(conv.pk, "0-0") == []
    assert "shopper data delete: shop=acme" in caplog.text
    assert json.loads(run("export", "--shop", "acme", "--chat-user", mia))["conversations"] == []


def test_an_unknown_customer_or_shop_is_a_clear_error():
    with pytest.raises(CommandError, match="No customer with the email"):
        run("export", "--shop", "acme", "--customer", "nobody@example.com")
    with pytest.raises(CommandError, match="Unknown shop"):
        run("export", "--shop", "nope", "--chat-user", "g1")


@pytest.fixture
def on_stream(monkeypatch):
    monkeypatch.setattr(stream_client, "clock", FakeClock())  # task polls do not sleep
    stream_client.reset_client()
    with StreamDouble(KEY, SECRET) as double:
        with override_settings(
            STREAM_CHAT_ENABLED=True,
            STREAM_CHAT_API_KEY=KEY,
            STREAM_CHAT_API_SECRET=SECRET,
            STREAM_CHAT_BASE_URL=double.base_url,
        ):
            yield double
    stream_client.reset_client()


def test_export_includes_streams_copy_of_the_channel(mia, on_stream):
    on_stream.pending_polls = 2  # the export task runs a while, as on Stream
    chat("acme", mia, TEXTS, engine=True)
    data = json.loads(run("export", "--shop", "acme", "--customer", "mia@example.com"))
    [exported] = data["conversations"]
    assert [m["text"] for m in exported["messages"]] == [t for _, t in TEXTS]
    assert exported["engine"]["name"] == "stream"
    [channel] = exported["engine"]["copy"]["channels"]
    assert [m["text"] for m in channel["messages"]] == [t for _, t in TEXTS]
    routes = on_stream.paths()
    assert "POST /export_channels" in routes
    assert routes.count(f"GET /export_channels/{next(iter(on_stream.tasks))}") == 3


def test_delete_on_stream_leaves_the_channel_without_messages(mia, on_stream):
    conv = chat("acme", mia, TEXTS, engine=True)
    cid = f"messaging:{conv.channel_id}"
    assert len([m for m in on_stream.messages.values() if m["cid"] == cid]) == 4
    other = chat("beta", mia, [("shopper", "another shop")], engine=True)
    run("delete", "--shop", "acme", "--customer", "mia@example.com")
    assert cid not in on_stream.channels
    assert not [m for m in on_stream.messages.values() if m["cid"] == cid]
    assert on_stream.deleted_users == []  # their beta conversation still needs the user
    delete_call = next(c for c in on_stream.calls if c.route == "POST /channels/delete")
    assert delete_call.body == {"cids": [cid], "hard_delete": True}

    run("delete", "--shop", "beta", "--chat-user", mia)  # the last one: the user goes too
    assert on_stream.deleted_users == [stream_client.shopper_user_id(mia)]
    assert not on_stream.messages
    users_call = next(c for c in on_stream.calls if c.route == "POST /users/delete")
    assert users_call.body["user"] == "hard" and users_call.body["messages"] == "hard"
    assert not Conversation.objects.filter(pk__in=[conv.pk, other.pk]).exists()


def test_a_failing_stream_deletes_nothing_locally(mia, on_stream):
    conv = chat("acme", mia, TEXTS, engine=True)
    on_stream.fail("POST", r"^/channels/delete$", 403)
    with pytest.raises(CommandError, match="Stream channel delete failed"):
        run("delete", "--shop", "acme", "--chat-user", mia)
    assert Message.objects.filter(conversation=conv).count() == 4


def test_a_conversation_stream_never_saw_exports_and_deletes_cleanly(mia, on_stream):
    conv = chat("acme", mia, [("shopper", "typed while Stream was down")])  # never delivered
    data = json.loads(run("export", "--shop", "acme", "--chat-user", mia))
    assert data["conversations"][0]["engine"] == {"name": "stream", "copy": None}
    assert data["conversations"][0]["messages"][0]["text"] == "typed while Stream was down"
    assert "Deleted 1 conversation(s), 1 message(s)" in run("delete", "--shop", "acme", "--chat-user", mia)
    assert not Conversation.objects.filter(pk=conv.pk).exists()


def test_the_inbox_data_is_exported_and_deleted_with_the_conversation(
    mia, django_capture_on_commit_callbacks
):
    """What the hand-off adds about the shopper: the state, the email address they left for
    staff answers (exported), and staff's internal notes on them (deleted with the rest)."""
    from chatbot.inbox import states
    from chatbot.models import StaffNote

    conv = chat("acme", mia, TEXTS[:3])
    with django_capture_on_commit_callbacks(execute=True):
        states.hand_off(conv)
        states.leave_email(conv, "mia.private@example.com")
    StaffNote.objects.create(conversation=conv, text="Mia: refund promised")
    [exported] = json.loads(run("export", "--shop", "acme", "--chat-user", mia))["conversations"]
    assert exported["state"] == "waiting"
    assert exported["contact_email"] == "mia.private@example.com"
    assert exported["messages"][-1]["role"] == "system" and exported["messages"][-1]["notice"] in (
        "handoff",
        "away",
    )
    run("delete", "--shop", "acme", "--chat-user", mia)
    assert not StaffNote.objects.filter(conversation_id=conv.pk).exists()
    assert not Conversation.objects.filter(contact_email="mia.private@example.com").exists()
