"""Request bodies of the chat API (docs/contracts.md), validated by DRF serializers.
Stored messages are rendered by ``chatbot.wire.message_json``."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from . import conf
from .jsonbody import without_nul
from .vocabulary import ACTION_TYPES

MAX_ACTION_BYTES = 1024
# The keys each action type may carry, with their JSON types (docs/contracts.md, "Quick
# replies"); anything else is refused so a crafted body cannot stuff the stored row.
_ACTION_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "ask": {"text": (str,)},
    "refine": {
        "in_stock": (bool,),
        "sort": (str,),
        "colour": (str,),
        "max_price": (int, float, str),
        "min_price": (int, float, str),
        "category": (str,),
    },
    "faq": {"topic": (str,)},
    "handoff": {"reason": (str,)},
}
_SORTS = ("relevance", "price_asc", "price_desc")


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

    # A tapped quick-reply chip's action; the text is the chip's label.
    action = serializers.JSONField(required=False, allow_null=True)

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The message is empty.")
        return value

    def validate_action(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise serializers.ValidationError("action must be an object.")
        if without_nul(value) != value:  # PostgreSQL's jsonb refuses \u0000
            raise serializers.ValidationError("action must not contain NUL characters.")
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_ACTION_BYTES:
            raise serializers.ValidationError(f"action must be at most {MAX_ACTION_BYTES} bytes.")
        kind = value.get("type")
        if kind not in ACTION_TYPES:
            raise serializers.ValidationError(f"action.type must be one of {', '.join(ACTION_TYPES)}.")
        allowed = _ACTION_KEYS[kind]
        for key, item in value.items():
            if key == "type":
                continue
            if key not in allowed:
                raise serializers.ValidationError(f"action {kind!r} has no field {key!r}.")
            # bool is an int in Python: a price must not be true/false.
            if not isinstance(item, allowed[key]) or (isinstance(item, bool) and bool not in allowed[key]):
                raise serializers.ValidationError(f"action.{key} has the wrong type.")
        if kind == "refine" and value.get("sort") not in (None, *_SORTS):
            raise serializers.ValidationError(f"action.sort must be one of {', '.join(_SORTS)}.")
        return value


class ContactEmailSerializer(serializers.Serializer):
    shop = ShopField()
    email = serializers.EmailField(max_length=254)


class StopRequestSerializer(serializers.Serializer):
    shop = ShopField()
    messageId = serializers.IntegerField(min_value=1)


def max_message_chars() -> int:
    return int(conf.get("CHATBOT_MAX_MESSAGE_CHARS"))


class RatingRequestSerializer(serializers.Serializer):
    """A shopper's rating of their conversation (CSAT): 1 (very unsatisfied) to 5 (very
    satisfied), an optional comment. ``conversationId`` is optional and only checked: the
    conversation is always the shopper's own, from the session."""

    shop = ShopField()
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = ShopperTextField(required=False, allow_blank=True, max_length=1000)
    conversationId = serializers.IntegerField(required=False, min_value=1)


def validated_body(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """``data`` validated by ``serializer_class`` (a ``ValidationError``, answered as a 400,
    if it is not valid), with the serializer taken apart once it is done.

    A serializer and its fields are a knot of reference cycles (each bound field and the
    fields' mapping point back at the serializer), so one made per request was freed only
    by the cyclic garbage collector: about 55 objects a token call and 115 a message, the
    most of any request's garbage (bench/load.py), each adding to what starts the next
    collection, which pauses every open event stream. Emptied, the knot is freed at once."""
    serializer = serializer_class(data=data)
    try:
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
    finally:
        _take_apart(serializer)


def _take_apart(serializer: serializers.BaseSerializer[Any]) -> None:
    fields = serializer.__dict__.get("_fields")
    for field in fields.values() if fields is not None else ():
        if isinstance(field, serializers.BaseSerializer):
            _take_apart(field)
        field.__dict__.pop("parent", None)
    serializer.__dict__.clear()
