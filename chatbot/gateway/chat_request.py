"""The body of a shop's chat request to the gateway, read and checked
(docs/gateway.md, "Chat"). Anything malformed is an ``ApiError`` 400 (413 for a long
message); a tool callback URL off the shop's own origins is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import jsonbody
from ..adapters import ShopInfo
from ..exceptions import ApiError
from ..vocabulary import ChatTurn
from .models import GatewayShop, origin_of

MAX_HISTORY_TURNS = 20
MAX_MESSAGE_CHARS = 4000
ROLES = ("shopper", "assistant", "staff", "system")


@dataclass(frozen=True)
class ToolCallback:
    url: str
    token: str


@dataclass(frozen=True)
class ChatRequest:
    shop: ShopInfo
    conversation_id: str
    chat_user_id: str
    signed_in: bool
    message: str
    history: list[ChatTurn]
    language: str
    action: dict[str, Any] | None
    state: dict[str, Any]
    tools: ToolCallback | None


def _bad(message: str, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, message)


def parse(body: bytes, shop_id: str, shop: GatewayShop) -> ChatRequest:
    """The request's body, checked; ``ApiError`` 400 when it is not what docs/gateway.md
    describes."""
    try:
        data = jsonbody.loads(body)  # the chat's one guard: nesting, encoding, constants
    except jsonbody.InvalidJSON as exc:
        raise _bad(str(exc), "invalid_json") from None
    if not isinstance(data, dict):
        raise _bad("The body must be a JSON object.")
    about: dict[str, Any] = data["shop"] if isinstance(data.get("shop"), dict) else {}
    if str(about.get("id") or shop_id) != shop_id:
        raise _bad("shop.id must be the signed X-Chatbot-Shop.")
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        raise _bad("message must be a non-empty string.")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ApiError(413, "message_too_long", f"message is longer than {MAX_MESSAGE_CHARS} characters.")
    history = []
    for turn in data.get("history") or []:
        if isinstance(turn, dict) and turn.get("role") in ROLES and isinstance(turn.get("text"), str):
            history.append(ChatTurn(role=turn["role"], text=turn["text"][:MAX_MESSAGE_CHARS]))
    language = str(data.get("language") or about.get("language") or "en")[:10]
    tools = None
    raw_tools = data.get("tools")
    if isinstance(raw_tools, dict) and raw_tools.get("url"):
        url, token = str(raw_tools["url"]), str(raw_tools.get("token") or "")
        # The gateway calls back only where the shop's own configuration allows: a signed
        # request cannot send the gateway (and the shop's tool secret) anywhere else.
        if origin_of(url) not in shop.origins():
            raise _bad("tools.url is not on one of this shop's allowed origins.", "invalid_tool_url")
        tools = ToolCallback(url=url, token=token)
    action = data.get("action")
    state = data.get("state")
    return ChatRequest(
        shop=ShopInfo(
            id=shop_id,
            name=str(about.get("name") or shop.name or shop_id)[:100],
            currency=str(about.get("currency") or "USD")[:3],
            language=str(about.get("language") or language)[:10],
        ),
        conversation_id=str(data.get("conversation_id") or "")[:64],
        chat_user_id=str(data.get("chat_user_id") or data.get("conversation_id") or "")[:64],
        signed_in=bool(data.get("signed_in")),
        message=message,
        history=history[-MAX_HISTORY_TURNS:],
        language=language,
        action=action if isinstance(action, dict) else None,
        state=state if isinstance(state, dict) else {},
        tools=tools,
    )
