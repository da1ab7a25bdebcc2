"""Admin: per-shop chat settings, and conversations a person can read and answer.

Every text a shopper or assistant wrote is shown escaped (Django's default); nothing here
marks message text safe.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import activity
from .admin_numbers import delete_shopper_data, export_shopper_data
from .engines import get_engine
from .gateway import admin as gateway_admin  # noqa: F401  (registers GatewayShop)
from .models import Conversation, Message, ShopChatSettings


@admin.register(ShopChatSettings)
class ShopChatSettingsAdmin(admin.ModelAdmin):
    list_display = ["shop_id", "enabled", "assistant", "button_color", "position", "updated_at"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "assistant"]
    search_fields = ["shop_id"]


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "conversation"
    extra = 0
    can_delete = False
    fields = ("created_at", "role", "status", "text", "intent", "handoff")
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConversationForm(forms.ModelForm):
    staff_reply = forms.CharField(
        label=_("Reply as staff"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the shopper right away; the assistant stays paused while you talk."),
    )

    class Meta:
        model = Conversation
        fields = ["handoff_at"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    form = ConversationForm
    list_display = ["shop_id", "display_name", "updated_at", "handoff_at"]
    list_filter = ["shop_id", ("handoff_at", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "chat_user_id", "messages__text"]
    readonly_fields = ["shop_id", "chat_user_id", "display_name", "language", "created_at", "updated_at"]
    inlines = [MessageInline]
    actions = ["resume_assistant", export_shopper_data, delete_shopper_data]

    def save_model(self, request: HttpRequest, obj: Conversation, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        text = (form.cleaned_data.get("staff_reply") or "").strip()
        if text:
            message = Message.objects.create(
                conversation=obj, role=Message.Role.STAFF, text=text, status=Message.Status.DONE
            )
            get_engine().deliver_message(obj, message)
            activity.handed_off(obj)  # the shopper's other pages connect, for the badge
            self.message_user(request, _("Reply sent."), messages.SUCCESS)

    @admin.action(description=_("Resume the assistant (end the hand-off)"))
    def resume_assistant(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        updated = queryset.update(handoff_at=None)
        self.message_user(request, _("Assistant resumed in %(n)d conversation(s).") % {"n": updated})
