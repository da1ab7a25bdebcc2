"""Emails, through Django's mail settings (``EMAIL_BACKEND`` and friends): staff hear of a
shopper waiting (once per hand-off, to the shop's ``staff_email``), and a shopper who left
an address outside business hours gets staff answers there.

A mail server that is down costs a log line, never the chat: both run after the database
commit and swallow (and log) sending errors.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .. import conf
from ..models import Conversation, Message
from ..shop_settings import settings_for_shop
from ..shops import shop_info

logger = logging.getLogger("chatbot.inbox")


def _shop_name(shop_id: str) -> str:
    try:
        info = shop_info(shop_id)
    except Exception:
        info = None
    return info.name if info else shop_id


def conversation_url(conversation: Conversation) -> str:
    try:
        path = reverse("admin:chatbot_conversation_change", args=[conversation.pk])
    except NoReverseMatch:  # a host without Django admin
        return ""
    return str(conf.get("CHATBOT_PUBLIC_URL") or "").rstrip("/") + path


def staff_of_handoff(conversation: Conversation) -> bool:
    """One email to the shop's staff address; False when none is set or sending failed."""
    address = settings_for_shop(conversation.shop_id).staff_email
    if not address:
        return False
    last = conversation.messages.filter(role=Message.Role.SHOPPER).order_by("-created_at", "-id").first()
    name = _shop_name(conversation.shop_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[%(shop)s] A shopper is waiting for a person") % {"shop": name}
        lines = [
            _("%(who)s asked for a person in the chat of %(shop)s.")
            % {"who": conversation.display_name or conversation.chat_user_id, "shop": name},
        ]
        if last is not None:
            lines += ["", _("Their last message:"), last.text]
        url = conversation_url(conversation)
        if url:
            lines += ["", _("Answer in the inbox: %(url)s") % {"url": url}]
    return _send(subject, "\n".join(lines), address, f"hand-off of conversation {conversation.pk}")


def shopper_of_reply(conversation: Conversation, message: Message) -> bool:
    """A staff answer, to the email address the shopper left."""
    name = _shop_name(conversation.shop_id)
    language = "zh-hans" if (conversation.language or "").lower().startswith("zh") else "en"
    with translation.override(language):
        subject = _("%(shop)s answered your question") % {"shop": name}
        body = "\n".join(
            [
                message.text,
                "",
                _("— %(shop)s. You can also answer in the chat on our site.") % {"shop": name},
            ]
        )
    return _send(subject, body, conversation.contact_email, f"staff answer {message.pk}")


def _send(subject: str, body: str, to: str, what: str) -> bool:
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        logger.exception("chatbot: could not email the %s", what)
        return False
    logger.info("chatbot: emailed the %s", what)
    return True
