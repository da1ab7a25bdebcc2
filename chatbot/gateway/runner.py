"""One chat request on the gateway: run the shop's configured assistant with tools that
call the shop back (``shop_tools``), and turn its events into the SSE the shop relays
(docs/gateway.md, "Events").

Nothing of the conversation is stored here: the shop keeps the conversation, the history
it sends, and the gateway's opaque ``state`` (a Coze conversation id) between requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..adapters import ShopAdapter
from ..assistants.base import AssistantContext, AssistantError, ShopAssistant
from ..offloop import in_thread
from ..vocabulary import (
    FinalReply,
    HandoffRequested,
    ProductCards,
    QuickReplies,
    Shopper,
    TextDelta,
    Thinking,
    quick_replies_json,
)
from .chat_request import ChatRequest
from .models import GatewayShop
from .shop_tools import ShopTools

logger = logging.getLogger("chatbot.gateway")

# The gateway knows whether the shopper is signed in, never who: the shop's tool route
# reads the customer from its own record. This stands in for them here.
SIGNED_IN = "(signed in at the shop)"


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
