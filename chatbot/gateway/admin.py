"""Admin of ``GatewayShop``: secrets are write-only (a password box that never shows the
stored value; admin says only whether one is set and where), usage counters read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .. import conf
from . import secrets
from .models import GatewayShop

CLEAR = "-"
SECRET_HELP = _(
    "Currently: %(state)s. Type a new value to replace it (stored encrypted), env:NAME to read it "
    "from the environment variable NAME, or - to clear it; leave empty to keep it."
)


class GatewayShopForm(forms.ModelForm):
    class Meta:
        model = GatewayShop
        fields = [
            "shop_id",
            "name",
            "active",
            "rate_limit",
            "secret",
            "tool_secret",
            "allowed_origins",
            "assistant",
            "openai_base_url",
            "openai_model",
            "openai_api_key",
            "coze_api_base",
            "coze_bot_id",
            "coze_api_token",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in GatewayShop.SECRET_FIELDS:
            stored = getattr(self.instance, name, "") or ""
            self.fields[name] = forms.CharField(
                label=self.fields[name].label,
                required=False,
                strip=True,
                # render_value=False: the stored value (even encrypted) never reaches the page.
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=SECRET_HELP % {"state": secrets.describe(stored)},
            )
            self.initial[name] = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Keep what is stored unless something new was typed; seal what was.
        for name in GatewayShop.SECRET_FIELDS:
            typed = cleaned.get(name, "")
            if not typed:
                cleaned[name] = getattr(self.instance, name, "") or ""
            elif typed == CLEAR:
                cleaned[name] = ""
            else:
                try:
                    cleaned[name] = secrets.seal(typed)
                except ValueError as exc:
                    self.add_error(name, str(exc))
        return cleaned


@admin.register(GatewayShop)
class GatewayShopAdmin(admin.ModelAdmin):
    form = GatewayShopForm
    list_display = [
        "shop_id",
        "name",
        "active",
        "assistant",
        "rate_limit",
        "replies",
        "errors",
        "tokens",
        "last_used_at",
    ]
    list_filter = ["active", "assistant"]
    search_fields = ["shop_id", "name"]
    readonly_fields = ["replies", "errors", "tokens", "last_used_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["shop_id", "name", "active", "rate_limit"]}),
        (_("Signing"), {"fields": ["secret", "tool_secret", "allowed_origins"]}),
        (_("Assistant"), {"fields": ["assistant"]}),
        (_("OpenAI-compatible"), {"fields": ["openai_base_url", "openai_model", "openai_api_key"]}),
        (_("Coze"), {"fields": ["coze_api_base", "coze_bot_id", "coze_api_token"]}),
        (_("Usage"), {"fields": ["replies", "errors", "tokens", "last_used_at", "updated_at"]}),
    ]

    # Only a gateway has shops to serve: a shop's own admin does not show the section.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return conf.serves_gateway() and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return conf.serves_gateway() and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return conf.serves_gateway() and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return conf.serves_gateway() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return conf.serves_gateway() and super().has_delete_permission(request, obj)
