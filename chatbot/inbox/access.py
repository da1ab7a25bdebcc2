"""Which shops a staff user may see and answer: superusers all, anyone else only the shops
listed for them in ``StaffShopAccess`` (edited in admin). Every inbox query and every
staff route goes through ``allowed_shops``, so one shop's staff never see another's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import StaffShopAccess


def allowed_shops(user: Any) -> set[str] | None:
    """None means every shop (a superuser); otherwise the shop ids the user may open."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return set()
    if user.is_superuser:
        return None
    return set(StaffShopAccess.objects.filter(user=user).values_list("shop_id", flat=True))


def restrict(queryset: QuerySet[Any], user: Any, field: str = "shop_id") -> QuerySet[Any]:
    shops = allowed_shops(user)
    return queryset if shops is None else queryset.filter(**{f"{field}__in": shops})


def may_open(user: Any, shop_id: str) -> bool:
    shops = allowed_shops(user)
    return shops is None or shop_id in shops
