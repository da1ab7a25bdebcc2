"""Finding a shopper's conversation."""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Conversation
from .vocabulary import Shopper


def conversation_for(
    shop_id: str, shopper: Shopper, *, create: bool = True, before_create: Callable[[], None] | None = None
) -> Conversation | None:
    """The shopper's conversation in this shop; made if missing and ``create``.
    ``before_create`` runs only when one must be made (a limit may refuse by raising)."""
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
    if before_create is not None:
        before_create()
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


def _ref_key(shop_id: str, chat_user_id: str) -> str:
    return f"chatbot:conversation-ref:v1:{shop_id}:{chat_user_id}"


def conversation_ref_for(
    shop_id: str, shopper: Shopper, *, before_create: Callable[[], None] | None = None
) -> Conversation:
    """The shopper's conversation for its ids only (pk, channel), from the cache: the token
    route runs on every page that opens the chat and needs no fresh row. Anything that
    reads state (hand-off, assistant memory) uses ``conversation_for``.

    ``before_create`` runs only when the conversation must be created (a limit may refuse)."""
    key = _ref_key(shop_id, shopper.chat_user_id)
    conversation = cache.get(key)
    if conversation is None or conversation.display_name != shopper.display_name:
        conversation = conversation_for(shop_id, shopper, before_create=before_create)
        assert conversation is not None
        cache.set(key, conversation, 300)
    return conversation


def forget_ref(shop_id: str, chat_user_id: str) -> None:
    """The cached reference is wrong once the conversation is re-keyed or deleted."""
    cache.delete(_ref_key(shop_id, chat_user_id))


@receiver(post_delete, sender=Conversation)
def _forget_ref(sender: type[Conversation], instance: Conversation, **kwargs: object) -> None:
    forget_ref(instance.shop_id, instance.chat_user_id)


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
