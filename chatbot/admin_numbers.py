"""Admin pages of the shop's data: the Numbers page (per shop, last N days; figures from
``chatbot.stats``, chart from ``chatbot.charts``), the ratings list, and one shopper's
data (export as JSON, deletion) by customer email or from selected conversations.

Staff see and act on their own shops only (``chatbot.inbox.access``, as the inbox):
another shop is missing from every menu, its numbers are "not found", its shopper data
cannot be chosen, and the conversation actions only ever receive the inbox's own shops'
conversations (its queryset is restricted).

Shopper texts (the unanswered questions, rating comments) are rendered by Django's
templates, escaped.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from . import shopper_data, stats
from .adapters import get_adapter
from .charts import conversations_chart
from .exceptions import VendorError
from .inbox import access
from .models import Conversation, ConversationRating, ShopNumbers

DAY_CHOICES = (7, 14, 30, 90)


def _shop_ids(user: Any) -> list[str]:
    """The shops this user may see numbers and shopper data of (superusers: all known)."""
    try:
        known = list(get_adapter().list_shop_ids())
    except Exception:  # the host's adapter may not list shops: the conversations still do
        known = []
    shops = set(known) | set(stats.known_shop_ids())
    allowed = access.allowed_shops(user)
    return sorted(shops if allowed is None else shops & allowed)


def _actor(request: HttpRequest) -> str:
    user = request.user
    return f"admin:{user.get_username()}" if user.is_authenticated else "admin"


@admin.register(ShopNumbers)
class ShopNumbersAdmin(admin.ModelAdmin):
    """The Numbers page replaces the list: nothing here is added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShopNumbers]:
        # Only Django's read-only object page would use it: still only the user's shops.
        return access.restrict(super().get_queryset(request), request.user)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("shopper-data/", view(self.shopper_data_view), name="chatbot_shopper_data"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        shops = _shop_ids(request.user)
        shop_id = request.GET.get("shop") or (shops[0] if shops else "")
        if shop_id and not access.may_open(request.user, shop_id):
            raise Http404("No such shop.")  # another shop's numbers: as if it did not exist
        try:
            days = int(request.GET.get("days", 30))
        except ValueError:
            days = 30
        days = days if days in DAY_CHOICES else 30
        numbers = stats.shop_numbers(shop_id, days) if shop_id else None
        chart = (
            conversations_chart(
                numbers.per_day,
                title=str(_("Conversations and hand-offs per day")),
                legend=(str(_("Conversations")), str(_("Hand-offs"))),
            )
            if numbers
            else ""
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Numbers"),
            "opts": self.model._meta,
            "shops": shops,
            "shop_id": shop_id,
            "days": days,
            "day_choices": DAY_CHOICES,
            "numbers": numbers,
            "chart": chart,
            "unanswered_listed": stats.UNANSWERED_LISTED,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/chatbot/numbers.html", context)

    def shopper_data_view(self, request: HttpRequest) -> HttpResponse:
        """One shopper by email (or chat user id) in one shop: export or delete."""
        if not request.user.has_perm("chatbot.delete_conversation"):
            return HttpResponseRedirect(reverse("admin:index"))
        form = ShopperDataForm(request.POST or None, shops=_shop_ids(request.user))
        found: list[Conversation] | None = None
        if request.method == "POST" and form.is_valid():
            shop_id = form.cleaned_data["shop"]
            try:
                chat_user = form.chat_user_id()
            except shopper_data.ShopperNotFound as exc:
                form.add_error("email", str(exc))
            else:
                found = list(shopper_data.conversations_of(shop_id, chat_user))
                action = request.POST.get("do")
                if action == "export" and found:
                    return export_response(found, _actor(request), f"{shop_id}-{chat_user}")
                if action == "delete" and found and request.POST.get("confirm"):
                    return delete_and_report(self, request, found, reverse("admin:chatbot_shopper_data"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Shopper data"),
            "opts": self.model._meta,
            "form": form,
            "found": found,
        }
        return TemplateResponse(request, "admin/chatbot/shopper_data.html", context)


class ShopperDataForm(forms.Form):
    shop = forms.ChoiceField(label=_("Shop"))
    email = forms.EmailField(label=_("Customer email"), required=False)
    chat_user = forms.CharField(label=_("or chat user id"), required=False, max_length=64)

    def __init__(self, *args: Any, shops: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [(s, s) for s in shops]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("chat_user"):
            raise forms.ValidationError(_("Give the customer's email or a chat user id."))
        return data

    def chat_user_id(self) -> str:
        if self.cleaned_data.get("email"):
            return shopper_data.chat_user_for_email(self.cleaned_data["email"])
        return str(self.cleaned_data["chat_user"]).strip()


def export_response(conversations: list[Conversation], actor: str, name: str) -> HttpResponse:
    data = shopper_data.export(conversations, actor=actor)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="chat-{name[:80]}.json"'
    return response


def delete_and_report(
    model_admin: admin.ModelAdmin, request: HttpRequest, conversations: list[Conversation], back: str
) -> HttpResponse:
    try:
        counts = shopper_data.delete(conversations, actor=_actor(request))
    except VendorError as exc:
        model_admin.message_user(request, _("Nothing deleted: %(e)s") % {"e": exc}, messages.ERROR)
    else:
        model_admin.message_user(request, _("Deleted %(c)s.") % {"c": counts}, messages.SUCCESS)
    return HttpResponseRedirect(back)


def _any_selected(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> bool:
    """The list's queryset holds only the user's shops: ids of another shop's conversations
    posted by hand leave it empty. Say so rather than export an empty file."""
    if queryset.exists():
        return True
    model_admin.message_user(
        request, _("None of the selected conversations is yours to open."), messages.WARNING
    )
    return False


@admin.action(description=_("Export the selected shoppers' conversations (JSON)"), permissions=["view"])
def export_shopper_data(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Conversation]
) -> HttpResponse | None:
    if not _any_selected(model_admin, request, queryset):
        return None
    return export_response(list(queryset.order_by("created_at", "id")), _actor(request), "selected")


@admin.action(
    description=_("Delete the selected conversations everywhere (shopper data)"), permissions=["delete"]
)
def delete_shopper_data(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Conversation]
) -> HttpResponse | None:
    if not _any_selected(model_admin, request, queryset):
        return None
    conversations = list(queryset.order_by("created_at", "id"))
    if request.POST.get("confirm") != "yes":
        # As Django's own delete action: a page that says what goes, then one more click.
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Delete these conversations everywhere?"),
            "opts": model_admin.model._meta,
            "conversations": conversations,
            "counts": shopper_data.count(conversations),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/chatbot/confirm_shopper_delete.html", context)
    return delete_and_report(
        model_admin, request, conversations, reverse("admin:chatbot_conversation_changelist")
    )


class RatingShopFilter(admin.SimpleListFilter):
    """By the rated conversation's shop, offering only the shops this user may see (the
    plain field filter would list every shop that has conversations)."""

    title = _("shop")
    parameter_name = "shop"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(s, s) for s in _shop_ids(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(conversation__shop_id=self.value()) if self.value() else queryset


@admin.register(ConversationRating)
class ConversationRatingAdmin(admin.ModelAdmin):
    list_display = ["created_at", "conversation", "score", "comment"]
    list_filter = ["score", RatingShopFilter]
    search_fields = ["comment"]
    readonly_fields = ["conversation", "score", "comment", "created_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConversationRating]:
        return access.restrict(super().get_queryset(request), request.user, "conversation__shop_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
