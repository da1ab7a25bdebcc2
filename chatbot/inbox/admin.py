"""The staff inbox in Django admin: conversations by state with their last message, waiting
time and unread count; a conversation page (transcript oldest first, the reply box below
it, the customer and their recent orders, internal notes, canned replies) that updates
itself from a staff-only JSON route while open.

Every query goes through ``access.restrict``: staff see and answer only their shops'
conversations. Every text a shopper, assistant or staff member wrote is rendered escaped
(templates) or as ``textContent`` (inbox.js); nothing here marks text safe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..adapters import get_adapter
from ..admin_numbers import delete_shopper_data, export_shopper_data
from ..models import CannedReply, Conversation, Message, StaffNote
from . import access, states

LIVE_SECONDS = 3  # how often an open conversation page asks for news
MAX_REPLY_CHARS = 4000


class ShopFilter(admin.SimpleListFilter):
    """By shop, offering only the shops this staff member may open."""

    title = _("shop")
    parameter_name = "shop"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        shops = access.allowed_shops(request.user)
        try:
            known = {s.id: s.name for s in get_adapter().list_shops()}
        except Exception:
            known = {}
        ids = sorted(known if shops is None else shops)
        return [(i, known.get(i, i)) for i in ids]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(shop_id=self.value()) if self.value() else queryset


def waiting_count(user: Any) -> int:
    return access.restrict(Conversation.objects.filter(state=Conversation.State.WAITING), user).count()


def _unread_filter() -> Q:
    shopper = Q(messages__role=Message.Role.SHOPPER)
    return shopper & (Q(staff_read_at__isnull=True) | Q(messages__created_at__gt=F("staff_read_at")))


def inbox_queryset(user: Any) -> QuerySet[Conversation]:
    # What someone said last (system notices are the chat's own words).
    last = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(text="")
        .exclude(role=Message.Role.SYSTEM)
        .order_by("-created_at", "-id")
    )
    return access.restrict(Conversation.objects.all(), user).annotate(
        last_text=Subquery(last.values("text")[:1]),
        last_role=Subquery(last.values("role")[:1]),
        unread=Count("messages", filter=_unread_filter()),
    )


class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "state_shown",
        "shopper",
        "shop_id",
        "last_message",
        "waiting",
        "unread_shown",
        "updated_at",
    ]
    list_display_links = ["shopper"]
    list_filter = ["state", ShopFilter]
    search_fields = ["display_name", "chat_user_id", "customer_ref", "contact_email", "messages__text"]
    list_per_page = 50
    ordering = ["-updated_at"]
    # A shopper's data (chatbot.admin_numbers): they act on the selected rows of this
    # list, whose queryset holds only the user's shops, so another shop's cannot be chosen.
    actions = [export_shopper_data, delete_shopper_data]

    class Media:
        css = {"all": ["chatbot/admin/inbox.css"]}

    # ------------------------------------------------------------------ the list

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return inbox_queryset(request.user)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        found, _duplicates = super().get_search_results(request, queryset, search_term)
        return found.distinct(), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # conversations start in the widget

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, obj: Conversation) -> str:
        return format_html('<span class="cb-state cb-{}">{}</span>', obj.state, obj.get_state_display())

    @admin.display(description=_("shopper"), ordering="display_name")
    def shopper(self, obj: Conversation) -> str:
        return obj.display_name or _("Guest %(id)s") % {"id": obj.chat_user_id[-4:]}

    @admin.display(description=_("last message"))
    def last_message(self, obj: Conversation) -> str:
        text = (getattr(obj, "last_text", "") or "").replace("\n", " ")
        return text[:80] + ("…" if len(text) > 80 else "")

    @admin.display(description=_("waiting"), ordering="handoff_at")
    def waiting(self, obj: Conversation) -> str:
        if obj.state != Conversation.State.WAITING or obj.handoff_at is None:
            return "—"
        return timesince(obj.handoff_at)

    @admin.display(description=_("unread"), ordering="unread")
    def unread_shown(self, obj: Conversation) -> str:
        n = getattr(obj, "unread", 0)
        return format_html('<span class="cb-unread">{}</span>', n) if n else "0"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        n = waiting_count(request.user)
        title = ngettext(
            "Conversations — %(n)d waiting for staff", "Conversations — %(n)d waiting for staff", n
        ) % {"n": n}
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    # ------------------------------------------------------------------ the conversation page

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<int:pk>/live/", self.admin_site.admin_view(self.live_view), name=f"{info[0]}_{info[1]}_live"
            ),
        ]
        return own + super().get_urls()

    def _conversation(self, request: HttpRequest, pk: Any) -> Conversation:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Another shop's conversation is "not found", exactly like one that does not exist.
        return get_object_or_404(access.restrict(Conversation.objects.all(), request.user), pk=pk)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            conversation = self._conversation(request, int(object_id))
        except ValueError:
            raise Http404 from None
        if request.method == "POST":
            return self._act(request, conversation)
        states.mark_read(conversation)
        page = self._page(request, conversation)
        return TemplateResponse(request, "admin/chatbot/conversation/inbox.html", page)

    def _act(self, request: HttpRequest, conversation: Conversation) -> HttpResponse:
        if not self.has_change_permission(request, conversation):
            raise PermissionDenied
        action = request.POST.get("action", "")
        text = (request.POST.get("text") or "").strip()[:MAX_REPLY_CHARS]
        if action == "reply" and text:
            states.staff_reply(conversation, text)
            self.message_user(request, _("Reply sent."), messages.SUCCESS)
        elif action == "note" and text:
            author = request.user if request.user.is_authenticated else None
            StaffNote.objects.create(conversation=conversation, author=author, text=text)
            self.message_user(request, _("Note saved (staff only)."), messages.SUCCESS)
        elif action == "take":
            states.take_over(conversation)
            self.message_user(request, _("You took over this conversation."), messages.SUCCESS)
        elif action == "handback":
            states.hand_back(conversation)
            self.message_user(request, _("The assistant answers this conversation again."), messages.SUCCESS)
        elif action == "close":
            states.close(conversation)
            self.message_user(request, _("Conversation closed."), messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing to send."), messages.WARNING)
        return HttpResponseRedirect(request.path)

    def _page(self, request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
        adapter = get_adapter()
        customer = orders = None
        if conversation.customer_ref:
            try:
                customer = adapter.describe_customer(conversation.customer_ref)
                orders = adapter.recent_orders(conversation.shop_id, conversation.customer_ref, limit=5)
            except NotImplementedError:
                pass
        transcript = list(conversation.messages.order_by("created_at", "id"))
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(conversation),
            "conversation": conversation,
            "transcript": [message_row(m) for m in transcript],
            "after": _after(transcript),
            "notes": [note_row(n) for n in conversation.staff_notes.select_related("author")],
            "customer": customer,
            "orders": orders or [],
            "canned": CannedReply.objects.filter(shop_id=conversation.shop_id),
            "live_url": reverse("admin:chatbot_conversation_live", args=[conversation.pk]),
            "live_seconds": LIVE_SECONDS,
            "can_change": self.has_change_permission(request, conversation),
            "State": Conversation.State,
            "max_chars": MAX_REPLY_CHARS,
        }

    def live_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        """``GET …/conversation/<pk>/live/?after=<id>``: what changed since the page's
        last look (staff only, same shop check as the page)."""
        try:
            conversation = self._conversation(request, pk)
        except (PermissionDenied, Http404):
            return JsonResponse(
                {"error": {"code": "not_found", "message": "No such conversation."}}, status=404
            )
        try:
            after = int(request.GET.get("after", 0))
        except ValueError:
            return JsonResponse(
                {"error": {"code": "invalid_request", "message": "after must be a whole number."}}, status=400
            )
        rows = list(conversation.messages.filter(pk__gt=after).order_by("created_at", "id"))
        if any(m.role == Message.Role.SHOPPER for m in rows):
            states.mark_read(conversation)  # the page is open: staff see them now
        return JsonResponse(
            {
                "state": conversation.state,
                "stateLabel": str(conversation.get_state_display()),
                "messages": [message_row(m) for m in rows],
                "after": _after(rows, after),
                "notes": [note_row(n) for n in conversation.staff_notes.select_related("author")],
                "contactEmail": conversation.contact_email,
            },
            headers={"Cache-Control": "no-store"},
        )


def _after(rows: list[Message], default: int = 0) -> int:
    """The id up to which every message is final: the next look starts after it, so a
    reply still streaming is fetched again until it is done."""
    after = default
    for m in rows:
        if m.status in (Message.Status.PENDING, Message.Status.STREAMING):
            break
        after = m.pk
    return after


ROLE_LABELS: dict[str, Any] = {
    Message.Role.SHOPPER: _("Shopper"),
    Message.Role.ASSISTANT: _("Assistant"),
    Message.Role.STAFF: _("Staff"),
    Message.Role.SYSTEM: _("System"),
}


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def message_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "role": m.role,
        "roleLabel": str(ROLE_LABELS.get(m.role, m.role)),
        "text": m.text,
        "status": m.status,
        "at": _when(m.created_at),
    }


def note_row(n: StaffNote) -> dict[str, Any]:
    return {"id": n.pk, "text": n.text, "author": str(n.author or ""), "at": _when(n.created_at)}


class CannedReplyForm(forms.ModelForm):
    shop_id = forms.ChoiceField(label=_("shop"))

    class Meta:
        model = CannedReply
        fields = ["shop_id", "title", "text"]


class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    list_display = ["title", "shop_id"]
    list_filter = [ShopFilter]
    search_fields = ["title", "text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CannedReply]:
        return access.restrict(super().get_queryset(request), request.user)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["shop_id"].choices = shop_choices(request.user)  # type: ignore[attr-defined]
        return form


def shop_choices(user: Any, exclude: set[str] | None = None) -> list[tuple[str, str]]:
    allowed = access.allowed_shops(user)
    return [
        (s.id, f"{s.name} ({s.id})")
        for s in get_adapter().list_shops()
        if (allowed is None or s.id in allowed) and s.id not in (exclude or set())
    ]


class StaffShopAccessForm(forms.ModelForm):
    shop_id = forms.ChoiceField(label=_("shop"))


class StaffShopAccessAdmin(admin.ModelAdmin):
    form = StaffShopAccessForm
    list_display = ["user", "shop_id"]
    list_filter = ["shop_id"]
    search_fields = ["user__username", "user__email"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["shop_id"].choices = shop_choices(request.user)  # type: ignore[attr-defined]
        return form

    # Who may see which shop is the superuser's call: a shop's staff cannot widen it.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)
