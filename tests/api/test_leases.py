"""No reply is ever stuck (chatbot.leases): a reply whose process stopped renewing its
lease becomes ``interrupted`` with its partial text, retryable; stop ends it at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chatbot import leases, runtime
from chatbot.assistants.base import ShopAssistant
from chatbot.engines.local.hub import get_hub
from chatbot.models import Conversation, Message
from chatbot.vocabulary import FinalReply, TextDelta

from .conftest import post

pytestmark = pytest.mark.django_db


def stuck_reply(visitor, *, lease_age: float | None = 60, text: str = "The Alpine 38 is") -> Message:
    """A shopper message whose reply a killed process left streaming."""
    sent = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "c1"}
    )
    reply = Message.objects.get(pk=sent.json()["reply"]["id"])
    until = None if lease_age is None else timezone.now() - timedelta(seconds=lease_age)
    Message.objects.filter(pk=reply.pk).update(
        status="streaming", text=text, lease_owner="dead-host:1:abc", lease_until=until
    )
    if lease_age is None:  # a reply from before leases: only its age tells
        Message.objects.filter(pk=reply.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    return Message.objects.get(pk=reply.pk)


@pytest.mark.parametrize("lease_age", [60, None])
def test_a_sweep_interrupts_a_lapsed_reply_keeping_its_partial_text(visitor, assistant, lease_age):
    reply = stuck_reply(visitor, lease_age=lease_age)
    mark = get_hub().publish(reply.conversation_id, "test.mark", {}).id  # type: ignore[union-attr]
    assert leases.sweep() == [reply.pk]
    reply.refresh_from_db()
    assert reply.status == "interrupted" and reply.text == "The Alpine 38 is"
    assert reply.error_code == "interrupted" and reply.lease_until is None
    shown = [e for e in get_hub().replay(reply.conversation_id, mark) if e.type == "reply.failed"]
    assert shown and shown[-1].data["message"]["status"] == "interrupted"
    assert shown[-1].data["retryable"] is True
    assert leases.sweep() == []  # once


def test_a_live_lease_is_left_alone_and_kept_alive(visitor, assistant):
    reply = stuck_reply(visitor, lease_age=-20)  # 20 s still to go
    Message.objects.filter(pk=reply.pk).update(lease_owner=leases.owner())
    assert leases.sweep() == []
    assert leases.keep_leases([reply.pk]) == 1  # this process runs it
    reply.refresh_from_db()
    assert reply.status == "streaming"
    assert reply.lease_until > timezone.now() + timedelta(seconds=25)


def test_a_reply_of_this_process_whose_task_is_gone_is_not_renewed_and_is_swept(visitor, assistant):
    # Owned by this process but not running here (its task ended without ending it, e.g.
    # its first database step failed while the connections were being killed).
    reply = stuck_reply(visitor, lease_age=-20)
    Message.objects.filter(pk=reply.pk).update(lease_owner=leases.owner(), status="pending")
    assert leases.keep_leases(runtime.running()) == 0
    Message.objects.filter(pk=reply.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert leases.sweep() == [reply.pk]
    reply.refresh_from_db()
    assert reply.status == "interrupted" and reply.error_code == "interrupted"


def test_resending_the_same_client_message_id_retries_a_stuck_reply_without_waiting(visitor, assistant):
    reply = stuck_reply(visitor)
    again = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "c1"}
    )
    assert again.status_code == 202
    assert again.json()["reply"]["id"] != reply.pk
    assert Message.objects.get(pk=reply.pk).status == "interrupted"
    assert Message.objects.get(pk=again.json()["reply"]["id"]).status == "done"


def test_stop_on_a_reply_nobody_writes_ends_it_now(visitor, assistant):
    reply = stuck_reply(visitor)
    stopped = post(visitor, "/api/chatbot/stop", {"shop": "acme", "messageId": reply.pk})
    assert stopped.status_code == 202
    reply.refresh_from_db()
    assert reply.status == "stopped" and reply.text == "The Alpine 38 is"


def test_a_streaming_reply_is_checkpointed_so_a_crash_keeps_what_was_shown(visitor, monkeypatch):
    seen_in_db: list[str] = []

    class Slow(ShopAssistant):
        def reply(self, context):  # type: ignore[no-untyped-def]
            for word in ("one ", "two ", "three "):
                yield TextDelta(word)
                reply = Message.objects.get(role="assistant", status="streaming")
                seen_in_db.append(reply.text)
            yield FinalReply("one two three")

    monkeypatch.setattr("chatbot.pipeline.assistant_for_shop", lambda shop_id: Slow())
    monkeypatch.setattr("chatbot.pipeline.CHECKPOINT_SECONDS", 0)
    post(visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "k"})
    assert seen_in_db == ["one ", "one two ", "one two three "]


def test_a_reply_is_run_once_even_if_its_job_is_submitted_twice(visitor, assistant):
    from chatbot.pipeline import run_reply
    from chatbot.runtime import run_inline

    sent = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "hi", "clientMessageId": "d"}
    )
    reply = Message.objects.get(pk=sent.json()["reply"]["id"])
    assert reply.status == "done"
    before = reply.updated_at
    run_inline(run_reply, reply.pk)  # a duplicate job: the claim refuses it
    assert Message.objects.get(pk=reply.pk).updated_at == before
    assert Conversation.objects.count() == 1


def test_queued_checkpoints_are_written_in_one_batch_and_never_over_a_finished_reply(visitor, assistant):
    first = stuck_reply(visitor, lease_age=-20, text="")
    sent = post(
        visitor, "/api/chatbot/stream-message", {"shop": "acme", "text": "again", "clientMessageId": "c2"}
    )
    finished = Message.objects.get(pk=sent.json()["reply"]["id"])
    assert finished.status == "done"
    with leases._pending_lock:  # what reply threads queue while the keeper runs
        leases._pending_text.update({first.pk: "partial one", finished.pk: "partial two"})
    assert leases.flush_checkpoints() == 1
    assert Message.objects.get(pk=first.pk).text == "partial one"
    assert Message.objects.get(pk=finished.pk).text == finished.text  # the final text stays
    assert leases.flush_checkpoints() == 0


def queue_checkpoint(reply: Message, text: str) -> None:
    with leases._pending_lock:  # as a running reply queues it while the keeper runs
        leases._pending_text[reply.pk] = text


def test_a_checkpoint_sends_only_the_text_since_the_last_one(visitor, assistant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reply = stuck_reply(visitor, lease_age=-20, text="")
    leases.forget(reply.pk)
    queue_checkpoint(reply, "The Alpine 38 ")
    assert leases.flush_checkpoints() == 1
    queue_checkpoint(reply, "The Alpine 38 weighs 1.2 kg")
    with CaptureQueriesContext(connection) as queries:
        assert leases.flush_checkpoints() == 1
    assert Message.objects.get(pk=reply.pk).text == "The Alpine 38 weighs 1.2 kg"
    sent = " ".join(q["sql"] for q in queries.captured_queries)  # with its parameters
    assert "weighs 1.2 kg" in sent and "The Alpine 38 weighs" not in sent  # the new part only
    leases.forget(reply.pk)
    assert reply.pk not in leases._stored_chars


def test_a_checkpoint_whose_row_changed_underneath_is_written_whole_next_time(visitor, assistant):
    reply = stuck_reply(visitor, lease_age=-20, text="")
    leases.forget(reply.pk)
    queue_checkpoint(reply, "one ")
    leases.flush_checkpoints()
    Message.objects.filter(pk=reply.pk).update(text="something else")  # not this process's text
    queue_checkpoint(reply, "one two ")
    assert leases.flush_checkpoints() == 0  # never appended to text it did not write
    assert Message.objects.get(pk=reply.pk).text == "something else"
    queue_checkpoint(reply, "one two three")
    assert leases.flush_checkpoints() == 1
    assert Message.objects.get(pk=reply.pk).text == "one two three"
    leases.forget(reply.pk)


def test_a_failed_flush_makes_the_next_checkpoint_whole(visitor, assistant, monkeypatch):
    reply = stuck_reply(visitor, lease_age=-20, text="")
    leases.forget(reply.pk)
    queue_checkpoint(reply, "one ")
    leases.flush_checkpoints()
    assert leases._stored_chars[reply.pk] == 4
    monkeypatch.setattr(leases, "lease_until", lambda: 1 / 0)
    queue_checkpoint(reply, "one two ")
    with pytest.raises(ZeroDivisionError):
        leases.flush_checkpoints()
    monkeypatch.undo()
    assert reply.pk not in leases._stored_chars
    Message.objects.filter(pk=reply.pk).update(text="")  # whatever the failed write left
    queue_checkpoint(reply, "one two three")
    assert leases.flush_checkpoints() == 1
    assert Message.objects.get(pk=reply.pk).text == "one two three"
    leases.forget(reply.pk)
