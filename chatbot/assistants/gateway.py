"""The gateway assistant: a remote chatbot service (the user's "chatbot-node") writes the
replies, for one or many shops.

``POST {CHATBOT_NODE_URL}/chat`` with the conversation as JSON, signed so the gateway
can trust it: ``X-Chatbot-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with
CHATBOT_SSO_SECRET>`` and ``X-Chatbot-Timestamp`` (also inside the signed body, so a
captured request cannot be replayed later with a fresh header). The answer is an SSE
stream of ``delta {text}``, ``products {products: [card]}``, ``quick_replies
{options}``, ``handoff {reason}``, ``done {text, intent, handoff}`` or ``error {code,
message}``. The gateway runs its own tools; it is told whether the shopper is signed in,
not who they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from .. import conf
from ..exceptions import ChatbotImproperlyConfigured
from ..sse import json_object
from ..vocabulary import (
    INTENTS,
    AssistantEvent,
    FinalReply,
    HandoffRequested,
    ProductCard,
    ProductCards,
    QuickReplies,
    TextDelta,
    Thinking,
)
from .base import AssistantContext
from .http import RemoteAssistant, UpstreamError
from .toolbridge import cards_in


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GatewayAssistant(RemoteAssistant):
    name = "gateway"
    vendor = "Chatbot gateway"

    def __init__(self, *, node_url: str | None = None, secret: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.node_url = str(node_url or conf.get("CHATBOT_NODE_URL") or "").rstrip("/")
        self.secret = str(secret or conf.get("CHATBOT_SSO_SECRET") or "")
        if not self.node_url or not self.secret:
            raise ChatbotImproperlyConfigured(
                "The gateway assistant needs CHATBOT_NODE_URL and CHATBOT_SSO_SECRET."
            )

    def payload(self, context: AssistantContext, timestamp: int) -> dict[str, Any]:
        return {
            "shop_id": context.shop.id,
            "chat_user_id": context.shopper.chat_user_id,
            "signed_in": context.shopper.is_signed_in,
            "conversation_id": context.conversation_id,
            "message": context.message,
            "history": [{"role": turn.role, "text": turn.text} for turn in context.history],
            "language": context.language,
            "timestamp": timestamp,
        }

    async def areply(self, context: AssistantContext) -> AsyncGenerator[AssistantEvent, None]:
        yield Thinking()
        started = False
        try:
            response = await self.with_retries(lambda: self._open(context), what="chat")
            parts: list[str] = []
            products: tuple[ProductCard, ...] = ()
            options: tuple[str, ...] = ()
            handoff = False
            async with contextlib.aclosing(
                self.iter_events(response, last=lambda sse: sse.event in ("done", "error"))
            ) as events:
                async for sse in events:
                    if context.stop_requested():
                        return
                    data = json_object(sse.data)
                    if sse.event == "delta" and data.get("text"):
                        started = True
                        parts.append(str(data["text"]))
                        yield TextDelta(str(data["text"]))
                    elif sse.event == "products":
                        products = tuple(cards_in(data.get("products") or [], context.shop.currency))
                        yield ProductCards(products)
                    elif sse.event == "quick_replies":
                        options = tuple(str(o) for o in data.get("options") or [])
                        yield QuickReplies(options)
                    elif sse.event == "handoff":
                        handoff = True
                        yield HandoffRequested(str(data.get("reason") or ""))
                    elif sse.event == "error":
                        raise UpstreamError(
                            f"The gateway reported an error ({data.get('code')}: {data.get('message')}).",
                            vendor=self.vendor,
                            code=data.get("code") or "error",
                            retryable=True,
                        )
                    elif sse.event == "done":
                        intent = str(data.get("intent") or "")
                        yield FinalReply(
                            text=str(data.get("text") or "".join(parts)),
                            intent=intent if intent in INTENTS else "out_of_scope",
                            products=products,
                            quick_replies=options,
                            handoff=bool(data.get("handoff")) or handoff,
                        )
                        return
            raise UpstreamError(
                "The gateway's stream ended without done.",
                vendor=self.vendor,
                code="stream_incomplete",
                retryable=True,
            )
        except UpstreamError as exc:
            self.log_failure(exc, "chat")
            raise self.assistant_error(exc, started=started) from exc

    async def _open(self, context: AssistantContext) -> httpx.Response:
        timestamp = int(time.time())
        body = json.dumps(
            self.payload(context, timestamp), ensure_ascii=False, separators=(",", ":")
        ).encode()
        response = await self.post(
            self.node_url + "/chat",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
                "X-Chatbot-Signature": sign(body, self.secret),
                "X-Chatbot-Timestamp": str(timestamp),
            },
            stream=True,
        )
        await self.raise_for_status(response)
        if not response.headers.get("Content-Type", "").startswith("text/event-stream"):
            await response.aclose()
            raise UpstreamError(
                "The gateway answered without an event stream.",
                vendor=self.vendor,
                code="unexpected_response",
            )
        return response
