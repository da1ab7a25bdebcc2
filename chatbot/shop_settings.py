"""Per-shop chat settings, read through the cache so a page costs no query once warm."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ShopChatSettings

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


def _key(shop_id: str) -> str:
    return f"chatbot:shop-settings:v1:{shop_id}"


def settings_for_shop(shop_id: str) -> ShopChat:
    cached = cache.get(_key(shop_id))
    if cached is not None:
        return cached
    row = ShopChatSettings.objects.filter(shop_id=shop_id).first()
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
        )
        if row
        else ShopChat(shop_id=shop_id)
    )
    cache.set(_key(shop_id), value, _CACHE_SECONDS)
    return value


@receiver([post_save, post_delete], sender=ShopChatSettings)
def _forget(sender: type[ShopChatSettings], instance: ShopChatSettings, **kwargs: object) -> None:
    cache.delete(_key(instance.shop_id))
