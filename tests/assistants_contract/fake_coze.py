"""A fake Coze Open API on a local socket, speaking Coze's wire format as documented and
as recorded in coze-py's test data (``event:`` / ``data:`` with no space, a blank line
between events, ``done`` with ``"[DONE]"``). See tests/fixtures/coze/README.md."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

from . import brain
from .upstream import FakeUpstream, Recorded, Reply

BOT_ID = "7379462189365198898"
LOGID = "20260301123456010000000000ABCDEF"


def coze_event(name: str, data: Any) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event:{name}\ndata:{payload}\n\n"


class FakeCozeBot:
    """Routes for :class:`FakeUpstream`. ``failures`` are replies served, in order, to the
    next ``/v3/chat`` calls before the bot answers normally."""

    def __init__(self, *, follow_ups: tuple[str, ...] = ()) -> None:
        self.follow_ups = follow_ups
        self.failures: list[Reply] = []
        self.submit_failures: list[Reply] = []
        self.issued_tokens: list[str] = []
        self.revoked: set[str] = set()
        self.token_lifetime = 3600
        self.personal_token = ""
        self._ids = itertools.count(7382159487131697202)
        self.pending: dict[str, str] = {}  # chat id -> conversation id
        self.cancelled: list[str] = []

    def next_id(self) -> str:
        return str(next(self._ids))

    def routes(self) -> dict:
        return {
            "/api/permission/oauth2/token": self.token,
            "/v1/conversation/create": self.create_conversation,
            "/v3/chat": self.chat,
            "/v3/chat/submit_tool_outputs": self.submit_tool_outputs,
            "/v3/chat/cancel": self.cancel,
        }

    # --- endpoints -------------------------------------------------------------------

    def token(self, request: Recorded) -> Reply:
        token = f"czs_fake_access_{len(self.issued_tokens) + 1}_x9Qm"
        self.issued_tokens.append(token)
        return Reply.json(
            {
                "access_token": token,
                "expires_in": int(time.time()) + self.token_lifetime,
                "token_type": "Bearer",
            }
        )

    def authorized(self, request: Recorded) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        valid = set(self.issued_tokens) | ({self.personal_token} if self.personal_token else set())
        return token in valid and token not in self.revoked

    def auth_error(self) -> Reply:
        return Reply.json(
            {"code": 4100, "msg": "authentication is invalid", "detail": {"logid": LOGID}},
            status=401,
            headers={"x-tt-logid": LOGID},
        )

    def create_conversation(self, request: Recorded) -> Reply:
        if not self.authorized(request):
            return self.auth_error()
        return Reply.json(
            {
                "code": 0,
                "msg": "",
                "data": {"id": self.next_id(), "created_at": int(time.time()), "meta_data": {}},
                "detail": {"logid": LOGID},
            }
        )

    def chat(self, request: Recorded) -> Reply:
        if not self.authorized(request):
            return self.auth_error()
        if self.failures:
            return self.failures.pop(0)
        conversation_id = request.query["conversation_id"]
        body = request.json
        message = body["additional_messages"][-1]["content"]
        chat_id = self.next_id()
        decision = brain.decide(message)
        events = [*self._chat_start(conversation_id, chat_id)]
        if decision is None:
            events += self._answer(conversation_id, chat_id, brain.PLAIN_ANSWER)
        else:
            name, arguments = decision
            self.pending[chat_id] = conversation_id
            events.append(
                coze_event(
                    "conversation.message.completed",
                    self._message(
                        conversation_id,
                        chat_id,
                        "function_call",
                        json.dumps({"name": name, "arguments": arguments, "plugin_type": 2}),
                    ),
                )
            )
            events.append(
                coze_event(
                    "conversation.chat.requires_action",
                    {
                        **self._chat(conversation_id, chat_id, "requires_action"),
                        "required_action": {
                            "type": "submit_tool_outputs",
                            "submit_tool_outputs": {
                                "tool_calls": [
                                    {
                                        "id": f"call_{chat_id}",
                                        "type": "function",
                                        "function": {"name": name, "arguments": json.dumps(arguments)},
                                    }
                                ]
                            },
                        },
                    },
                )
            )
            events.append(coze_event("done", '"[DONE]"'))
        return Reply.sse(events, headers={"x-tt-logid": LOGID})

    def submit_tool_outputs(self, request: Recorded) -> Reply:
        if not self.authorized(request):
            return self.auth_error()
        if self.submit_failures:
            return self.submit_failures.pop(0)
        chat_id = request.query["chat_id"]
        conversation_id = request.query["conversation_id"]
        if self.pending.pop(chat_id, None) != conversation_id:
            return Reply.json({"code": 4000, "msg": "chat is not waiting for tool outputs"})
        output = request.json["tool_outputs"][0]["output"]
        events = [
            coze_event("conversation.chat.in_progress", self._chat(conversation_id, chat_id, "in_progress"))
        ]
        events += self._answer(conversation_id, chat_id, brain.answer_from_tool(output))
        return Reply.sse(events, headers={"x-tt-logid": LOGID})

    def cancel(self, request: Recorded) -> Reply:
        body = request.json
        self.cancelled.append(body["chat_id"])
        return Reply.json(
            {"code": 0, "msg": "", "data": self._chat(body["conversation_id"], body["chat_id"], "canceled")}
        )

    # --- payloads --------------------------------------------------------------------

    def _chat(self, conversation_id: str, chat_id: str, status: str) -> dict[str, Any]:
        return {
            "id": chat_id,
            "conversation_id": conversation_id,
            "bot_id": BOT_ID,
            "created_at": int(time.time()),
            "last_error": {"code": 0, "msg": ""},
            "status": status,
            "usage": {"token_count": 0, "output_count": 0, "input_count": 0},
        }

    def _message(
        self, conversation_id: str, chat_id: str, kind: str, content: str, message_id: str = ""
    ) -> dict:
        return {
            "id": message_id or self.next_id(),
            "conversation_id": conversation_id,
            "bot_id": BOT_ID,
            "role": "assistant",
            "type": kind,
            "content": content,
            "content_type": "text",
            "chat_id": chat_id,
        }

    def _chat_start(self, conversation_id: str, chat_id: str) -> Iterator[str]:
        yield coze_event("conversation.chat.created", self._chat(conversation_id, chat_id, "created"))
        yield coze_event("conversation.chat.in_progress", self._chat(conversation_id, chat_id, "in_progress"))

    def _answer(self, conversation_id: str, chat_id: str, pieces: list[str]) -> list[str]:
        message_id = self.next_id()
        events = [
            coze_event(
                "conversation.message.delta", self._message(conversation_id, chat_id, "answer", p, message_id)
            )
            for p in pieces
        ]
        events.append(
            coze_event(
                "conversation.message.completed",
                self._message(conversation_id, chat_id, "answer", "".join(pieces), message_id),
            )
        )
        events.append(
            coze_event(
                "conversation.message.completed",
                self._message(
                    conversation_id,
                    chat_id,
                    "verbose",
                    json.dumps({"msg_type": "generate_answer_finish", "data": "", "from_module": None}),
                ),
            )
        )
        for question in self.follow_ups:
            events.append(
                coze_event(
                    "conversation.message.completed",
                    self._message(conversation_id, chat_id, "follow_up", question),
                )
            )
        done = self._chat(conversation_id, chat_id, "completed")
        done["usage"] = {"token_count": 633, "output_count": 19, "input_count": 614}
        events.append(coze_event("conversation.chat.completed", done))
        events.append(coze_event("done", '"[DONE]"'))
        return events


def start_fake_coze(**kwargs: Any) -> tuple[FakeUpstream, FakeCozeBot]:
    bot = FakeCozeBot(**kwargs)
    return FakeUpstream(bot.routes()).start(), bot
