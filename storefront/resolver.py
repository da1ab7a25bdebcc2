"""Which shop a request belongs to — the one resolver every part of the site uses.

Order: the request's host matches ``Shop.domain``; else a ``/s/<slug>/`` URL prefix; else
the ``CHATBOT_SHOP_ID`` setting. Shops are looked up through the cache, so resolving costs
no query once warm.
"""

from __future__ import annotations

import copy
import re

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from chatbot import nearcache

from .models import Shop

PREFIX_RE = re.compile(r"^/s/(?P<slug>[-a-zA-Z0-9_]+)(?:/|$)")
_CACHE_KEY = "storefront:shops:v1"
_CACHE_SECONDS = 300


def _shop_index() -> dict[str, dict[str, int]]:
    """``{"by_domain": {host: pk}, "by_slug": {slug: pk}}``, cached."""
    index = nearcache.get(_CACHE_KEY)
    if index is None:
        rows = list(Shop.objects.values_list("pk", "slug", "domain"))
        index = {
            "by_domain": {domain: pk for pk, _slug, domain in rows if domain},
            "by_slug": {slug: pk for pk, slug, _domain in rows},
        }
        nearcache.set(_CACHE_KEY, index, _CACHE_SECONDS)
    return index


def _shop_by_pk(pk: int) -> Shop | None:
    key = f"storefront:shop:{pk}"
    shop = nearcache.get(key)
    if shop is None:
        shop = Shop.objects.filter(pk=pk).first()
        if shop is not None:
            nearcache.set(key, shop, _CACHE_SECONDS)
    # The near copy is shared by the process's requests: each gets its own instance.
    return copy.copy(shop) if shop is not None else None


def shop_by_slug(slug: str) -> Shop | None:
    pk = _shop_index()["by_slug"].get(slug)
    return _shop_by_pk(pk) if pk is not None else None


def resolve_shop(request: HttpRequest) -> Shop | None:
    index = _shop_index()
    host = request.get_host().split(":")[0].lower() if request.META.get("HTTP_HOST") else ""
    pk = index["by_domain"].get(host) if host else None
    if pk is None:
        match = PREFIX_RE.match(request.path_info)
        if match:
            pk = index["by_slug"].get(match.group("slug"))
    if pk is None:
        pk = index["by_slug"].get(getattr(settings, "CHATBOT_SHOP_ID", "demo"))
    return _shop_by_pk(pk) if pk is not None else None


@receiver([post_save, post_delete], sender=Shop)
def _forget_shops(sender: type[Shop], instance: Shop, **kwargs: object) -> None:
    nearcache.forget(_CACHE_KEY, f"storefront:shop:{instance.pk}")
