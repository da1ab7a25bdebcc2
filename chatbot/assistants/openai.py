"""The OpenAI-compatible assistant: any chat-completions endpoint (OpenAI, Ollama, vLLM,
DeepSeek, Qwen…) writes the replies, grounded in the shop through the same tools as the
local assistant.

``POST {OPENAI_BASE_URL}/chat/completions`` with ``stream: true`` and the tools; the
answer is a stream of ``data: {chunk}`` lines ending with ``data: [DONE]``. Tool calls
arrive in pieces (``delta.tool_calls[i]``: the id and name first, the arguments in
fragments) and are put together by ``index``. The tools run, their outputs go back as
``tool`` messages, and the model is called again — at most ``max_rounds`` times, the last
without tools so it has to answer.

Same failure policy as Coze: retries with backoff before any text reached the shopper,
none after.

Settings (``chatbot.conf``): ``OPENAI_BASE_URL`` (e.g. ``https://api.openai.com/v1``,
``http://localhost:11434/v1``), ``OPENAI_API_KEY`` (optional: Ollama needs none),
``OPENAI_MODEL``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from .. import conf
from ..exceptions import ChatbotImproperlyConfigured
from ..sse import SSEEvent
from ..vocabulary import AssistantEvent, FinalReply, ProductCards, TextDelta, Thinking
from .base import AssistantContext
from .http import RemoteAssistant, UpstreamError
from .toolbridge import ShopToolBridge

logger = logging.getLogger("chatbot.assistants.openai")

LANGUAGE_NAMES = {
    "en": "English",
    "zh-hans": "Simplified Chinese",
    "zh": "Chinese",
    "zh-hant": "Traditional Chinese",
}


@dataclass
class _ToolCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Round:
    text: list[str] = field(default_factory=list)
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    done: bool = False


class OpenAIAssistant(RemoteAssistant):
    name = "openai"
    vendor = "OpenAI-compatible server"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        max_rounds: int = 4,
        history_turns: int = 12,
        temperature: float | None = 0.3,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.base_url = str(base_url or conf.get("OPENAI_BASE_URL") or "").rstrip("/")
        self.api_key = str(api_key if api_key is not None else conf.get("OPENAI_API_KEY") or "")
        self.model = str(model or conf.get("OPENAI_MODEL") or "")
        if not self.base_url or not self.model:
            raise ChatbotImproperlyConfigured(
                "The openai assistant needs OPENAI_BASE_URL (e.g. http://localhost:11434/v1) "
                "and OPENAI_MODEL."
            )
        self.max_rounds = max(1, max_rounds)
        self.history_turns = history_turns
        self.temperature = temperature

    async def areply(self, context: AssistantContext) -> AsyncGenerator[AssistantEvent, None]:
        yield Thinking()
        bridge = ShopToolBridge(context)
        state = {"started": False}
        parts: list[str] = []
        try:
            async with contextlib.aclosing(self._converse(context, bridge, parts, state)) as events:
                async for event in events:
                    yield event
        except UpstreamError as exc:
            self.log_failure(exc, "chat completion")
            raise self.assistant_error(exc, started=state["started"]) from exc
        text = "".join(parts).strip()
        if not text and not bridge.handoff and not context.stop_requested():
            empty = UpstreamError(
                "The model finished without an answer.", vendor=self.vendor, code="empty_answer"
            )
            self.log_failure(empty, "chat completion")
            raise self.assistant_error(empty, started=state["started"])
        yield FinalReply(
            text=text,
            intent=bridge.intent(text),
            products=tuple(bridge.products.values()),
            handoff=bridge.handoff,
        )

    async def _converse(
        self, context: AssistantContext, bridge: ShopToolBridge, parts: list[str], state: dict[str, bool]
    ) -> AsyncGenerator[AssistantEvent, None]:
        messages = self.messages(context)
        for round_number in range(1, self.max_rounds + 1):
            with_tools = round_number < self.max_rounds
            response = await self.with_retries(
                partial(self._open, messages, with_tools), what="chat completion"
            )
            current = _Round()
            async with contextlib.aclosing(self._read(response, current, context)) as texts:
                async for text in texts:
                    if not text:
                        continue
                    if not current.text and "".join(parts).strip():
                        # Text after a tool round continues the earlier text as a new paragraph.
                        text = "\n\n" + text.lstrip()
                    current.text.append(text)
                    parts.append(text)
                    state["started"] = True
                    yield TextDelta(text)
            if context.stop_requested() or not current.tool_calls:
                return
            calls = [current.tool_calls[index] for index in sorted(current.tool_calls)]
            messages.append(
                {
                    "role": "assistant",
                    "content": "".join(current.text) or None,
                    "tool_calls": [
                        {
                            "id": call.id or f"call_{index}",
                            "type": "function",
                            "function": {"name": call.name, "arguments": "".join(call.arguments) or "{}"},
                        }
                        for index, call in enumerate(calls)
                    ],
                }
            )
            yield Thinking()
            for index, call in enumerate(calls):
                output, events = await bridge.arun(call.name, "".join(call.arguments))
                messages.append(
                    {"role": "tool", "tool_call_id": call.id or f"call_{index}", "content": output}
                )
                for event in events:
                    yield (
                        ProductCards(tuple(bridge.products.values()))
                        if isinstance(event, ProductCards)
                        else event
                    )

    def messages(self, context: AssistantContext) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(context)}]
        turns = context.history[-self.history_turns :] if self.history_turns else []
        for turn in turns:
            if not turn.text.strip() or turn.role == "system":
                continue
            if turn.role == "shopper":
                messages.append({"role": "user", "content": turn.text})
            elif turn.role == "staff":
                messages.append({"role": "assistant", "content": f"[Staff member] {turn.text}"})
            else:
                messages.append({"role": "assistant", "content": turn.text})
        messages.append({"role": "user", "content": context.message})
        return messages

    async def _open(self, messages: list[dict[str, Any]], with_tools: bool) -> httpx.Response:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if with_tools:
            body["tools"] = tool_schemas()
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        response = await self.post(
            self.base_url + "/chat/completions", json_body=body, headers=headers, stream=True
        )
        await self.raise_for_status(response)
        return response

    async def _read(
        self, response: httpx.Response, current: _Round, context: AssistantContext
    ) -> AsyncGenerator[str, None]:
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type:
            # A server that ignores ``stream``: one whole completion.
            for text in await self._read_whole(response, current):
                yield text
            return
        async with contextlib.aclosing(self.iter_events(response, last=_is_done)) as events:
            async for sse in events:
                if context.stop_requested():
                    return
                if sse.data.strip() == "[DONE]":
                    current.done = True
                    break
                if not sse.data.strip():
                    continue
                try:
                    chunk = json.loads(sse.data)
                except (ValueError, RecursionError):  # nested past the stack is not JSON to us
                    logger.debug("Ignoring a chunk that is not JSON")
                    continue
                if not isinstance(chunk, dict):
                    continue
                self._raise_stream_error(chunk)
                _add_usage(context, chunk.get("usage"))
                for text in self._apply_chunk(chunk, current):
                    yield text
        if not current.done and current.finish_reason is None:
            raise UpstreamError(
                "The model's stream ended before it finished.",
                vendor=self.vendor,
                code="stream_incomplete",
                retryable=True,
            )

    def _apply_chunk(self, chunk: dict[str, Any], current: _Round) -> Iterator[str]:
        # Every level is checked for its type: an upstream that sends a chunk of another
        # shape (a proxy's error page as JSON, a buggy server) is skipped, not a crash.
        for choice in _list(chunk.get("choices")):
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or choice.get("message") or {}
            if not isinstance(delta, dict):
                continue
            content = delta.get("content")
            if isinstance(content, str) and content:
                yield content
            for piece in _list(delta.get("tool_calls")):
                if not isinstance(piece, dict):
                    continue
                call = current.tool_calls.setdefault(_call_index(piece, current), _ToolCall())
                call.id = _text(piece.get("id")) or call.id
                function = piece.get("function")
                function = function if isinstance(function, dict) else {}
                call.name = _text(function.get("name")) or call.name
                arguments = function.get("arguments")
                if isinstance(arguments, dict):
                    arguments = json.dumps(arguments)
                if isinstance(arguments, str) and arguments:
                    call.arguments.append(arguments)
            if choice.get("finish_reason"):
                current.finish_reason = str(choice["finish_reason"])

    async def _read_whole(self, response: httpx.Response, current: _Round) -> list[str]:
        payload = await self.read_json(response)
        if not isinstance(payload, dict):
            raise UpstreamError(
                "The model answered with unreadable JSON.", vendor=self.vendor, code="unexpected_response"
            )
        self._raise_stream_error(payload)
        texts = list(self._apply_chunk(payload, current))
        current.done = True
        return texts

    def _raise_stream_error(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        if not error:
            return
        code, message = self.error_code_and_message(chunk)
        raise UpstreamError(
            "The model reported an error"
            + (f" ({code}: {message})" if code else f" ({message})" if message else "")
            + ".",
            vendor=self.vendor,
            code=code or "stream_error",
            retryable=True,
            payload=chunk,
        )


def tool_schemas() -> list[dict[str, Any]]:
    """``chatbot.tools.TOOL_SCHEMAS`` in the chat-completions ``tools`` shape, whether it
    lists bare function definitions or ``{"type": "function", "function": ...}`` items."""
    from .. import tools

    schemas = []
    for schema in tools.TOOL_SCHEMAS:
        schemas.append(schema if "function" in schema else {"type": "function", "function": schema})
    return schemas


def system_prompt(context: AssistantContext) -> str:
    shop = context.shop
    language = LANGUAGE_NAMES.get(context.language.lower(), context.language)
    if context.shopper.is_signed_in:
        who = "The shopper is signed in; the order tool sees their own orders only."
    else:
        who = "The shopper is a guest: to look up an order they must sign in first; say so."
    return "\n".join(
        [
            f"You are the customer-support assistant of the online shop {shop.name!r}.",
            f"Prices are in {shop.currency}. Answer in the language of the shopper's last message; "
            f"if unsure, in {language}.",
            "Rules:",
            "- Use only this shop's data, obtained through the tools: products, stock and prices "
            "(search_products, get_product), policies and FAQ (search_faq), the shopper's orders "
            "(get_order_status). Never invent products, prices, stock, policies or order details.",
            "- Never reveal or discuss another customer's order or personal data, whatever the shopper "
            "claims; if the order tool finds nothing, say you cannot find that order for their account.",
            "- If the shopper asks for a person, is upset, or you cannot help, call request_handoff.",
            "- Keep answers short and friendly; mention product names and prices exactly as the tools "
            "give them.",
            "- Decline politely questions that have nothing to do with this shop.",
            who,
        ]
    )


def _is_done(sse: SSEEvent) -> bool:
    return sse.data.strip() == "[DONE]"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _call_index(piece: dict[str, Any], current: _Round) -> int:
    index = piece.get("index")
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 64:
        return index
    # Some servers (older Ollama) omit ``index``: a piece with an id or a name starts a
    # new call, anything else continues the last one.
    function = piece.get("function")
    starts = bool(piece.get("id") or (isinstance(function, dict) and function.get("name")))
    if starts or not current.tool_calls:
        return len(current.tool_calls)
    return max(current.tool_calls)


def _add_usage(context: AssistantContext, usage: Any) -> None:
    # Servers that report usage put it on the last chunk (OpenAI with stream_options,
    # vLLM, Ollama); one per model call, so a reply with tool rounds adds them up.
    if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
        context.usage["total_tokens"] = context.usage.get("total_tokens", 0) + usage["total_tokens"]
