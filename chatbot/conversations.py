"""Finding a shopper's conversation."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .assistants.base import Shopper
from .models import Conversation


def conversation_for(shop_id: str, shopper: Shopper, *, create: bool = True) -> Conversation | None:
    conversation = Conversation.objects.filter(shop_id=shop_id, chat_user_id=shopper.chat_user_id).first()
    if conversation is not None or not create:
        if (
            conversation is not None
            and shopper.display_name
            and conversation.display_name != shopper.display_name
        ):
            Conversation.objects.filter(pk=conversation.pk).update(display_name=shopper.display_name)
            conversation.display_name = shopper.display_name
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                shop_id=shop_id,
                chat_user_id=shopper.chat_user_id,
                customer_ref=shopper.customer_ref,
                display_name=shopper.display_name,
                language=shopper.language,
            )
    except IntegrityError:  # two first messages at once: the other request created it
        return Conversation.objects.get(shop_id=shop_id, chat_user_id=shopper.chat_user_id)


def conversation_for_channel(channel_id: str) -> Conversation | None:
    """The conversation behind an engine channel id (``Conversation.channel_id``)."""
    # Shop ids may contain dashes themselves, so try each split and match the computed id.
    for conversation in Conversation.objects.filter(chat_user_id__in=_suffixes(channel_id)):
        if conversation.channel_id == channel_id:
            return conversation
    return None


def _suffixes(channel_id: str) -> list[str]:
    parts = channel_id.split("-")
    return ["-".join(parts[i:]) for i in range(1, len(parts))]
