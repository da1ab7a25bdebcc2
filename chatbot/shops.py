"""The shop a chat request belongs to, and its public facts, through the cache."""

from __future__ import annotations

from django.http import HttpRequest

from . import conf, nearcache
from .adapters import ShopInfo, get_adapter

_CACHE_SECONDS = 60


def shop_info(shop_id: str) -> ShopInfo | None:
    if "\x00" in shop_id:
        return None  # no shop has one, and PostgreSQL refuses to compare text with NUL
    key = f"chatbot:shop-info:v1:{shop_id}"
    info = nearcache.get(key)
    if info is None:
        info = get_adapter().get_shop(shop_id)
        # Unknown shops are cached too (as False) so a bad id cannot cost a query each time.
        nearcache.set(key, info if info is not None else False, _CACHE_SECONDS)
    return info or None


def shop_id_for_request(request: HttpRequest, explicit: str | None = None) -> str:
    """Explicit ``shop`` from the widget, else the host site's resolution, else the
    ``CHATBOT_SHOP_ID`` default."""
    if explicit:
        return str(explicit)[:50]
    return get_adapter().resolve_shop_id(request) or str(conf.get("CHATBOT_SHOP_ID"))
