"""The Stream Chat engine: the browser talks to Stream with a user token from the token
route; the server posts the shopper's message and streams the assistant's reply into the
channel (placeholder, ``ai_indicator.*`` events, coalesced partial updates, one final
persistent update). Every call to Stream goes through ``chatbot.engines.stream.client``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests
from stream_chat.base.exceptions import StreamAPIException

from ... import conf
from ...models import Message
from ...vocabulary import QuickReplyOption, quick_replies_json
from ..base import ChatEngine, ReplyWriter
from . import client as stream

if TYPE_CHECKING:
    from ...models import Conversation
    from ...vocabulary import FinalReply, ProductCard, Shopper

logger = logging.getLogger("chatbot")

AI_STATE_THINKING = "AI_STATE_THINKING"
AI_STATE_GENERATING = "AI_STATE_GENERATING"
AI_STATE_ERROR = "AI_STATE_ERROR"
# Stream rejects a token "used before issued at" when our clock runs ahead of theirs.
TOKEN_CLOCK_SKEW = 5


def product_attachment(card: ProductCard) -> dict[str, Any]:
    return {
        "type": "product",
        "sku": card.sku,
        "name": card.name,
        "price": card.price,
        "currency": card.currency,
        "stock": card.stock,
        "in_stock": card.in_stock,
        "url": card.url,
        "image_url": card.image_url,
    }


def quick_replies_attachment(options: Sequence[QuickReplyOption]) -> dict[str, Any]:
    return {"type": "quick_replies", "options": quick_replies_json(options)}


class _EphemeralSupport:
    """Whether this Stream deployment has ``PATCH /messages/{id}/ephemeral``. Learnt once
    per process: after a 404/405 every reply uses the persistent partial update."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.available = True

    def disable(self) -> None:
        with self._lock:
            if self.available:
                logger.warning(
                    "Stream has no ephemeral message updates here; streaming with persistent updates"
                )
            self.available = False


ephemeral_support = _EphemeralSupport()


class StreamReplyWriter(ReplyWriter):
    """Streams one assistant reply into its Stream channel.

    Budget: a 10-second reply costs at most placeholder + thinking + generating + 40
    partials + final + clear = 45 calls. Partials go out at most every 250 ms (4 per
    second, under the 5/s we allow ourselves), because Stream's Update Message limit
    (1,000/min) is shared by every reply of the app.
    """

    PARTIAL_INTERVAL = 0.25
    # Checking the stop flag costs a cache read; a few times a second is plenty.
    STOP_CHECK_INTERVAL = 0.2

    def __init__(self, conversation: Conversation, reply: Message) -> None:
        self.reply_id = reply.pk
        # Our id of the shopper message this answers: the widget's retry re-sends it.
        self.reply_to = reply.reply_to_id
        self.language = conversation.language
        self.ids: stream.ChannelIds = stream.ids_for(conversation)
        self.message_id = stream.message_id_for(self.ids.channel_id, f"reply-{reply.pk}")
        self._parts: list[str] = []
        self._shown = ""  # the text (and attachments) the last partial update showed
        self._shown_attachments: list[dict[str, Any]] = []
        self._products: list[dict[str, Any]] = []
        self._options: list[QuickReplyOption] = []
        self._handoff = False
        self._state = ""
        self._next_partial_at = 0.0
        self._stop_checked_at = float("-inf")
        self._stopped = False
        self._use_ephemeral = ephemeral_support.available
        self._placeholder_ok = False
        self._closed = False

        if reply.engine_message_id != self.message_id:
            Message.objects.filter(pk=reply.pk).update(engine_message_id=self.message_id)
            reply.engine_message_id = self.message_id
        try:
            self.ids = stream.ensure_conversation(conversation)
            self._placeholder_ok = self._post_placeholder()
        except stream.StreamError as exc:
            # No exception out of open_reply: the pipeline would then fail the reply
            # without a writer and Stream would show nothing. finish()/fail() post the
            # whole message instead.
            logger.warning(
                "Reply %s: no placeholder in Stream (%s); the final message will be posted whole",
                reply.pk,
                exc,
            )

    # ---------------------------------------------------------------- the seam

    def thinking(self) -> None:
        self._set_state(AI_STATE_THINKING)
        self._maybe_flush()

    def delta(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        if self._state != AI_STATE_GENERATING:
            self._set_state(AI_STATE_GENERATING)
            # The generating event was a call too: the first partial waits its turn.
            self._next_partial_at = max(
                self._next_partial_at, stream.clock.monotonic() + self.PARTIAL_INTERVAL
            )
            return
        self._maybe_flush()

    def products(self, cards: Sequence[ProductCard]) -> None:
        self._products = [product_attachment(card) for card in cards]
        self._maybe_flush()

    def quick_replies(self, options: Sequence[QuickReplyOption]) -> None:
        self._options = list(options)
        self._maybe_flush()

    def handoff(self, reason: str) -> None:
        self._handoff = True

    def finish(self, final: FinalReply, *, stopped: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        text = "".join(self._parts) if stopped else final.text
        products = [product_attachment(card) for card in final.products] if final.products else self._products
        options = list(final.quick_replies) or self._options
        fields: dict[str, Any] = {
            "text": text,
            "generating": False,
            "attachments": self._attachments(products, options),
        }
        if stopped:
            fields["stopped"] = True
        if final.handoff or self._handoff:
            fields["handoff"] = True
        try:
            self._persist(fields)
        except stream.StreamError:
            # Nothing more we can write into the message: at least turn the indicator
            # into an error so the shopper is not left watching "generating".
            self._send_state(AI_STATE_ERROR, attempts=2)
            raise
        self._send_event({"type": "ai_indicator.clear"}, attempts=2)

    def fail(self, visible_text: str, *, retryable: bool, code: str) -> None:
        if self._closed:
            return
        self._closed = True
        fields = {
            "text": visible_text,
            "generating": False,
            "attachments": [],
            "ai_error": code,
            "retryable": retryable,
        }
        try:
            self._persist(fields)
        except stream.StreamError as exc:
            logger.warning("Reply %s: could not write the failure text into Stream: %s", self.reply_id, exc)
        self._send_state(AI_STATE_ERROR, attempts=2, ai_message=visible_text)

    @property
    def stop_requested(self) -> bool:
        if self._stopped:
            return True
        now = stream.clock.monotonic()
        if now - self._stop_checked_at >= self.STOP_CHECK_INTERVAL:
            self._stop_checked_at = now
            from ...stop import stop_requested

            self._stopped = stop_requested(self.reply_id)
        return self._stopped

    # ---------------------------------------------------------------- internals

    def _post_placeholder(self) -> bool:
        message = {
            "id": self.message_id,
            "text": "",
            "ai_generated": True,
            "generating": True,
            # Lets the widget call our stop route with the id it knows.
            "chatbot_message_id": self.reply_id,
            "reply_to": self.reply_to,
        }
        stream.send_message(self.ids.channel_id, message, self.ids.assistant_id)
        return True

    def _attachments(
        self, products: list[dict[str, Any]], options: list[QuickReplyOption]
    ) -> list[dict[str, Any]]:
        attachments = list(products)
        if options:
            attachments.append(quick_replies_attachment(options))
        return attachments

    def _set_state(self, state: str) -> None:
        if state == self._state or self._closed:
            return
        self._state = state
        self._send_state(state, attempts=1)

    def _send_state(self, state: str, *, attempts: int, **extra: Any) -> None:
        event = {"type": "ai_indicator.update", "ai_state": state, "message_id": self.message_id, **extra}
        self._send_event(event, attempts=attempts)

    def _send_event(self, event: dict[str, Any], *, attempts: int) -> None:
        # Indicator events are decoration: losing one must not fail the reply.
        try:
            stream.send_event(self.ids.channel_id, event, self.ids.assistant_id, attempts=attempts)
        except stream.StreamError as exc:
            logger.info("Reply %s: Stream event %s not sent: %s", self.reply_id, event["type"], exc)

    def _maybe_flush(self) -> None:
        if not self._placeholder_ok or self._closed:
            return
        now = stream.clock.monotonic()
        if now < self._next_partial_at:
            return
        text = "".join(self._parts)
        attachments = self._attachments(self._products, self._options)
        if text == self._shown and attachments == self._shown_attachments:
            return
        fields: dict[str, Any] = {"text": text, "generating": True}
        if attachments:
            fields["attachments"] = attachments
        self._next_partial_at = now + self.PARTIAL_INTERVAL
        try:
            self._send_partial(fields)
        except (StreamAPIException, requests.ConnectionError, requests.Timeout, stream.StreamError) as exc:
            # A lost partial costs nothing (the next one carries all the text); wait as
            # long as Stream asks before the next.
            cause = exc.__cause__ if isinstance(exc, stream.StreamError) and exc.__cause__ else exc
            delay = stream.retry_delay(cause, 1) or self.PARTIAL_INTERVAL
            self._next_partial_at = now + max(self.PARTIAL_INTERVAL, delay)
            logger.info("Reply %s: partial update skipped: %s", self.reply_id, exc)
            return
        self._shown = text
        self._shown_attachments = attachments

    def _send_partial(self, fields: dict[str, Any]) -> None:
        if self._use_ephemeral:
            try:
                stream.update_message_ephemeral(self.message_id, fields, self.ids.assistant_id)
                return
            except StreamAPIException as exc:
                if exc.status_code not in (404, 405):
                    raise
                self._use_ephemeral = False
            stream.update_message(self.message_id, fields, self.ids.assistant_id, attempts=1)
            # The message exists (the persistent update found it): the 404 was the route.
            ephemeral_support.disable()
            return
        stream.update_message(self.message_id, fields, self.ids.assistant_id, attempts=1)

    def _persist(self, fields: dict[str, Any]) -> None:
        """The one persistent write of the reply's outcome, with bounded retries."""
        if self._placeholder_ok:
            stream.update_message(self.message_id, fields, self.ids.assistant_id)
            return
        message = {
            "id": self.message_id,
            "ai_generated": True,
            "chatbot_message_id": self.reply_id,
            "reply_to": self.reply_to,
            **fields,
        }
        if not stream.send_message(self.ids.channel_id, message, self.ids.assistant_id):
            # The placeholder did arrive after all (its answer was lost): update it.
            stream.update_message(self.message_id, fields, self.ids.assistant_id)


class StreamEngine(ChatEngine):
    name = "stream"

    def session_payload(self, conversation: Conversation, shopper: Shopper) -> dict[str, Any]:
        ids = stream.ensure_conversation(conversation, shopper.display_name)
        client = stream.get_client()
        now = int(stream.clock.time())
        expires_at = now + int(conf.get("CHATBOT_TOKEN_TTL"))
        payload: dict[str, Any] = {
            "token": client.create_token(ids.shopper_id, exp=expires_at, iat=now - TOKEN_CLOCK_SKEW),
            "apiKey": client.api_key,
            "userId": ids.shopper_id,
            "userName": shopper.display_name or conversation.display_name or shopper.chat_user_id,
            "engine": self.name,
            "channel": {"type": stream.CHANNEL_TYPE, "id": ids.channel_id},
            "assistantUserId": ids.assistant_id,
            "expiresAt": expires_at,
        }
        base_url = str(conf.get("STREAM_CHAT_BASE_URL") or "").rstrip("/")
        if base_url:
            payload["baseUrl"] = base_url
        return payload

    def deliver_shopper_message(self, conversation: Conversation, message: Message) -> None:
        ids = stream.ensure_conversation(conversation)
        local_id = message.client_message_id or f"m{message.pk}"
        message_id = message.engine_message_id or stream.message_id_for(ids.channel_id, local_id)
        if message.engine_message_id != message_id:
            # Stored before the send, so a webhook racing the send's answer already
            # recognises the message as ours.
            Message.objects.filter(pk=message.pk).update(engine_message_id=message_id)
            message.engine_message_id = message_id
        payload: dict[str, Any] = {"id": message_id, "text": message.text, "chatbot_message_id": message.pk}
        if message.client_message_id:
            payload["client_message_id"] = message.client_message_id
        stream.send_message(ids.channel_id, payload, ids.shopper_id)

    def deliver_message(self, conversation: Conversation, message: Message) -> None:
        ids = stream.ensure_conversation(conversation)
        message_id = message.engine_message_id or stream.message_id_for(ids.channel_id, f"m{message.pk}")
        if message.engine_message_id != message_id:
            Message.objects.filter(pk=message.pk).update(engine_message_id=message_id)
            message.engine_message_id = message_id
        payload: dict[str, Any] = {
            "id": message_id,
            "text": message.text,
            # Staff and system notices have no Stream user of their own; the assistant
            # posts them and the widget labels them by this field.
            "chatbot_role": message.role,
            "chatbot_message_id": message.pk,
        }
        if message.handoff:
            payload["handoff"] = True
        if message.notice:
            payload["chatbot_notice"] = message.notice  # the widget's footer and email form
        stream.send_message(ids.channel_id, payload, ids.assistant_id)

    def open_reply(self, conversation: Conversation, reply: Message) -> ReplyWriter:
        return StreamReplyWriter(conversation, reply)

    def export_conversation(self, conversation: Conversation) -> Any:
        return stream.export_channel(stream.channel_id_for(conversation))

    def delete_conversation(self, conversation: Conversation, *, last_of_shopper: bool) -> None:
        stream.delete_channel(stream.channel_id_for(conversation))
        stream.forget_conversation(conversation)
        if last_of_shopper:
            # Their messages in any channel go too; the shop's assistant user stays.
            stream.delete_user(stream.shopper_user_id(conversation.chat_user_id))
