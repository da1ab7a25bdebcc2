"""Request bodies of the chat API (docs/contracts.md), validated by DRF serializers.
Stored messages are rendered by ``chatbot.wire.message_json``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from . import conf


class ShopField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, max_length=50, **kwargs)


class TokenRequestSerializer(serializers.Serializer):
    """The seed's body. ``userId``/``userName``/``userRole`` are accepted for
    compatibility but never trusted: the identity comes from the session."""

    shop = ShopField()
    userId = serializers.CharField(required=False, allow_blank=True, max_length=200)
    userName = serializers.CharField(required=False, allow_blank=True, max_length=200)
    userRole = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ShopperTextField(serializers.CharField):
    """The shopper's text with control characters (other than newline and tab) dropped:
    they render as garbage and can confuse terminals reading the logs. Emoji and every
    script are kept as written."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable() or ch in "\u200d\ufe0f")


class MessageRequestSerializer(serializers.Serializer):
    shop = ShopField()
    text = ShopperTextField(allow_blank=True, trim_whitespace=False)
    clientMessageId = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        error_messages={"invalid": "clientMessageId must be 1–64 letters, digits, '-', '_', '.' or ':'."},
    )

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The message is empty.")
        return value


class StopRequestSerializer(serializers.Serializer):
    shop = ShopField()
    messageId = serializers.IntegerField(min_value=1)


def max_message_chars() -> int:
    return int(conf.get("CHATBOT_MAX_MESSAGE_CHARS"))
