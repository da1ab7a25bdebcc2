"""The Coze assistant: a Coze bot (published as an API service) writes the replies.

One Coze conversation per chat conversation (its id kept in ``context.state``), one
streamed ``/v3/chat`` per shopper message with ``auto_save_history`` so Coze keeps the
history. The bot's local plugins are answered from the shop through the same tools as the
local assistant (``conversation.chat.requires_action`` → ``chatbot.tools.run_tool`` →
``/v3/chat/submit_tool_outputs``, streamed too).

Failure policy: before any text reached the shopper, rate limits (4013, 429), 5xx,
timeouts and connection errors are retried with backoff; once text has streamed nothing
is retried (Coze already saved the shopper's message, a retry would answer twice) and the
pipeline shows a retryable failure. A 401 / 4100 gets one fresh OAuth token. A 4016 (a
chat still running in this conversation) cancels that chat, or moves to a new Coze
conversation.

Settings (``chatbot.conf``): ``COZE_API_BASE``, ``COZE_BOT_ID`` (a shop's admin setting
may override it through ``bot_id``), and the credentials read by ``coze_auth``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .. import conf
from ..exceptions import ChatbotImproperlyConfigured
from ..offloop import in_thread
from ..sse import SSEEvent, json_object
from ..vocabulary import AssistantEvent, FinalReply, ProductCards, QuickReplies, TextDelta, Thinking
from .base import AssistantContext
from .coze_auth import CozeAuth, auth_from_settings
from .http import RemoteAssistant, UpstreamError
from .toolbridge import ShopToolBridge

logger = logging.getLogger("chatbot.assistants.coze")

T = TypeVar("T")

STATE_CONVERSATION = "coze_conversation_id"
STATE_CHAT = "coze_chat_id"

# Coze's codes that a later identical request may not hit: rate limit, internal error.
RETRYABLE_CODES = frozenset({"4013", "5000"})
AUTH_CODES = frozenset({"4100"})
CHAT_IN_PROGRESS = "4016"
CANCEL_TIMEOUT = 5.0


@dataclass
class _Turn:
    """What one reply has seen so far."""

    bridge: ShopToolBridge
    started: bool = False
    message_order: list[str] = field(default_factory=list)
    deltas: dict[str, list[str]] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)
    follow_ups: list[str] = field(default_factory=list)
    chat_id: str = ""
    logid: str = ""
    finished: bool = False

    def text(self) -> str:
        parts = [self.completed.get(mid) or "".join(self.deltas.get(mid, [])) for mid in self.message_order]
        return "\n\n".join(part for part in parts if part.strip())


class CozeAssistant(RemoteAssistant):
    name = "coze"
    vendor = "Coze"

    def __init__(
        self,
        bot_id: str | None = None,
        *,
        api_base: str | None = None,
        auth: CozeAuth | None = None,
        history_turns: int = 10,
        max_tool_rounds: int = 5,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.bot_id = str(bot_id or conf.get("COZE_BOT_ID") or "")
        if not self.bot_id:
            raise ChatbotImproperlyConfigured(
                "The Coze assistant needs COZE_BOT_ID (or the shop's Coze bot id)."
            )
        self.api_base = str(api_base or conf.get("COZE_API_BASE")).rstrip("/")
        self.auth = auth or auth_from_settings()
        self.history_turns = history_turns
        self.max_tool_rounds = max_tool_rounds

    # --- the reply -------------------------------------------------------------------

    async def areply(self, context: AssistantContext) -> AsyncGenerator[AssistantEvent, None]:
        yield Thinking()
        turn = _Turn(bridge=ShopToolBridge(context))
        try:
            async with contextlib.aclosing(self._converse(context, turn)) as events:
                async for event in events:
                    yield event
        except (GeneratorExit, asyncio.CancelledError):
            # The pipeline stopped reading (the shopper pressed stop, or the reply is being
            # torn down) while the chat runs: Coze would go on generating, and billing, the
            # rest of the answer.
            if turn.chat_id and not turn.finished:
                await self._cancel_chat(str(context.state.get(STATE_CONVERSATION) or ""), turn.chat_id)
            raise
        except UpstreamError as exc:
            exc.logid = exc.logid or turn.logid
            self.log_failure(exc, "chat")
            raise self.assistant_error(exc, started=turn.started) from exc

        if turn.follow_ups:
            yield QuickReplies(tuple(turn.follow_ups))
        bridge = turn.bridge
        text = turn.text()
        if not text and not bridge.handoff and not context.stop_requested():
            empty = UpstreamError(
                "Coze finished without an answer.", vendor=self.vendor, code="empty_answer", retryable=True
            )
            self.log_failure(empty, "chat")
            raise self.assistant_error(empty, started=turn.started)
        yield FinalReply(
            text=text,
            intent=bridge.intent(text),
            products=tuple(bridge.products.values()),
            quick_replies=tuple(turn.follow_ups),
            handoff=bridge.handoff,
        )

    async def _converse(self, context: AssistantContext, turn: _Turn) -> AsyncGenerator[AssistantEvent, None]:
        conversation_id = context.state.get(STATE_CONVERSATION) or ""
        fresh = not conversation_id
        if fresh:
            conversation_id = await self._create_conversation(context)
        response = await self._start_chat(context, conversation_id, fresh)
        conversation_id = context.state[STATE_CONVERSATION]
        rounds = 0
        while response is not None:
            turn.logid = response.headers.get("x-tt-logid", "") or turn.logid
            tool_calls: list[dict[str, Any]] | None = None
            async with contextlib.aclosing(self.iter_events(response, last=_ends_stream)) as events:
                async for sse in events:
                    if context.stop_requested():
                        await self._cancel_chat(conversation_id, turn.chat_id)
                        turn.finished = True
                        return
                    kind = sse.event
                    if kind == "conversation.message.delta":
                        delta = self._delta(sse.data, turn)
                        if delta:
                            turn.started = True
                            yield TextDelta(delta)
                    elif kind == "conversation.message.completed":
                        unseen = self._completed(sse.data, turn)
                        if unseen:
                            turn.started = True
                            yield TextDelta(unseen)
                    elif kind in ("conversation.chat.created", "conversation.chat.in_progress"):
                        chat = json_object(sse.data)
                        if chat.get("id"):
                            turn.chat_id = str(chat["id"])
                            context.state[STATE_CHAT] = turn.chat_id
                    elif kind == "conversation.chat.requires_action":
                        chat = json_object(sse.data)
                        turn.chat_id = str(chat.get("id") or turn.chat_id)
                        tool_calls = _tool_calls(chat)
                        break  # Coze ends this stream; the answer continues on the submit call
                    elif kind == "conversation.chat.completed":
                        turn.finished = True
                        context.state.pop(STATE_CHAT, None)
                        _add_usage(context, json_object(sse.data).get("usage"))
                    elif kind == "conversation.chat.failed":
                        raise self._stream_error(sse.data, "The Coze chat failed")
                    elif kind == "error":
                        raise self._stream_error(sse.data, "Coze reported an error")
                    elif kind == "done":
                        turn.finished = True
                        break
                    # Other events (audio, in-progress pings, future ones) carry nothing for us.
            if tool_calls is None:
                if not turn.finished:
                    raise UpstreamError(
                        "Coze's stream ended before the chat completed.",
                        vendor=self.vendor,
                        code="stream_incomplete",
                        retryable=True,
                        logid=turn.logid,
                    )
                return
            rounds += 1
            if rounds > self.max_tool_rounds:
                raise UpstreamError(
                    f"The Coze bot asked for tools more than {self.max_tool_rounds} times in one reply.",
                    vendor=self.vendor,
                    code="tool_loop",
                )
            yield Thinking()
            outputs = []
            for call in tool_calls:
                function = call.get("function") or {}
                output, events_out = await turn.bridge.arun(
                    str(function.get("name") or ""), function.get("arguments")
                )
                outputs.append({"tool_call_id": str(call.get("id") or ""), "output": output})
                for event in events_out:
                    # The pipeline keeps the last card list it saw: always send them all.
                    yield (
                        ProductCards(tuple(turn.bridge.products.values()))
                        if isinstance(event, ProductCards)
                        else event
                    )
            response = await self._submit_tool_outputs(conversation_id, turn.chat_id, outputs)

    def _delta(self, data: str, turn: _Turn) -> str:
        message = json_object(data)
        if message.get("type") != "answer" or message.get("content_type", "text") != "text":
            return ""
        text = str(message.get("content") or "")
        if not text:
            return ""
        message_id = str(message.get("id") or "")
        separator = ""
        if message_id not in turn.deltas:
            # A second answer in the same reply (multi-answer bots, text before a tool
            # call): keep the streamed text shaped like the final one.
            separator = "\n\n" if turn.text() else ""
            turn.deltas[message_id] = []
            turn.message_order.append(message_id)
        turn.deltas[message_id].append(text)
        return separator + text

    def _completed(self, data: str, turn: _Turn) -> str:
        """Record a completed message; returns text the shopper has not seen yet (an
        answer Coze sent whole, without deltas)."""
        message = json_object(data)
        kind = message.get("type")
        content = str(message.get("content") or "")
        if kind == "answer" and message.get("content_type", "text") == "text":
            message_id = str(message.get("id") or "")
            unseen = ""
            if message_id not in turn.message_order:
                unseen = ("\n\n" if turn.text() and content.strip() else "") + content
                turn.message_order.append(message_id)
            turn.completed[message_id] = content
            return unseen if content.strip() else ""
        if kind == "follow_up" and content.strip() and content.strip() not in turn.follow_ups:
            turn.follow_ups.append(content.strip())
        return ""

    def _stream_error(self, data: str, what: str) -> UpstreamError:
        """``conversation.chat.failed`` carries a Chat object with ``last_error``, or a
        bare ``{code, msg}``; ``error`` a bare ``{code, msg}``."""
        payload = json_object(data)
        last_error = payload.get("last_error")
        error: dict[str, Any] = last_error if isinstance(last_error, dict) else payload
        code = error.get("code")
        message = str(error.get("msg") or error.get("message") or "")
        return UpstreamError(
            f"{what}" + (f" (code {code}: {message})" if code not in (None, "", 0) else "") + ".",
            vendor=self.vendor,
            code=code if code not in (None, "", 0) else "chat_failed",
            # The shopper's retry button starts a new chat; whether it helps is unknown.
            retryable=True,
            payload=payload,
        )

    # --- Coze's endpoints ------------------------------------------------------------

    async def _create_conversation(self, context: AssistantContext) -> str:
        async def call() -> str:
            payload = await self._post_json("/v1/conversation/create", json_body={"bot_id": self.bot_id})
            data = payload.get("data") or {}
            conversation_id = str(data.get("id") or "") if isinstance(data, dict) else ""
            if not conversation_id:
                raise UpstreamError(
                    "Coze created no conversation.", vendor=self.vendor, code="no_conversation"
                )
            return conversation_id

        conversation_id = await self.with_retries(call, what="conversation create")
        context.state[STATE_CONVERSATION] = conversation_id
        context.state.pop(STATE_CHAT, None)
        return conversation_id

    async def _start_chat(
        self, context: AssistantContext, conversation_id: str, fresh: bool
    ) -> httpx.Response:
        try:
            return await self._open_chat(context, conversation_id, fresh)
        except UpstreamError as exc:
            if str(exc.code) != CHAT_IN_PROGRESS:
                raise
            logger.warning(
                "Coze chat still in progress in conversation %s (logid=%s)", conversation_id, exc.logid
            )
        previous_chat = context.state.get(STATE_CHAT)
        if previous_chat:
            await self._cancel_chat(conversation_id, str(previous_chat))
            try:
                return await self._open_chat(context, conversation_id, fresh)
            except UpstreamError as exc:
                if str(exc.code) != CHAT_IN_PROGRESS:
                    raise
        # The running chat is not ours to cancel (or would not stop): carry on in a new
        # Coze conversation, bringing the recent history along.
        new_conversation = await self._create_conversation(context)
        return await self._open_chat(context, new_conversation, True)

    async def _open_chat(
        self, context: AssistantContext, conversation_id: str, fresh: bool
    ) -> httpx.Response:
        body = {
            "bot_id": self.bot_id,
            "user_id": coze_user_id(context),
            "stream": True,
            "auto_save_history": True,
            "additional_messages": self._messages(context, fresh),
        }

        def call() -> Awaitable[httpx.Response]:
            return self._post_stream("/v3/chat", json_body=body, params={"conversation_id": conversation_id})

        response = await self.with_retries(call, what="chat")
        context.state[STATE_CONVERSATION] = conversation_id
        return response

    async def _submit_tool_outputs(
        self, conversation_id: str, chat_id: str, outputs: list[dict[str, str]]
    ) -> httpx.Response:
        def call() -> Awaitable[httpx.Response]:
            return self._post_stream(
                "/v3/chat/submit_tool_outputs",
                json_body={"tool_outputs": outputs, "stream": True},
                params={"conversation_id": conversation_id, "chat_id": chat_id},
            )

        return await self.with_retries(call, what="submit tool outputs")

    async def _cancel_chat(self, conversation_id: str, chat_id: str) -> None:
        if not chat_id:
            return
        try:
            # Short: it runs while the pipeline closes the reply, and it is best effort.
            await self._post_json(
                "/v3/chat/cancel",
                json_body={"conversation_id": conversation_id, "chat_id": chat_id},
                timeout=httpx.Timeout(CANCEL_TIMEOUT),
            )
        except UpstreamError as exc:
            # Best effort: the chat may have just finished on its own.
            logger.info("Coze chat cancel did not succeed (code=%s logid=%s)", exc.code, exc.logid or "-")

    def _messages(self, context: AssistantContext, fresh: bool) -> list[dict[str, str]]:
        messages: list[dict[str, str]] = []
        if fresh:
            # A new Coze conversation knows nothing of what was said before (another
            # assistant, staff): hand over the recent turns once.
            for turn in context.history[-self.history_turns :] if self.history_turns else []:
                if not turn.text.strip() or turn.role == "system":
                    continue
                if turn.role == "shopper":
                    messages.append(
                        {"role": "user", "type": "question", "content": turn.text, "content_type": "text"}
                    )
                else:
                    messages.append(
                        {"role": "assistant", "type": "answer", "content": turn.text, "content_type": "text"}
                    )
        messages.append(
            {"role": "user", "type": "question", "content": context.message, "content_type": "text"}
        )
        return messages

    # --- transport details -----------------------------------------------------------

    async def _post_stream(self, path: str, *, json_body: Any, params: dict[str, str]) -> httpx.Response:
        async def send(token: str) -> httpx.Response:
            response = await self.post(
                self.api_base + path,
                json_body=json_body,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
                stream=True,
            )
            await self._check(response, stream=True)
            return response

        return await self._with_fresh_token(send)

    async def _post_json(
        self, path: str, *, json_body: Any, timeout: httpx.Timeout | None = None
    ) -> dict[str, Any]:
        async def send(token: str) -> dict[str, Any]:
            response = await self.post(
                self.api_base + path,
                json_body=json_body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=timeout,
            )
            await self._check(response, stream=False)
            return await self._json_answer(response)

        return await self._with_fresh_token(send)

    async def _with_fresh_token(self, send: Callable[[str], Awaitable[T]]) -> T:
        """Send with the access token; on 401 / 4100 one fresh token and one more try.
        The token comes from Django's cache or, once per token lifetime, from Coze's
        OAuth endpoint: both block, so they run on the pool."""
        token = await in_thread(self.auth.token)
        try:
            return await send(token)
        except UpstreamError as exc:
            refused = exc.status_code == 401 or str(exc.code) in AUTH_CODES
            if not (refused and await in_thread(self.auth.invalidate, token)):
                raise
            logger.info("Coze refused the access token (logid=%s); fetching a new one", exc.logid or "-")
        return await send(await in_thread(self.auth.token))

    async def _check(self, response: httpx.Response, *, stream: bool) -> None:
        content_type = response.headers.get("Content-Type", "")
        if response.status_code < 400 and (not stream or content_type.startswith("text/event-stream")):
            return
        # An error status, or JSON where a stream was asked for: Coze's {code, msg}.
        payload = await self.read_json(response)
        code: Any = None
        message = ""
        if isinstance(payload, dict):
            code = payload.get("code")
            message = str(payload.get("msg") or payload.get("message") or "")
        code_text = str(code) if code not in (None, "") else ""
        status = response.status_code
        if status < 400 and code_text in ("", "0"):
            code_text = "unexpected_response"
            message = f"expected an event stream, got {content_type or 'no content type'}"
        raise UpstreamError(
            f"Coze answered HTTP {status}" + (f" (code {code_text}: {message})" if code_text else "") + ".",
            vendor=self.vendor,
            status_code=status,
            code=code_text or None,
            retryable=status in (429, 408) or status >= 500 or code_text in RETRYABLE_CODES,
            logid=self.logid_of(response, payload),
            payload=payload,
        )

    async def _json_answer(self, response: httpx.Response) -> dict[str, Any]:
        payload = await self.read_json(response)
        if not isinstance(payload, dict):
            raise UpstreamError(
                f"Coze answered HTTP {response.status_code} with no JSON.",
                vendor=self.vendor,
                status_code=response.status_code,
                code="unexpected_response",
                retryable=response.status_code >= 500,
                logid=self.logid_of(response),
            )
        code = payload.get("code", 0)
        if code not in (0, "0", None):
            raise UpstreamError(
                f"Coze answered code {code}: {payload.get('msg') or ''}.",
                vendor=self.vendor,
                status_code=response.status_code,
                code=str(code),
                retryable=str(code) in RETRYABLE_CODES,
                logid=self.logid_of(response, payload),
                payload=payload,
            )
        return payload

    def logid_of(self, response: httpx.Response | None, payload: Any = None) -> str:
        if isinstance(payload, dict):
            detail = payload.get("detail")
            if isinstance(detail, dict) and detail.get("logid"):
                return str(detail["logid"])
        if response is not None:
            return str(response.headers.get("x-tt-logid", ""))
        return ""


def coze_user_id(context: AssistantContext) -> str:
    """Stable per shopper and shop, and tells Coze nothing about who they are."""
    digest = hashlib.sha256(f"{context.shop.id}:{context.shopper.chat_user_id}".encode()).hexdigest()
    return f"shopper-{digest[:32]}"


def _ends_stream(sse: SSEEvent) -> bool:
    # Coze ends the stream after requires_action too (the answer goes on in the submit
    # call), sending only ``done`` after it.
    return sse.event in ("done", "conversation.chat.requires_action")


def _tool_calls(chat: dict[str, Any]) -> list[dict[str, Any]]:
    action = chat.get("required_action") or {}
    submit = action.get("submit_tool_outputs") or {} if isinstance(action, dict) else {}
    calls = submit.get("tool_calls") if isinstance(submit, dict) else None
    return [call for call in calls or [] if isinstance(call, dict)]


def _add_usage(context: AssistantContext, usage: Any) -> None:
    # Coze reports {"token_count", "output_count", "input_count"} per chat (one per tool round).
    if isinstance(usage, dict) and isinstance(usage.get("token_count"), int):
        context.usage["total_tokens"] = context.usage.get("total_tokens", 0) + usage["token_count"]
