"""``GatewayShop``: one row per shop a gateway serves (edited in admin).

Imported by ``chatbot.models`` so Django registers it with the app. Secrets are stored
through ``chatbot.gateway.secrets`` (encrypted or an environment reference), never in
clear; usage counters are updated with F() expressions, so concurrent replies add up.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import secrets


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


class GatewayShop(models.Model):
    class Kind(models.TextChoices):
        OPENAI = "openai", _("OpenAI-compatible model")
        COZE = "coze", _("Coze bot")

    shop_id = models.CharField(_("shop id"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Off: the shop's requests get 401."))
    secret = models.TextField(_("shop secret"), blank=True, help_text=_("The shop's CHATBOT_SSO_SECRET."))
    tool_secret = models.TextField(
        _("tool callback secret"), blank=True, help_text=_("The shop's CHATBOT_WEBHOOK_SECRET.")
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "One per line, e.g. https://shop.example.com. Browsers from these origins pass CORS, "
            "and the shop's tool callback URL must be on one of them."
        ),
    )
    assistant = models.CharField(_("assistant"), max_length=16, choices=Kind.choices, default=Kind.OPENAI)
    openai_base_url = models.CharField(_("OpenAI base URL"), max_length=300, blank=True)
    openai_model = models.CharField(_("OpenAI model"), max_length=100, blank=True)
    openai_api_key = models.TextField(_("OpenAI API key"), blank=True)
    coze_api_base = models.CharField(
        _("Coze API base"), max_length=300, blank=True, default="https://api.coze.cn"
    )
    coze_bot_id = models.CharField(_("Coze bot id"), max_length=64, blank=True)
    coze_api_token = models.TextField(_("Coze access token"), blank=True)
    rate_limit = models.PositiveIntegerField(_("requests per minute"), default=60)
    replies = models.PositiveBigIntegerField(_("replies"), default=0, editable=False)
    errors = models.PositiveBigIntegerField(_("errors"), default=0, editable=False)
    tokens = models.PositiveBigIntegerField(_("tokens"), default=0, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    SECRET_FIELDS = ("secret", "tool_secret", "openai_api_key", "coze_api_token")

    class Meta:
        app_label = "chatbot"
        verbose_name = _("gateway shop")
        verbose_name_plural = _("gateway shops")
        ordering = ["shop_id"]

    def __str__(self) -> str:
        return self.shop_id

    def __repr__(self) -> str:
        # Never the secrets, even encrypted.
        return f"<GatewayShop {self.shop_id!r} {self.assistant}>"

    def origins(self) -> set[str]:
        return {origin for line in self.allowed_origins.splitlines() if (origin := origin_of(line))}

    def reveal(self, field: str) -> str:
        return secrets.reveal(getattr(self, field))

    @classmethod
    def count(cls, shop_id: str, *, replies: int = 0, errors: int = 0, tokens: int = 0) -> None:
        cls.objects.filter(shop_id=shop_id).update(
            replies=F("replies") + replies,
            errors=F("errors") + errors,
            tokens=F("tokens") + tokens,
            last_used_at=timezone.now(),
        )
