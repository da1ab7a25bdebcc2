"""A fake OpenAI-compatible ``/v1/chat/completions`` on a local socket, streaming chunks as
OpenAI documents them (``data: {chunk}``, a blank line, ``data: [DONE]``), tool calls in
fragments by ``index``. See tests/fixtures/openai/README.md."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from . import brain
from .upstream import Recorded, Reply

MODEL = "qwen2.5:7b-instruct"


def chunk(delta: dict[str, Any], finish_reason: str | None = None, *, id: str = "chatcmpl-fake") -> str:
    payload = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "system_fingerprint": "fp_ollama",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


DONE = "data: [DONE]\n\n"


class FakeChatModel:
    def __init__(self, *, api_key: str = "") -> None:
        self.api_key = api_key
        self.failures: list[Reply] = []
        self.bodies: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def routes(self) -> dict:
        return {"/v1/chat/completions": self.completions}

    def completions(self, request: Recorded) -> Reply:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.json(
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
                status=401,
            )
        if self.failures:
            return self.failures.pop(0)
        body = request.json
        self.bodies.append(body)
        messages = body["messages"]
        last = messages[-1]
        if last["role"] == "tool":
            return Reply.sse(self._text(brain.answer_from_tool(last["content"])))
        decision = brain.decide(last["content"]) if body.get("tools") else None
        if decision is None:
            return Reply.sse(self._text(brain.PLAIN_ANSWER))
        name, arguments = decision
        text = json.dumps(arguments)
        half = len(text) // 2
        call_id = f"call_{next(self._ids)}"
        return Reply.sse(
            [
                chunk(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": call_id,
                                "type": "function",
                                "function": {"name": name, "arguments": ""},
                            }
                        ],
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": text[:half]}}]}),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": text[half:]}}]}),
                chunk({}, "tool_calls"),
                DONE,
            ]
        )

    def _text(self, pieces: list[str]) -> list[str]:
        return [
            chunk({"role": "assistant", "content": ""}),
            *(chunk({"content": piece}) for piece in pieces),
            chunk({}, "stop"),
            DONE,
        ]
