"""Admin: per-shop chat settings, and the staff inbox (``chatbot.inbox.admin``): the
conversations a person reads and answers, canned replies, and who may see which shop;
the shop's numbers, ratings and a shopper's data (``chatbot.admin_numbers``).

Every text a shopper or assistant wrote is shown escaped (Django's default); nothing here
marks message text safe.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import admin_numbers  # noqa: F401  (registers the Numbers page and the ratings)
from .gateway import admin as gateway_admin  # noqa: F401  (registers GatewayShop)
from .inbox import access
from .inbox.admin import CannedReplyAdmin, ConversationAdmin, StaffShopAccessAdmin, shop_choices
from .models import CannedReply, Conversation, ShopChatSettings, StaffShopAccess
from .shop_settings import add_missing_settings

admin.site.register(Conversation, ConversationAdmin)
admin.site.register(CannedReply, CannedReplyAdmin)
admin.site.register(StaffShopAccess, StaffShopAccessAdmin)


class ShopChatSettingsForm(forms.ModelForm):
    class Meta:
        model = ShopChatSettings
        fields = [
            "shop_id",
            "enabled",
            "assistant",
            "coze_bot_id",
            "welcome_message",
            "button_color",
            "position",
            "business_hours",
            "timezone",
            "expected_wait_minutes",
            "staff_email",
        ]


@admin.register(ShopChatSettings)
class ShopChatSettingsAdmin(admin.ModelAdmin):
    form = ShopChatSettingsForm
    list_display = ["shop_id", "enabled", "assistant", "business_hours", "staff_email", "updated_at"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "assistant"]
    search_fields = ["shop_id"]
    actions = ["add_missing"]
    fieldsets = [
        (None, {"fields": ["shop_id", "enabled", "assistant", "coze_bot_id"]}),
        (_("Widget"), {"fields": ["welcome_message", "button_color", "position"]}),
        (
            _("People and hand-off"),
            {"fields": ["business_hours", "timezone", "expected_wait_minutes", "staff_email"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShopChatSettings]:
        return access.restrict(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["shop_id"] if obj is not None else []  # a row's shop never changes

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "shop_id" in form.base_fields:
            # Offer the shops the adapter knows that have no settings yet: nobody types a slug.
            have = set(ShopChatSettings.objects.values_list("shop_id", flat=True))
            form.base_fields["shop_id"] = forms.ChoiceField(
                label=_("shop"), choices=shop_choices(request.user, exclude=have)
            )
        return form

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Every shop the adapter lists gets its row on sight, with the defaults.
        if request.method == "GET" and self.has_add_permission(request):
            add_missing_settings()
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Add settings for shops that have none"))
    def add_missing(self, request: HttpRequest, queryset: QuerySet[ShopChatSettings]) -> None:
        added = add_missing_settings()
        self.message_user(
            request,
            ngettext("Added settings for %(n)d shop.", "Added settings for %(n)d shops.", len(added))
            % {"n": len(added)},
            messages.SUCCESS,
        )
