"""Per-shop chat settings, read through the cache so a page costs no query once warm.

Every shop the adapter knows gets its settings row on first use (the widget's page, the
first chat request) or when admin lists the settings: nobody types a shop's slug.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import nearcache
from .models import ShopChatSettings

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ShopChat:
    shop_id: str
    enabled: bool = True
    assistant: str = ""
    coze_bot_id: str = ""
    welcome_message: str = ""
    button_color: str = "#E53935"
    position: str = "bottom-right"
    business_hours: str = ""
    timezone: str = "UTC"
    expected_wait_minutes: int = 10
    staff_email: str = ""


def _key(shop_id: str) -> str:
    return f"chatbot:shop-settings:v2:{shop_id}"


def _known_shop(shop_id: str) -> bool:
    from .shops import shop_info  # the adapter's answer, cached

    try:
        return shop_info(shop_id) is not None
    except Exception:  # an adapter that cannot answer must not break the page
        logger.warning("chatbot: could not ask the adapter about shop %r", shop_id, exc_info=True)
        return False


def _create(shop_id: str) -> ShopChatSettings:
    try:
        with transaction.atomic():
            return ShopChatSettings.objects.create(shop_id=shop_id)
    except IntegrityError:  # two first requests at once
        return ShopChatSettings.objects.get(shop_id=shop_id)


def settings_for_shop(shop_id: str) -> ShopChat:
    cached = nearcache.get(_key(shop_id))
    if cached is not None:
        return cached
    row = ShopChatSettings.objects.filter(shop_id=shop_id).first()
    if row is None and shop_id and _known_shop(shop_id):
        row = _create(shop_id)
    value = (
        ShopChat(
            shop_id=shop_id,
            enabled=row.enabled,
            assistant=row.assistant,
            coze_bot_id=row.coze_bot_id,
            welcome_message=row.welcome_message,
            button_color=row.button_color,
            position=row.position,
            business_hours=row.business_hours,
            timezone=row.timezone,
            expected_wait_minutes=row.expected_wait_minutes,
            staff_email=row.staff_email,
        )
        if row
        else ShopChat(shop_id=shop_id)
    )
    nearcache.set(_key(shop_id), value, _CACHE_SECONDS)
    return value


def add_missing_settings() -> list[str]:
    """A settings row for every shop the adapter lists that has none; returns their ids."""
    from .adapters import get_adapter

    have = set(ShopChatSettings.objects.values_list("shop_id", flat=True))
    added = []
    for shop in get_adapter().list_shops():
        if shop.id not in have:
            _create(shop.id)
            added.append(shop.id)
    return added


@receiver([post_save, post_delete], sender=ShopChatSettings)
def _forget(sender: type[ShopChatSettings], instance: ShopChatSettings, **kwargs: object) -> None:
    nearcache.forget(_key(instance.shop_id))
