"""The gateway assistant: a remote chatbot gateway (this project in the ``gateway`` role,
or the user's "chatbot-node") writes the replies, for one or many shops. The protocol is
docs/gateway.md; both sides share ``chatbot.gateway.protocol``.

``POST {CHATBOT_NODE_URL}/gateway/v1/chat`` with the conversation as JSON, signed with
``CHATBOT_SSO_SECRET`` (``X-Chatbot-Shop``, ``X-Chatbot-Timestamp``,
``X-Chatbot-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``). The answer
is an SSE stream of ``thinking``, ``delta {text}``, ``products {products: [card]}``,
``quick_replies {options}``, ``handoff {reason}``, then ``done {text, intent, handoff,
state, usage}`` or ``error {code, message}``.

The gateway is told whether the shopper is signed in, not who they are. When its model
calls a shop tool it asks this shop (``tools: {url, token}``): the token names this
conversation, and the shop's callback route reads the customer from its own record.

Every failure (gateway down, slow, 401/429/5xx, an ``error`` event, a stream without
``done``) is an ``AssistantError`` the shopper can retry: the pipeline shows the fallback
text with a retry button.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from .. import conf
from ..exceptions import ChatbotImproperlyConfigured
from ..gateway import protocol, tokens
from ..sse import json_object
from ..vocabulary import (
    INTENTS,
    AssistantEvent,
    FinalReply,
    HandoffRequested,
    ProductCard,
    ProductCards,
    QuickReplies,
    QuickReplyOption,
    TextDelta,
    Thinking,
    quick_reply,
)
from .base import AssistantContext, AssistantError
from .http import RemoteAssistant, UpstreamError
from .toolbridge import cards_in

# The gateway's opaque per-conversation memory (a Coze conversation id), kept by the shop.
STATE_KEY = "gateway"
MAX_STATE_BYTES = 4096


class GatewayAssistant(RemoteAssistant):
    name = "gateway"
    vendor = "Chatbot gateway"

    def __init__(
        self,
        *,
        node_url: str | None = None,
        secret: str | None = None,
        public_url: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.node_url = str(node_url or conf.get("CHATBOT_NODE_URL") or "").rstrip("/")
        self.secret = str(secret or conf.get("CHATBOT_SSO_SECRET") or "")
        self.public_url = str(public_url if public_url is not None else conf.get("CHATBOT_PUBLIC_URL") or "")
        if not self.node_url or not self.secret:
            raise ChatbotImproperlyConfigured(
                "The gateway assistant needs CHATBOT_NODE_URL and CHATBOT_SSO_SECRET."
            )

    def payload(self, context: AssistantContext) -> dict[str, Any]:
        shop = context.shop
        tools: dict[str, str] | None = None
        if self.public_url and context.conversation_id:
            tools = {
                "url": self.public_url.rstrip("/") + protocol.TOOLS_PATH,
                "token": tokens.issue(shop.id, context.conversation_id),
            }
        state = context.state.get(STATE_KEY)
        return {
            # Makes every request's signature unique, so the gateway can refuse replays.
            "request_id": secrets.token_hex(16),
            "shop": {"id": shop.id, "name": shop.name, "currency": shop.currency, "language": shop.language},
            "conversation_id": context.conversation_id,
            "chat_user_id": context.shopper.chat_user_id,
            "signed_in": context.shopper.is_signed_in,
            "message": context.message,
            "history": [{"role": turn.role, "text": turn.text} for turn in context.history],
            "language": context.language,
            "action": context.action,
            "state": state if isinstance(state, dict) else {},
            "tools": tools,
        }

    async def areply(self, context: AssistantContext) -> AsyncGenerator[AssistantEvent, None]:
        yield Thinking()
        started = False
        try:
            response = await self.with_retries(lambda: self._open(context), what="chat")
            parts: list[str] = []
            products: dict[str, ProductCard] = {}
            options: tuple[QuickReplyOption, ...] = ()
            handoff = False
            async with contextlib.aclosing(
                self.iter_events(response, last=lambda sse: sse.event in ("done", "error"))
            ) as events:
                async for sse in events:
                    if context.stop_requested():
                        # Closing the stream (leaving this block) tells the gateway to stop
                        # its model; the shopper keeps what they saw, as a stopped reply.
                        break
                    data = json_object(sse.data)
                    if sse.event == "delta" and data.get("text"):
                        started = True
                        parts.append(str(data["text"]))
                        yield TextDelta(str(data["text"]))
                    elif sse.event == "thinking":
                        yield Thinking()
                    elif sse.event == "products":
                        for card in cards_in(data.get("products") or [], context.shop.currency):
                            products[card.sku] = card
                        yield ProductCards(tuple(products.values()))
                    elif sse.event == "quick_replies":
                        options = _options(data.get("options"))
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
                        self._keep_state(context, data.get("state"))
                        intent = str(data.get("intent") or "")
                        yield FinalReply(
                            text=str(data.get("text") or "".join(parts)),
                            intent=intent if intent in INTENTS else "out_of_scope",
                            products=tuple(products.values()),
                            quick_replies=options,
                            handoff=bool(data.get("handoff")) or handoff,
                        )
                        return
            if context.stop_requested():
                yield FinalReply(
                    text="".join(parts),
                    products=tuple(products.values()),
                    quick_replies=options,
                    handoff=handoff,
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

    def assistant_error(self, exc: UpstreamError, *, started: bool) -> AssistantError:
        # Whatever the gateway said (down, slow, 401 for a clock or secret problem, 429),
        # the shopper gets the fallback with a retry button: the next try may well work
        # (the gateway restarted, the minute's quota renewed), and an operator fixes the rest.
        error = super().assistant_error(exc, started=started)
        error.retryable = True
        return error

    @staticmethod
    def _keep_state(context: AssistantContext, state: Any) -> None:
        if isinstance(state, dict) and len(json.dumps(state, default=str)) <= MAX_STATE_BYTES:
            context.state[STATE_KEY] = state

    async def _open(self, context: AssistantContext) -> httpx.Response:
        body = json.dumps(self.payload(context), ensure_ascii=False, separators=(",", ":")).encode()
        response = await self.post(
            self.node_url + protocol.CHAT_PATH,
            data=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
                **protocol.signed_headers(context.shop.id, self.secret, body),
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


def _options(raw: Any) -> tuple[QuickReplyOption, ...]:
    """Chips as the gateway sends them: strings or ``{label, action}``."""
    if not isinstance(raw, list):
        return ()
    found: list[QuickReplyOption] = []
    for option in raw:
        if isinstance(option, str) and option.strip():
            found.append(option)
        elif isinstance(option, dict) and str(option.get("label") or "").strip():
            found.append(quick_reply(option))
    return tuple(found[:8])
