"""``POST /api/chatbot/webhooks/stream``: events Stream Chat sends us.

Stream signs the raw body (``X-Signature``: hex HMAC-SHA256 with the API secret, over the
uncompressed bytes), retries with the same ``X-Webhook-Id`` and gives up after 6 s. So:
verify, deduplicate, answer at once, and do the work in a background job.

- ``message.new`` from a shopper that did not come through our message route (typed
  straight into Stream) enters the reply pipeline with ``deliver=False``;
- ``ai_indicator.stop`` (the stop button, a channel event) stops the streaming reply.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import zlib
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ... import conf, jobs, jsonbody
from ...exceptions import error_body
from ...models import Conversation, Message, WebhookDelivery
from . import client as stream

logger = logging.getLogger("chatbot")

HANDLED_EVENTS = frozenset({"message.new", "ai_indicator.stop"})
# Stream's events are small (≤ 50 members listed); anything this big is not one of them,
# and a gzip bomb must not inflate past it.
MAX_BODY_BYTES = 2 * 1024 * 1024


class InvalidBody(ValueError):
    pass


def _inflate(raw: bytes) -> bytes:
    """The uncompressed body. Decided by the gzip magic bytes rather than by
    ``Content-Encoding``: a proxy may already have inflated the body and kept the header."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise InvalidBody("The gzip body could not be decompressed.") from exc
    if len(body) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise InvalidBody("The body is too large.")
    return body


def signature_valid(body: bytes, signature: str, secret: str) -> bool:
    if not signature or not secret:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


@csrf_exempt  # Stream cannot send our CSRF token; the HMAC signature authenticates it.
def stream_webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Stream webhooks are POSTed.")
        response["Allow"] = "POST"
        return response
    secret = str(conf.get("STREAM_CHAT_API_SECRET") or "")
    if not secret:
        return _error(404, "stream_disabled", "Stream Chat is not configured on this site.")
    try:
        raw = request.body
    except RequestDataTooBig:
        return _error(413, "too_large", "Webhook body too large.")
    if len(raw) > MAX_BODY_BYTES:
        return _error(413, "too_large", "Webhook body too large.")
    try:
        body = _inflate(raw)
    except InvalidBody as exc:
        return _error(400, "invalid_request", str(exc))
    if not signature_valid(body, request.headers.get("X-Signature", ""), secret):
        return _error(
            401, "invalid_signature", "X-Signature does not match the body signed with the API secret."
        )
    try:
        event = jsonbody.loads(body)
    except jsonbody.InvalidJSON as exc:
        return _error(400, "invalid_json", str(exc))
    if not isinstance(event, dict):
        return _error(400, "invalid_request", "The body is not a JSON object.")
    # PostgreSQL cannot store NUL in text; Stream relays whatever a client typed. The
    # character carries nothing a shopper meant, so it goes rather than the message.
    event = jsonbody.without_nul(event)

    event_type = str(event.get("type") or "")
    if event_type not in HANDLED_EVENTS:
        # Typing, reads, reactions…: not ours to act on, and not worth a row.
        return JsonResponse({"status": "ignored", "type": event_type})
    if not (conf.get("CHATBOT_ENABLED") and conf.stream_enabled()):
        return JsonResponse({"status": "ignored", "reason": "chat_disabled"})

    webhook_id = request.headers.get("X-Webhook-Id", "").strip()[:100]
    if webhook_id:
        _, created = WebhookDelivery.objects.get_or_create(
            webhook_id=webhook_id, defaults={"event_type": event_type[:60]}
        )
        if not created:
            return JsonResponse({"status": "duplicate"})
    jobs.submit_after_commit(handle_event, event)
    return JsonResponse({"status": "accepted"})


# ---------------------------------------------------------------- the work, after the answer


def handle_event(event: dict[str, Any]) -> None:
    event_type = event.get("type")
    if event_type == "message.new":
        handle_message_new(event)
    elif event_type == "ai_indicator.stop":
        handle_stop(event)


def _object(value: Any) -> dict[str, Any]:
    """A field that should be a JSON object, or ``{}``: the body is signed by Stream, but
    its shape is still checked at every level rather than trusted (a crash here would
    lose the event)."""
    return value if isinstance(value, dict) else {}


def _sender(event: dict[str, Any]) -> dict[str, Any]:
    message = _object(event.get("message"))
    return _object(message.get("user")) or _object(event.get("user"))


def _channel_id(event: dict[str, Any]) -> str:
    channel_id = event.get("channel_id")
    if not channel_id and isinstance(event.get("cid"), str) and ":" in event["cid"]:
        channel_id = event["cid"].split(":", 1)[1]
    return str(channel_id or "")


def conversation_for_event(event: dict[str, Any]) -> Conversation | None:
    if event.get("channel_type", stream.CHANNEL_TYPE) != stream.CHANNEL_TYPE:
        return None
    channel_id = _channel_id(event)
    if not channel_id:
        return None
    from ...conversations import conversation_for_channel

    conversation = conversation_for_channel(channel_id)
    if conversation is not None:
        return conversation
    # The Stream id had to be hashed (unusual shop or user ids): the shopper's raw id
    # travels on their Stream user, and the channel id is recomputed to be sure.
    chat_user_id = _sender(event).get("chat_user_id")
    if not chat_user_id:
        return None
    for candidate in Conversation.objects.filter(chat_user_id=str(chat_user_id)[:64]):
        if stream.channel_id_for(candidate) == channel_id:
            return candidate
    return None


def handle_message_new(event: dict[str, Any]) -> None:
    message = event.get("message") or {}
    if not isinstance(message, dict):
        return
    sender_id = str(_sender(event).get("id") or "")
    if not sender_id or stream.is_assistant_user_id(sender_id) or message.get("ai_generated"):
        return  # our own assistant: answering it would loop
    if message.get("type", "regular") != "regular" or message.get("parent_id"):
        return  # system/ephemeral/error messages and thread replies are not questions
    text = message.get("text")
    text = text.strip() if isinstance(text, str) else ""
    message_id = str(message.get("id") or "")
    if not text or not message_id:
        return
    conversation = conversation_for_event(event)
    if conversation is None:
        logger.info("Stream message %s: no conversation for channel %s", message_id, _channel_id(event))
        return
    if sender_id != stream.shopper_user_id(conversation.chat_user_id):
        # Someone else in the channel (a moderator in Stream's dashboard): not a question
        # for the assistant.
        return
    client_message_id = str(message.get("client_message_id") or message_id)[:64]
    known = Message.objects.filter(conversation=conversation).filter(
        Q(engine_message_id=message_id) | Q(client_message_id=client_message_id)
    )
    if known.exists():
        return  # came through our message route, already stored and answered
    max_chars = int(conf.get("CHATBOT_MAX_MESSAGE_CHARS"))
    from ... import pipeline

    pipeline.receive_shopper_message(
        conversation, text[:max_chars], client_message_id, deliver=False, engine_message_id=message_id[:80]
    )


def handle_stop(event: dict[str, Any]) -> None:
    conversation = conversation_for_event(event)
    if conversation is None:
        return
    replies = Message.objects.filter(conversation=conversation, role=Message.Role.ASSISTANT)
    message_id = event.get("message_id") or _object(event.get("message")).get("id")
    if message_id:
        reply = replies.filter(engine_message_id=str(message_id)).first()
    else:
        # Stream's own stopAIResponse() names no message: stop whatever is streaming.
        reply = (
            replies.filter(status__in=[Message.Status.PENDING, Message.Status.STREAMING])
            .order_by("-created_at", "-id")
            .first()
        )
    if reply is None:
        return
    from ... import pipeline

    pipeline.request_stop(reply.pk)
