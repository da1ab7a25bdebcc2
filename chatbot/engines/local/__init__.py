"""The local engine: messages live in the app's database; live events go to the
browser over SSE through the event hub (memory, or Redis pub/sub across processes)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from ...stop import stop_requested
from ...vocabulary import QuickReplyOption, quick_replies_json
from ...wire import message_json
from ..base import ChatEngine, ReplyWriter
from .hub import get_hub

if TYPE_CHECKING:
    from ...models import Conversation, Message
    from ...vocabulary import FinalReply, ProductCard, Shopper


class LocalReplyWriter(ReplyWriter):
    # Publishing is a hand-over to the hub (memory: the streams' queues; Redis: the batch
    # publisher's), so the pipeline calls this writer on its loop.
    blocking = False
    # Checking the stop flag costs a cache read; a few times a second is plenty.
    STOP_CHECK_SECONDS = 0.2

    def __init__(self, conversation: Conversation, reply: Message) -> None:
        self.conversation_id = conversation.pk
        self.reply = reply
        self.reply_id = reply.pk
        self.hub = get_hub()
        self._stop_checked_at = 0.0
        self._stopped = False

    def _publish(self, event_type: str, data: dict[str, Any]) -> None:
        self.hub.publish(self.conversation_id, event_type, data)

    def thinking(self) -> None:
        self._publish("reply.thinking", {"messageId": self.reply.pk})

    def delta(self, text: str) -> None:
        # Once per delta of every reply: straight to the hub.
        self.hub.publish(self.conversation_id, "reply.delta", {"messageId": self.reply_id, "text": text})

    def products(self, cards: Sequence[ProductCard]) -> None:
        self._publish(
            "reply.products", {"messageId": self.reply.pk, "products": [c.as_dict() for c in cards]}
        )

    def quick_replies(self, options: Sequence[QuickReplyOption]) -> None:
        self._publish(
            "reply.quick_replies", {"messageId": self.reply.pk, "options": quick_replies_json(options)}
        )

    def handoff(self, reason: str) -> None:
        self._publish("reply.handoff", {"messageId": self.reply.pk, "notice": reason})

    def finish(self, final: FinalReply, *, stopped: bool = False) -> None:
        self._publish("reply.done", {"message": message_json(self.reply)})

    def fail(self, visible_text: str, *, retryable: bool, code: str) -> None:
        self._publish(
            "reply.failed", {"message": message_json(self.reply), "retryable": retryable, "code": code}
        )

    @property
    def stop_requested(self) -> bool:
        if self._stopped:
            return True
        now = time.monotonic()
        if now - self._stop_checked_at >= self.STOP_CHECK_SECONDS:
            self._stop_checked_at = now
            self._stopped = stop_requested(self.reply.pk)
        return self._stopped


class LocalEngine(ChatEngine):
    name = "local"

    def session_payload(self, conversation: Conversation, shopper: Shopper) -> dict[str, Any]:
        # No token: the event stream is authorised by the shopper's own cookies, like
        # every other route (a token in a URL ends up in access logs).
        return {
            "token": "",
            "apiKey": "",
            "engine": self.name,
            "channel": {"type": "local", "id": conversation.channel_id},
            "expiresAt": None,
            "eventsUrl": reverse("chatbot:events"),
        }

    def deliver_shopper_message(self, conversation: Conversation, message: Message) -> None:
        get_hub().publish(conversation.pk, "message.new", {"message": message_json(message)})

    def deliver_message(self, conversation: Conversation, message: Message) -> None:
        get_hub().publish(conversation.pk, "message.new", {"message": message_json(message)})

    def open_reply(self, conversation: Conversation, reply: Message) -> ReplyWriter:
        return LocalReplyWriter(conversation, reply)

    def end_sessions(self, conversation_ids: Sequence[int], data: dict[str, Any]) -> None:
        hub = get_hub()
        for pk in conversation_ids:
            hub.publish(pk, "session.ended", data)

    def delete_conversation(self, conversation: Conversation, *, last_of_shopper: bool) -> None:
        # The rows are the conversation; the hub's replay buffer holds recent events
        # (message texts) for up to an hour: they go too.
        get_hub().forget(conversation.pk)
