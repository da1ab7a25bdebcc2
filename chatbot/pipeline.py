"""The reply pipeline: one path from a shopper's message to an answer, for every engine
and every assistant.

1. ``receive_shopper_message`` stores the message (idempotent by ``clientMessageId``)
   before the route answers 202, hands it to the engine and schedules a reply job.
2. ``run_reply`` (a task on the process's reply loop, ``chatbot.runtime``) runs the shop's
   assistant and streams its events into the engine's reply writer; the text reaches the
   shopper per delta and the database at checkpoints (``chatbot.leases``) and at the end.
   A failure ends in a visible ``failed`` message with a fallback text, which the shopper
   can retry; a shutdown past its grace period in ``interrupted`` with the text shown —
   never in silence.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import activity, leases, runtime, stop
from .adapters import get_adapter
from .assistants import assistant_for_shop
from .assistants.base import AssistantContext, AssistantError
from .engines import get_engine
from .engines.base import ReplyWriter
from .inbox import states
from .models import Conversation, Message
from .offloop import in_thread
from .shops import shop_info
from .stop import request_stop, stop_requested
from .vocabulary import (
    ChatTurn,
    FinalReply,
    HandoffRequested,
    ProductCard,
    ProductCards,
    QuickReplies,
    QuickReplyOption,
    Shopper,
    TextDelta,
    Thinking,
    quick_replies_json,
)

__all__ = ["receive_shopper_message", "request_stop", "retry_reply", "run_reply", "stop_requested"]

logger = logging.getLogger("chatbot.pipeline")

# The streamed text is checkpointed this often (chatbot.leases writes it in batches), so an
# interrupted reply keeps what was shown.
CHECKPOINT_SECONDS = 2.0
HISTORY_TURNS = 12
# After a hand-off the assistant stays quiet so a person can answer; if nobody has after
# this long, it takes the conversation back.
HANDOFF_PAUSE = dt.timedelta(minutes=30)

FALLBACK_TEXT = {
    "en": "Sorry, I couldn't answer just now. Please try again in a moment, or ask for a person.",
    "zh": "抱歉，我暂时无法回答。请稍后重试，或输入“转人工”联系客服。",
}
HANDOFF_NOTICE = {
    "en": "A person from our team will take over here. The assistant is paused until then.",
    "zh": "已为您转接人工客服，智能助手暂停回复。",
}
HANDOFF_PAUSED_TEXT = {
    "en": "Thanks — your message is with our team. A person will reply here.",
    "zh": "已收到，客服人员会在这里回复您。",
}


def _lang_key(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


def receive_shopper_message(
    conversation: Conversation,
    text: str,
    client_message_id: str,
    *,
    deliver: bool = True,
    engine_message_id: str = "",
    action: dict[str, Any] | None = None,
) -> tuple[Message, Message | None, bool]:
    """Store the shopper's message once and start its reply.

    Returns ``(message, reply, started)``: ``started`` is true when this call stored the
    message or started a new reply. Sending the same ``client_message_id`` again returns
    the stored message; if its reply had failed, a new reply job starts — that is the
    widget's retry.
    """
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                role=Message.Role.SHOPPER,
                text=text,
                status=Message.Status.RECEIVED,
                client_message_id=client_message_id,
                engine_message_id=engine_message_id,
                action=action,
            )
    except IntegrityError:
        message = Message.objects.get(conversation=conversation, client_message_id=client_message_id)
        reply = message.replies.select_related("conversation").order_by("-created_at", "-id").first()
        if reply is not None and leases.lapsed(reply):
            leases.interrupt(reply)  # its process died: do not wait for the sweep
            reply.refresh_from_db()
        if reply is not None and reply.status in (Message.Status.FAILED, Message.Status.INTERRUPTED):
            return message, retry_reply(message), True
        return message, reply, False

    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    if deliver:
        try:
            get_engine().deliver_shopper_message(conversation, message)
        except Exception:
            # The message is stored: the shopper sees it in history; the reply still runs.
            logger.exception("Could not deliver message %s to the engine", message.pk)

    states.reopen_if_closed(conversation)
    if _assistant_paused(conversation):
        notice = _paused_notice(conversation, message)
        return message, notice, True

    reply = _new_reply(conversation, message)
    return message, reply, True


def _assistant_paused(conversation: Conversation) -> bool:
    if conversation.handoff_at is None:
        return False
    last_staff = (
        conversation.messages.filter(role=Message.Role.STAFF)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    last_activity = max(conversation.handoff_at, last_staff) if last_staff else conversation.handoff_at
    if timezone.now() - last_activity > HANDOFF_PAUSE:
        states.pause_expired(conversation)
        return False
    return True


def _paused_notice(conversation: Conversation, message: Message) -> Message | None:
    """While handed off, acknowledge once per shopper burst so nobody talks to a wall."""
    last = conversation.messages.exclude(pk=message.pk).order_by("-created_at", "-id").first()
    # An acknowledgement answers a shopper message (reply_to); a state notice does not.
    if last is not None and last.role == Message.Role.SYSTEM and last.reply_to_id is not None:
        return None
    notice = Message.objects.create(
        conversation=conversation,
        role=Message.Role.SYSTEM,
        text=HANDOFF_PAUSED_TEXT[_lang_key(conversation.language)],
        status=Message.Status.DONE,
        reply_to=message,
        handoff=True,
    )
    get_engine().deliver_message(conversation, notice)
    return notice


def _new_reply(conversation: Conversation, message: Message) -> Message:
    reply = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        reply_to=message,
        # Queued in this process: its lease keeper keeps it alive until the job runs.
        lease_owner=leases.owner(),
        lease_until=leases.lease_until(),
    )
    runtime.submit_after_commit(run_reply, reply.pk)
    return reply


def retry_reply(message: Message) -> Message:
    return _new_reply(message.conversation, message)


def _history(conversation: Conversation, before: Message) -> list[ChatTurn]:
    rows = (
        conversation.messages.filter(created_at__lt=before.created_at)
        .exclude(status__in=[Message.Status.FAILED, Message.Status.PENDING, Message.Status.INTERRUPTED])
        .exclude(text="")
        .order_by("-created_at", "-id")[:HISTORY_TURNS]
    )
    return [ChatTurn(role=m.role, text=m.text) for m in reversed(list(rows))]  # type: ignore[arg-type]


def build_context(conversation: Conversation, message: Message) -> AssistantContext:
    shop = shop_info(conversation.shop_id)
    if shop is None:
        raise AssistantError(f"Unknown shop {conversation.shop_id!r}", retryable=False, code="unknown_shop")
    shopper = Shopper(
        chat_user_id=conversation.chat_user_id,
        display_name=conversation.display_name,
        customer_ref=conversation.customer_ref,
        language=conversation.language,
    )
    return AssistantContext(
        shop=shop,
        shopper=shopper,
        message=message.text,
        adapter=get_adapter(),
        history=_history(conversation, message),
        language=conversation.language or shop.language,
        conversation_id=str(conversation.pk),
        state=dict(conversation.assistant_state or {}),
        action=message.action,
    )


class _Say:
    """The engine's reply writer as the pipeline calls it from the loop: a writer that
    never blocks (the local engine's: a hub hand-over) is called directly; any other
    (Stream's REST calls) runs on the shared pool, one call at a time, in order."""

    def __init__(self, writer: ReplyWriter) -> None:
        self.writer = writer
        self.direct = not getattr(writer, "blocking", True)

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> None:
        call = getattr(self.writer, method)
        if self.direct:
            call(*args, **kwargs)
        else:
            await in_thread(call, *args, **kwargs)


def _load_pending(reply_id: int) -> Message | None:
    reply = Message.objects.select_related("conversation", "reply_to").filter(pk=reply_id).first()
    if reply is None or reply.status != Message.Status.PENDING or reply.reply_to is None:
        return None
    return reply


async def run_reply(reply_id: int) -> None:
    """Run the assistant for one pending reply and stream it into the engine: a task on
    the process's reply loop (``chatbot.runtime``); whatever blocks goes to the pool."""
    reply = await in_thread(_load_pending, reply_id)
    if reply is None:
        return
    conversation = reply.conversation
    language = _lang_key(conversation.language)
    engine = get_engine()
    try:
        writer = await in_thread(engine.open_reply, conversation, reply)
    except Exception:
        logger.exception("Engine could not open reply %s", reply_id)
        await in_thread(_mark_failed, reply, FALLBACK_TEXT[language], "engine_error")
        return

    if not await in_thread(_claim, reply):
        return  # another run took it, or it was interrupted while queued
    reply.status = Message.Status.STREAMING
    say = _Say(writer)
    # The hot path: a writer that never blocks takes each delta as a plain call, without
    # a coroutine per delta.
    delta_now = writer.delta if say.direct else None
    checkpointed = time.monotonic()
    parts: list[str] = []
    cards: tuple[ProductCard, ...] = ()
    options: tuple[QuickReplyOption, ...] = ()
    handoff = False
    final: FinalReply | None = None
    stopped = False
    context: AssistantContext | None = None

    def stop_pressed() -> bool:
        # The one stop mechanism, free per delta: this process's set, refreshed from the
        # shared cache for every running reply at once (chatbot.stop).
        return stop.stopped_here(reply_id)

    try:
        await say("thinking")
        context = await in_thread(build_context, conversation, reply.reply_to)
        context.stop_requested = stop_pressed
        assistant = await in_thread(assistant_for_shop, conversation.shop_id)
        events = assistant.areply(context)
        try:
            async for event in events:
                if stop_pressed():
                    stopped = True
                    break
                if isinstance(event, TextDelta):
                    if event.text:
                        parts.append(event.text)
                        if delta_now is not None:
                            delta_now(event.text)
                        else:
                            await say("delta", event.text)
                        if time.monotonic() - checkpointed >= CHECKPOINT_SECONDS:
                            # What the shopper saw survives a crash (and the lease is renewed).
                            checkpointed = time.monotonic()
                            await _checkpoint(reply.pk, "".join(parts))
                elif isinstance(event, ProductCards):
                    cards = event.products
                    await say("products", cards)
                elif isinstance(event, QuickReplies):
                    options = event.options
                    await say("quick_replies", options)
                elif isinstance(event, HandoffRequested):
                    handoff = True
                    # The assistant's reason is for logs; the shopper gets the shop's notice.
                    logger.info("Reply %s hands over to a person: %s", reply_id, event.reason)
                    notice = await in_thread(handoff_notice, conversation.shop_id, language)
                    await say("handoff", notice)
                elif isinstance(event, Thinking):
                    await say("thinking")
                elif isinstance(event, FinalReply):
                    final = event
        finally:
            # Stopped, failed, done or cancelled: the assistant's generator ends now, so
            # its cleanup (closing an upstream stream, cancelling a remote chat) runs at once.
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()
        if final is None:
            if not stopped:
                raise AssistantError("The assistant ended without a final reply.", code="no_reply")
            final = FinalReply(text="".join(parts), products=cards, quick_replies=options, handoff=handoff)
    except asyncio.CancelledError:
        # The process is shutting down and the grace period is over (chatbot.lifecycle):
        # keep what the shopper saw, and say so on every stream watching, here or elsewhere.
        await _give_up(reply, say, "".join(parts), language)
        raise
    except Exception as exc:
        code = exc.code if isinstance(exc, AssistantError) else "internal_error"
        retryable = exc.retryable if isinstance(exc, AssistantError) else True
        logger.warning(
            "Reply %s failed (%s): %s", reply_id, code, exc, exc_info=not isinstance(exc, AssistantError)
        )
        if context is not None:
            await in_thread(_save_state, conversation, context)
        await in_thread(_mark_failed, reply, FALLBACK_TEXT[language], code)
        try:
            await say("fail", reply.text, retryable=retryable, code=code)
        except Exception:
            logger.exception("Engine could not show the failure of reply %s", reply_id)
        return

    reply.text = final.text if not stopped else "".join(parts)
    reply.intent = final.intent
    reply.products = [card.as_dict() for card in (final.products or cards)]
    reply.quick_replies = quick_replies_json(final.quick_replies or options)
    reply.handoff = final.handoff or handoff
    reply.declined = final.declined
    reply.status = Message.Status.STOPPED if stopped else Message.Status.DONE
    await in_thread(_save_finished, reply, conversation, context)
    try:
        await say("finish", final, stopped=stopped)
    except Exception:
        logger.exception("Engine could not finish reply %s", reply_id)
    if reply.handoff:
        # After the reply's own end, so the notice (hours, wait or the email form) follows it.
        await in_thread(states.hand_off, conversation)


# A returning visitor's page connects before the chat is opened only while a reply is in
# flight (or after a hand-off): chatbot.activity, read by the widget tag.
ACTIVE_SECONDS = 600


def _claim(reply: Message) -> bool:
    """One pool call for the reply's start: its lease, its stop flag, its activity mark."""
    if not leases.claim(reply.pk):
        return False
    stop.arm(reply.pk)
    activity.mark_active(reply.conversation, ACTIVE_SECONDS)
    return True


async def _checkpoint(reply_id: int, text: str) -> None:
    if leases.checkpoint_is_free():
        leases.checkpoint(reply_id, text)  # queued for the keeper's batched write
    else:
        await in_thread(leases.checkpoint, reply_id, text)  # no keeper (inline): write now


async def _give_up(reply: Message, say: _Say, text: str, language: str) -> None:
    try:
        ended = await in_thread(leases.interrupt_own, reply.pk, text, language)
        if ended is not None:
            reply.text, reply.status = ended.text, ended.status
            await say("fail", ended.text, retryable=True, code="interrupted")
    except Exception:
        # The lease lapses and the sweep on another process interrupts it instead.
        logger.exception("Could not mark reply %s interrupted at shutdown", reply.pk)


def _save_finished(reply: Message, conversation: Conversation, context: AssistantContext | None) -> None:
    leases.forget(reply.pk)
    reply.lease_owner, reply.lease_until = "", None
    reply.save(
        update_fields=[
            "text",
            "intent",
            "products",
            "quick_replies",
            "handoff",
            "declined",
            "status",
            "lease_owner",
            "lease_until",
            "updated_at",
        ]
    )
    if context is not None:
        _save_state(conversation, context)
    activity.clear_active(conversation)


def handoff_notice(shop_id: str, language: str) -> str:
    # The hours and the expected wait follow in the hand-off's own system message
    # (chatbot.inbox.states.hand_off); this note under the reply says only what happens.
    return HANDOFF_NOTICE[language]


def _save_state(conversation: Conversation, context: AssistantContext) -> None:
    if context.state != (conversation.assistant_state or {}):
        Conversation.objects.filter(pk=conversation.pk).update(assistant_state=context.state)
        conversation.assistant_state = context.state


def _mark_failed(reply: Message, text: str, code: str) -> None:
    leases.forget(reply.pk)
    activity.clear_active(reply.conversation)
    reply.text = text
    reply.status = Message.Status.FAILED
    reply.error_code = code[:40]
    reply.lease_owner, reply.lease_until = "", None
    reply.save(update_fields=["text", "status", "error_code", "lease_owner", "lease_until", "updated_at"])
