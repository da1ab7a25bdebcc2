"""One chat request on the gateway: read the shop's signed request, run the shop's
configured assistant with tools that call the shop back, and turn its events into the
SSE the shop relays (docs/gateway.md, "Events").

Nothing of the conversation is stored here: the shop keeps the conversation, the history
it sends, and the gateway's opaque ``state`` (a Coze conversation id) between requests.
"""

from __future__ import annotations

import json
import logging
import secrets as random_secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .. import conf
from ..adapters import ShopAdapter, ShopInfo
from ..assistants.base import AssistantContext, AssistantError, ShopAssistant
from ..assistants.clients import loop_client
from ..exceptions import ApiError
from ..offloop import in_thread
from ..vocabulary import (
    ChatTurn,
    FinalReply,
    HandoffRequested,
    ProductCards,
    QuickReplies,
    Shopper,
    TextDelta,
    Thinking,
    quick_replies_json,
)
from . import protocol
from .models import GatewayShop, origin_of

logger = logging.getLogger("chatbot.gateway")

MAX_HISTORY_TURNS = 20
MAX_MESSAGE_CHARS = 4000
ROLES = ("shopper", "assistant", "staff", "system")
# The gateway knows whether the shopper is signed in, never who: the shop's tool route
# reads the customer from its own record. This stands in for them here.
SIGNED_IN = "(signed in at the shop)"


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
        data = json.loads(body)
    except ValueError:
        raise _bad("The body is not JSON.") from None
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


class ShopTools:
    """``context.remote_tools`` on the gateway: asks the conversation's shop to run a
    tool, signed with the shop's tool secret, within CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS.
    Any failure becomes a tool result the model can read, never a failed reply."""

    def __init__(self, shop_id: str, callback: ToolCallback | None, secret: str) -> None:
        self.shop_id = shop_id
        self.callback = callback
        self.secret = secret
        self.timeout = float(conf.get("CHATBOT_GATEWAY_TOOL_TIMEOUT_SECONDS"))

    async def __call__(self, name: str, arguments: Any) -> dict[str, Any]:
        if self.callback is None or not self.secret:
            return _unavailable("This shop's data cannot be reached from the assistant.")
        body = json.dumps(
            {
                "request_id": random_secrets.token_hex(16),
                "token": self.callback.token,
                "name": name,
                "arguments": arguments,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **protocol.signed_headers(self.shop_id, self.secret, body),
        }
        try:
            response = await loop_client("chatbot.gateway.tools").post(
                self.callback.url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            logger.warning("Shop %s did not answer tool %s in %.1f s", self.shop_id, name, self.timeout)
            return _unavailable("The shop did not answer in time; answer without this information.")
        except httpx.HTTPError as exc:
            logger.warning("Shop %s tool %s unreachable: %s", self.shop_id, name, type(exc).__name__)
            return _unavailable("The shop could not be reached; answer without this information.")
        if response.status_code != 200:
            logger.warning("Shop %s refused tool %s: HTTP %s", self.shop_id, name, response.status_code)
            return _unavailable("The shop refused this request; answer without this information.")
        try:
            result = response.json().get("result")
        except (ValueError, AttributeError):
            result = None
        if not isinstance(result, dict):
            return _unavailable("The shop answered something unreadable.")
        return result


def _unavailable(message: str) -> dict[str, Any]:
    return {"error": "tool_unavailable", "message": message}


def build_assistant(shop: GatewayShop) -> ShopAssistant:
    """The shop's configured assistant; ``ChatbotImproperlyConfigured`` or
    ``secrets.SecretUnavailable`` when its settings are incomplete."""
    if shop.assistant == GatewayShop.Kind.COZE:
        from ..assistants.coze import CozeAssistant
        from ..assistants.coze_auth import PersonalTokenAuth, auth_from_settings

        token = shop.reveal("coze_api_token")
        return CozeAssistant(
            shop.coze_bot_id or None,
            api_base=shop.coze_api_base or None,
            auth=PersonalTokenAuth(token) if token else auth_from_settings(),
        )
    from ..assistants.openai import OpenAIAssistant

    return OpenAIAssistant(
        base_url=shop.openai_base_url or None,
        api_key=shop.reveal("openai_api_key") if shop.openai_api_key else None,
        model=shop.openai_model or None,
    )


def context_for(request: ChatRequest, tools: ShopTools) -> AssistantContext:
    return AssistantContext(
        shop=request.shop,
        shopper=Shopper(
            chat_user_id=request.chat_user_id,
            display_name="",
            customer_ref=SIGNED_IN if request.signed_in else None,
            language=request.language,
        ),
        message=request.message,
        # The shop's data is never read here: every tool goes through ``remote_tools``.
        adapter=ShopAdapter(),
        history=request.history,
        language=request.language,
        conversation_id=request.conversation_id,
        state=dict(request.state),
        action=request.action,
        remote_tools=tools,
    )


def sse(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


async def stream(shop_id: str, assistant: ShopAssistant, context: AssistantContext) -> AsyncIterator[bytes]:
    """The assistant's events as SSE. Ends with ``done`` or ``error``; a shop that hangs
    up (stop pressed, shop restarting) closes the assistant, and its upstream, at once."""
    counts = {"replies": 0, "errors": 0, "tokens": 0}
    events = assistant.areply(context)
    try:
        async for event in events:
            if isinstance(event, TextDelta):
                yield sse("delta", {"text": event.text})
            elif isinstance(event, Thinking):
                yield sse("thinking", {})
            elif isinstance(event, ProductCards):
                yield sse("products", {"products": [card.as_dict() for card in event.products]})
            elif isinstance(event, QuickReplies):
                yield sse("quick_replies", {"options": quick_replies_json(event.options)})
            elif isinstance(event, HandoffRequested):
                yield sse("handoff", {"reason": event.reason})
            elif isinstance(event, FinalReply):
                counts["replies"] = 1
                counts["tokens"] = int(context.usage.get("total_tokens", 0))
                yield sse(
                    "done",
                    {
                        "text": event.text,
                        "intent": event.intent,
                        "products": [card.as_dict() for card in event.products],
                        "quick_replies": quick_replies_json(event.quick_replies),
                        "handoff": event.handoff,
                        "state": context.state,
                        "usage": dict(context.usage),
                    },
                )
                return
        counts["errors"] = 1
        yield sse(
            "error",
            {"code": "no_reply", "message": "The assistant ended without a reply.", "retryable": True},
        )
    except AssistantError as exc:
        counts["errors"] = 1
        logger.warning("Shop %s: the assistant failed (%s)", shop_id, exc.code)
        yield sse(
            "error",
            {"code": exc.code, "message": "The assistant could not answer.", "retryable": exc.retryable},
        )
    except Exception:
        counts["errors"] = 1
        logger.exception("Shop %s: the gateway's reply failed", shop_id)
        yield sse("error", {"code": "internal_error", "message": "The gateway failed.", "retryable": True})
    finally:
        await events.aclose()
        if any(counts.values()):
            try:
                await in_thread(GatewayShop.count, shop_id, **counts)
            except Exception:
                logger.exception("Could not count usage for shop %s", shop_id)
