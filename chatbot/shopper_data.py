"""One shopper's data: export it (JSON) or delete it, per shop — for the admin's actions
and ``manage.py chatbot_shopper_data``.

A shopper is found by chat user id, or by a customer's email through the shop adapter
(``find_customer``; the chat id is derived from the customer ref as everywhere else,
``chatbot.identity``). The app's database holds the conversations, messages and ratings;
the engine may hold a copy too (Stream: the channel and the shopper's user), which the
engine seam exports and erases (``ChatEngine.export_conversation`` /
``delete_conversation``).

Every export and deletion is logged on the ``chatbot.shopper_data`` logger: shop, chat
user, counts and who asked — never a message's text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .adapters import get_adapter
from .engines import engine_name, get_engine
from .identity import customer_chat_id
from .models import Conversation, ConversationRating, Message

logger = logging.getLogger("chatbot.shopper_data")


class ShopperNotFound(LookupError):
    """No customer with that email (the adapter knows none)."""


def chat_user_for_email(email: str) -> str:
    found = get_adapter().find_customer(email.strip())
    if found is None:
        raise ShopperNotFound(f"No customer with the email {email!r}.")
    return customer_chat_id(found[0])


def conversations_of(shop_id: str, chat_user_id: str) -> QuerySet[Conversation]:
    return Conversation.objects.filter(shop_id=shop_id, chat_user_id=chat_user_id).order_by(
        "created_at", "id"
    )


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def message_record(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "role": message.role,
        "text": message.text,
        "created_at": _when(message.created_at),
        "status": message.status,
        "intent": message.intent,
        "handoff": message.handoff,
        "notice": message.notice,
        "products": message.products,
        "reply_to": message.reply_to_id,
    }


def rating_record(rating: ConversationRating) -> dict[str, Any]:
    return {"score": rating.score, "comment": rating.comment, "created_at": _when(rating.created_at)}


def conversation_record(conversation: Conversation, *, with_engine: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": conversation.pk,
        "shop": conversation.shop_id,
        "chat_user_id": conversation.chat_user_id,
        "customer_ref": conversation.customer_ref,
        "display_name": conversation.display_name,
        "language": conversation.language,
        "channel": conversation.channel_id,
        "created_at": _when(conversation.created_at),
        "handed_over_at": _when(conversation.handoff_at),
        "state": conversation.state,
        # The address the shopper left for staff answers outside business hours.
        "contact_email": conversation.contact_email,
        "messages": [message_record(m) for m in conversation.messages.order_by("created_at", "id")],
        "ratings": [rating_record(r) for r in conversation.ratings.all()],
    }
    if with_engine:
        record["engine"] = {"name": engine_name(), "copy": get_engine().export_conversation(conversation)}
    return record


@dataclass(frozen=True)
class Counts:
    conversations: int
    messages: int
    ratings: int

    def __str__(self) -> str:
        return f"{self.conversations} conversation(s), {self.messages} message(s), {self.ratings} rating(s)"


def count(conversations: Iterable[Conversation]) -> Counts:
    """What deleting these would erase."""
    return _counts(conversations)


def _counts(conversations: Iterable[Conversation]) -> Counts:
    ids = [c.pk for c in conversations]
    return Counts(
        conversations=len(ids),
        messages=Message.objects.filter(conversation_id__in=ids).count(),
        ratings=ConversationRating.objects.filter(conversation_id__in=ids).count(),
    )


def export(conversations: Iterable[Conversation], *, actor: str) -> dict[str, Any]:
    """Everything stored about these conversations: every message (role, text, time,
    status), the ratings, and the engine's own copy."""
    conversations = list(conversations)
    data = {
        "exported_at": timezone.now().isoformat(),
        "conversations": [conversation_record(c) for c in conversations],
    }
    _log("export", _by_shopper(conversations), actor)
    return data


def delete(conversations: Iterable[Conversation], *, actor: str) -> Counts:
    """Erase these conversations: the engine's copy first (if that fails nothing local is
    lost, and it can be tried again), then the rows (messages and ratings cascade)."""
    conversations = list(conversations)
    counts = _counts(conversations)
    groups = _by_shopper(conversations)
    engine = get_engine()
    for conversation in conversations:
        others = (
            Conversation.objects.filter(chat_user_id=conversation.chat_user_id)
            .exclude(pk__in=[c.pk for c in conversations])
            .exists()
        )
        engine.delete_conversation(conversation, last_of_shopper=not others)
    with transaction.atomic():
        Conversation.objects.filter(pk__in=[c.pk for c in conversations]).delete()
    _log("delete", groups, actor)
    return counts


def _by_shopper(conversations: list[Conversation]) -> dict[tuple[str, str], Counts]:
    keys = sorted({(c.shop_id, c.chat_user_id) for c in conversations})
    return {key: _counts([c for c in conversations if (c.shop_id, c.chat_user_id) == key]) for key in keys}


def _log(action: str, groups: dict[tuple[str, str], Counts], actor: str) -> None:
    for (shop_id, chat_user_id), counts in groups.items():
        logger.info(
            "shopper data %s: shop=%s chat_user=%s conversations=%d messages=%d ratings=%d engine=%s by=%s",
            action,
            shop_id,
            chat_user_id,
            counts.conversations,
            counts.messages,
            counts.ratings,
            engine_name(),
            actor,
        )
    if not groups:
        logger.info("shopper data %s: nothing found, by=%s", action, actor)
