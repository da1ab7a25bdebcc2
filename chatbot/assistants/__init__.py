"""Assistants: one module per provider, each exporting one ``ShopAssistant`` subclass.

``get_assistant(name)`` imports by dotted path (no registry to maintain beyond this map,
django-anymail style); ``assistant_name_for_shop`` applies the per-shop admin override,
then ``CHATBOT_ASSISTANT`` (``auto`` rules in ``chatbot.conf``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

from ..exceptions import ChatbotImproperlyConfigured

if TYPE_CHECKING:
    from .base import ShopAssistant

ASSISTANT_CLASSES = {
    "local": "chatbot.assistants.local.LocalShopAssistant",
    "coze": "chatbot.assistants.coze.CozeAssistant",
    "openai": "chatbot.assistants.openai.OpenAIAssistant",
    "gateway": "chatbot.assistants.gateway.GatewayAssistant",
}


def get_assistant(name: str, **options: object) -> ShopAssistant:
    """By short name, or by the dotted path of any ``ShopAssistant`` subclass (a host's
    own assistant, or a test double)."""
    if "." in name:
        return import_string(name)(**options)
    try:
        path = ASSISTANT_CLASSES[name]
    except KeyError:
        raise ChatbotImproperlyConfigured(
            f"Unknown assistant {name!r}; choose one of {', '.join(sorted(ASSISTANT_CLASSES))}."
        ) from None
    return import_string(path)(**options)


def assistant_name_for_shop(shop_id: str) -> str:
    from .. import conf
    from ..shop_settings import settings_for_shop

    override = settings_for_shop(shop_id).assistant
    return override or conf.default_assistant_name()


def assistant_for_shop(shop_id: str) -> ShopAssistant:
    from ..shop_settings import settings_for_shop

    name = assistant_name_for_shop(shop_id)
    options: dict[str, object] = {}
    bot_id = settings_for_shop(shop_id).coze_bot_id
    if name == "coze" and bot_id:
        options["bot_id"] = bot_id
    return get_assistant(name, **options)
