"""What the chatbot stores: per-shop settings, conversations and their messages.

Shops are referred to by their id (the host's slug) as plain strings, so the app does not
depend on the host's models.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .inbox.hours import validate_hours, validate_timezone

ASSISTANT_CHOICES = [
    ("", _("Site default (CHATBOT_ASSISTANT)")),
    ("local", _("Built-in shop assistant")),
    ("coze", _("Coze bot")),
    ("openai", _("OpenAI-compatible model")),
    ("gateway", _("Remote chatbot gateway")),
]


class ShopChatSettings(models.Model):
    """Per-shop chat settings, edited in Django admin; the environment gives defaults."""

    class Position(models.TextChoices):
        BOTTOM_RIGHT = "bottom-right", _("Bottom right")
        BOTTOM_LEFT = "bottom-left", _("Bottom left")

    shop_id = models.CharField(_("shop id"), max_length=50, unique=True)
    enabled = models.BooleanField(_("chat enabled"), default=True)
    assistant = models.CharField(_("assistant"), max_length=16, blank=True, choices=ASSISTANT_CHOICES)
    coze_bot_id = models.CharField(_("Coze bot id"), max_length=64, blank=True)
    welcome_message = models.CharField(_("welcome message"), max_length=300, blank=True)
    button_color = models.CharField(
        _("button colour"),
        max_length=7,
        default="#E53935",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("A hex colour such as #E53935."))],
    )
    position = models.CharField(
        _("position"), max_length=16, choices=Position.choices, default=Position.BOTTOM_RIGHT
    )
    business_hours = models.CharField(
        _("business hours"),
        max_length=120,
        blank=True,
        validators=[validate_hours],
        help_text=_(
            "When staff answer, in the shop's timezone, e.g. Mon-Fri 09:00-18:00; Sat 10:00-14:00. "
            "Outside these hours a shopper who asks for a person may leave an email address. "
            "Empty: staff are reachable at any time."
        ),
    )
    timezone = models.CharField(
        _("timezone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text=_("The timezone of the business hours, e.g. Europe/Berlin or Asia/Shanghai."),
    )
    # A per-shop promise rather than a computed figure: it is what the shop wants to say,
    # and a shop with few hand-offs has no meaningful average.
    expected_wait_minutes = models.PositiveSmallIntegerField(
        _("expected wait (minutes)"),
        default=10,
        help_text=_("Told to a shopper who asks for a person within business hours."),
    )
    staff_email = models.EmailField(
        _("staff notification email"),
        blank=True,
        help_text=_("Told once per hand-off when a shopper is waiting for a person. Empty: no email."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop chat settings")
        verbose_name_plural = _("shop chat settings")

    def __str__(self) -> str:
        return self.shop_id


class Conversation(models.Model):
    """One conversation per shop and shopper."""

    class State(models.TextChoices):
        # Kept consistent with ``handoff_at`` by chatbot.inbox.states (the only writer):
        # handoff_at is set exactly while the state is WAITING or STAFF.
        ASSISTANT = "assistant", _("Assistant")
        WAITING = "waiting", _("Waiting for staff")
        STAFF = "staff", _("With staff")
        CLOSED = "closed", _("Closed")

    shop_id = models.CharField(_("shop id"), max_length=50)
    chat_user_id = models.CharField(_("chat user id"), max_length=64)
    customer_ref = models.CharField(_("customer"), max_length=64, blank=True, null=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    # Assistant memory such as the Coze conversation id (see AssistantContext.state).
    assistant_state = models.JSONField(default=dict, blank=True)
    # Set when the shopper asked for a person; the assistant stays quiet until cleared.
    handoff_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ASSISTANT)
    # Left by the shopper in the widget when nobody was in; staff answers are emailed to it.
    contact_email = models.EmailField(_("shopper's email"), blank=True)
    # When staff last read or answered it: shopper messages after this are unread.
    staff_read_at = models.DateTimeField(_("read by staff at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["shop_id", "chat_user_id"], name="conversation_one_per_shop_and_shopper"
            ),
        ]
        indexes = [
            models.Index(fields=["shop_id", "-updated_at"]),
            models.Index(fields=["state", "shop_id"], name="conversation_state_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} · {self.display_name or self.chat_user_id}"

    @property
    def channel_id(self) -> str:
        """Deterministic channel id shared by every engine (Stream allows [a-z0-9_-], ≤64)."""
        return f"{self.shop_id}-{self.chat_user_id}"[:64]


class Message(models.Model):
    class Role(models.TextChoices):
        SHOPPER = "shopper", _("Shopper")
        ASSISTANT = "assistant", _("Assistant")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    class Notice(models.TextChoices):
        # System messages the widget acts on (its footer, the email form).
        NONE = "", _("None")
        HANDOFF = "handoff", _("Waiting for staff")
        AWAY = "away", _("Outside business hours")
        BACK = "back", _("The assistant is back")
        CLOSED = "closed", _("Closed by staff")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")  # a shopper's message, stored
        PENDING = "pending", _("Waiting for the assistant")
        STREAMING = "streaming", _("Streaming")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        STOPPED = "stopped", _("Stopped by the shopper")
        # Its process died or lost its lease mid-reply: the partial text stays, retryable.
        INTERRUPTED = "interrupted", _("Interrupted")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    client_message_id = models.CharField(_("client message id"), max_length=64, null=True, blank=True)
    # For an assistant message: the shopper message it answers.
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    products = models.JSONField(default=list, blank=True)
    quick_replies = models.JSONField(default=list, blank=True)
    # The quick-reply action a shopper's message was sent with (a tapped chip), if any.
    action = models.JSONField(null=True, blank=True)
    handoff = models.BooleanField(default=False)
    notice = models.CharField(_("notice"), max_length=10, choices=Notice.choices, blank=True, default="")
    # For an assistant reply: it said it could not answer (no matching product, nothing in
    # the shop's information, off topic). The shop's numbers list these questions.
    declined = models.BooleanField(default=False)
    error_code = models.CharField(max_length=40, blank=True)
    # The id this message has on a remote engine (Stream), to update it in place.
    engine_message_id = models.CharField(max_length=80, blank=True)
    # A reply being written has an owner (one process) whose lease it keeps renewing; a
    # reply whose lease lapsed is interrupted by whichever process sweeps first.
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_message_id"],
                name="message_client_id_unique_per_conversation",
            ),
        ]
        # The site-wide ceiling on replies in flight counts by these on every message.
        indexes = [models.Index(fields=["status", "updated_at"], name="message_status_updated")]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class ConversationRating(models.Model):
    """A shopper's rating of a conversation (CSAT), given in the widget once it ended.

    One conversation can be rated again after a later exchange ends, so each rating is a
    row; the numbers count every rating."""

    # The usual CSAT scale: 1 (very unsatisfied) to 5 (very satisfied); 4 and 5 count as
    # satisfied ("percentage positive").
    MIN_SCORE, MAX_SCORE, POSITIVE_FROM = 1, 5, 4

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(MIN_SCORE), MaxValueValidator(MAX_SCORE)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.conversation} · {self.score}/{self.MAX_SCORE}"

    @property
    def positive(self) -> bool:
        return self.score >= self.POSITIVE_FROM


class ShopNumbers(Conversation):
    """No data of its own: gives the admin's Numbers page (``chatbot.admin_numbers``) its
    place in the admin index and its view permission."""

    class Meta:
        proxy = True
        verbose_name = _("numbers")
        verbose_name_plural = _("numbers")


class WebhookDelivery(models.Model):
    """Webhook ids already handled, so a retried delivery is processed once."""

    webhook_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=60, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_type or 'webhook'} {self.webhook_id}"


class StaffNote(models.Model):
    """An internal note on a conversation: for staff only, never shown to the shopper and
    never sent to any engine."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="staff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return self.text[:40]


class CannedReply(models.Model):
    """A ready answer staff insert into the reply box, per shop."""

    shop_id = models.CharField(_("shop id"), max_length=50, db_index=True)
    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["shop_id", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return f"{self.shop_id} · {self.title}"


class StaffShopAccess(models.Model):
    """Which shops' conversations a staff user may see and answer (superusers: all)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_shops")
    shop_id = models.CharField(_("shop id"), max_length=50)

    class Meta:
        verbose_name = _("staff shop access")
        verbose_name_plural = _("staff shop access")
        constraints = [models.UniqueConstraint(fields=["user", "shop_id"], name="staff_shop_access_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.shop_id}"


# The gateway role's per-shop configuration lives beside its code; importing it here
# registers it with the app.
from .gateway.models import GatewayShop  # noqa: E402, F401
