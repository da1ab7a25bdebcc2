"""Reading what an engine put out, the way the widget reads it, into one neutral shape.

- :class:`HubObserver` (local engine): the conversation's events in the event hub, i.e.
  what the SSE route replays to a browser (``get_hub().replay``), folded like the
  widget's local transport does.
- :class:`StreamObserver` (Stream engine): the HTTP calls the engine made to the Stream
  double that Stream accepted, in order, mapped like the widget's Stream transport
  (``widget/src/transport/stream.ts``, ``toMessage``) maps channel messages.

Both are strict about the raw output as they read it: a reply event naming no message, or
any output for a reply after its end, fails the test.
"""

from __future__ import annotations

import contextlib
import queue
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from chatbot.engines.local.hub import Event, get_hub
from chatbot.engines.stream import client as stream_client
from chatbot.models import Conversation, Message

ROLES = {"shopper", "assistant", "staff", "system"}


@dataclass
class Shown:
    """One message as the shopper's channel shows it."""

    id: int  # our Message pk, whatever id the engine uses itself
    role: str
    text: str
    status: str
    client_message_id: str | None = None
    reply_to: int | None = None
    products: list[str] = field(default_factory=list)  # skus
    quick_replies: list[str] = field(default_factory=list)
    handoff: bool = False
    retryable: bool | None = None  # failed replies only
    code: str = ""  # failed replies only


@dataclass
class ReplyTrace:
    """What the shopper saw of one reply, in order: ``("thinking", None)``,
    ``("text", <all the text shown so far>)``, ``("products", [skus])``,
    ``("quick_replies", [...])``, ``("end", Shown)``."""

    steps: list[tuple[str, Any]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.steps]

    @property
    def texts(self) -> list[str]:
        return [value for kind, value in self.steps if kind == "text"]

    @property
    def final(self) -> Shown:
        ends = [value for kind, value in self.steps if kind == "end"]
        assert len(ends) == 1, f"one end expected, got {self.steps}"
        assert self.steps[-1][0] == "end", f"output after the end: {self.steps}"
        return ends[0]

    def add(self, kind: str, value: Any = None) -> None:
        assert "end" not in self.kinds(), f"{kind} after the reply ended: {self.steps}"
        self.steps.append((kind, value))


class Observer:
    def watch(self, conversation: Conversation) -> None:
        """Called before the test touches ``conversation``."""

    def channel(self, conversation: Conversation) -> list[Shown]:
        raise NotImplementedError

    def reply(self, conversation: Conversation, reply_id: int) -> ReplyTrace:
        raise NotImplementedError


# ---------------------------------------------------------------- local: the event hub


def _from_message_json(data: dict[str, Any]) -> Shown:
    return Shown(
        id=data["id"],
        role=data["role"],
        text=data["text"],
        status=data["status"],
        client_message_id=data["clientMessageId"],
        reply_to=data["replyTo"],
        products=[card["sku"] for card in data["products"]],
        quick_replies=list(data["quickReplies"]),
        handoff=data["handoff"],
    )


class HubObserver(Observer):
    """Reads a conversation as a browser with its event stream open does: a subscriber
    added when the test starts watching gets every event live (the replay buffer keeps a
    reply's deltas only while it runs, so reading it afterwards would not show them)."""

    def __init__(self) -> None:
        self.hub = get_hub()
        self.marks: dict[int, str] = {}
        self.subscribers: dict[int, Any] = {}
        self.seen: dict[int, list[Event]] = {}

    def watch(self, conversation: Conversation) -> None:
        # The hub outlives a test (and Redis outlives the run); read only what came after.
        assert self.hub.flush(), "the hub's publisher did not write its queue"
        earlier = self.hub.replay(conversation.pk, "0-0")
        self.marks[conversation.pk] = earlier[-1].id if earlier else "0-0"
        self.hub._ensure_listening_sync()  # the Redis hub's listener, as an open stream has
        self.subscribers[conversation.pk] = self.hub.fanout.add(conversation.pk, sync=True)
        self.seen[conversation.pk] = []

    def close(self) -> None:
        for conversation_id, subscriber in self.subscribers.items():
            self.hub.fanout.remove(conversation_id, subscriber)

    def events(self, conversation: Conversation) -> list[tuple[str, dict[str, Any]]]:
        assert conversation.pk in self.marks, "watch() the conversation first"
        # The Redis hub publishes in batches from its own thread: wait for what was queued,
        # then until the live subscriber has had the last event the hub holds.
        assert self.hub.flush(), "the hub's publisher did not write its queue"
        held = self.hub.replay(conversation.pk, self.marks[conversation.pk])
        seen = self.seen[conversation.pk]
        inbox = self.subscribers[conversation.pk].squeue
        deadline = time.monotonic() + 5
        while held and not any(e.id == held[-1].id for e in seen) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                seen.append(inbox.get(timeout=0.05))
        while not inbox.empty():
            seen.append(inbox.get_nowait())
        return [(e.type, e.data) for e in seen]

    def channel(self, conversation: Conversation) -> list[Shown]:
        shown: dict[int, Shown] = {}
        for kind, data in self.events(conversation):
            if kind == "message.new":
                shown[data["message"]["id"]] = _from_message_json(data["message"])
            elif kind in ("reply.done", "reply.failed"):
                end = _from_message_json(data["message"])
                if kind == "reply.failed":
                    end = replace(end, retryable=data["retryable"], code=data["code"])
                shown[end.id] = end
            elif kind.startswith("reply."):
                item = shown.setdefault(
                    data["messageId"],
                    Shown(id=data["messageId"], role="assistant", text="", status="pending"),
                )
                if kind == "reply.delta":
                    item.text += data["text"]
                    item.status = "streaming"
                elif kind == "reply.products":
                    item.products = [card["sku"] for card in data["products"]]
                elif kind == "reply.quick_replies":
                    item.quick_replies = list(data["options"])
                elif kind == "reply.handoff":
                    item.handoff = True
        return list(shown.values())

    def reply(self, conversation: Conversation, reply_id: int) -> ReplyTrace:
        trace = ReplyTrace()
        text = ""
        for kind, data in self.events(conversation):
            if not kind.startswith("reply."):
                continue
            message_id = data["message"]["id"] if "message" in data else data["messageId"]
            if message_id != reply_id:
                continue
            if kind == "reply.thinking":
                trace.add("thinking")
            elif kind == "reply.delta":
                assert data["text"], "an empty delta is no output"
                text += data["text"]
                trace.add("text", text)
            elif kind == "reply.products":
                trace.add("products", [card["sku"] for card in data["products"]])
            elif kind == "reply.quick_replies":
                trace.add("quick_replies", list(data["options"]))
            elif kind == "reply.handoff":
                trace.add("handoff", data["notice"])
            elif kind == "reply.done":
                trace.add("end", _from_message_json(data["message"]))
            elif kind == "reply.failed":
                end = _from_message_json(data["message"])
                trace.add("end", replace(end, retryable=data["retryable"], code=data["code"]))
            else:
                raise AssertionError(f"unknown reply event {kind}: {data}")
        return trace


# ---------------------------------------------------------------- Stream: its REST API


def _attachments(fields: dict[str, Any]) -> tuple[list[str], list[str]]:
    attachments = fields.get("attachments") or []
    products = [a["sku"] for a in attachments if a.get("type") == "product"]
    quick = next((a for a in attachments if a.get("type") == "quick_replies"), None)
    return products, list(quick["options"]) if quick else []


class StreamObserver(Observer):
    def __init__(self, double: Any) -> None:
        self.double = double

    def _ids(self, conversation: Conversation) -> stream_client.ChannelIds:
        return stream_client.ids_for(conversation)

    def _accepted(self) -> list[Any]:
        return [call for call in list(self.double.calls) if 200 <= call.status < 300]

    def to_shown(self, message: dict[str, Any], ids: stream_client.ChannelIds) -> Shown:
        """The widget's ``toMessage``: roles by user id or ``chatbot_role``, status from
        ``ai_error``/``stopped``/``generating``."""
        assert "chatbot_message_id" in message, f"a Stream message the app cannot match: {message}"
        user_id = (message.get("user") or {}).get("id")
        labelled = message.get("chatbot_role") or ""
        if labelled in ROLES:
            role = labelled
        elif user_id == ids.shopper_id:
            role = "shopper"
        elif user_id == ids.assistant_id or message.get("ai_generated"):
            role = "assistant"
        else:
            role = "staff"
        text = message.get("text") or ""
        if message.get("ai_error"):
            status = "failed"
        elif message.get("stopped"):
            status = "stopped"
        elif role != "assistant":
            status = "received"
        elif message.get("generating"):
            status = "streaming" if text else "pending"
        else:
            status = "done"
        products, options = _attachments(message)
        failed = status == "failed"
        return Shown(
            id=int(message["chatbot_message_id"]),
            role=role,
            text=text,
            status=status,
            client_message_id=message.get("client_message_id"),
            reply_to=message.get("reply_to"),
            products=products,
            quick_replies=options,
            handoff=bool(message.get("handoff")),
            retryable=message.get("retryable") is not False if failed else None,
            code=(message.get("ai_error") or "") if failed else "",
        )

    def channel(self, conversation: Conversation) -> list[Shown]:
        ids = self._ids(conversation)
        cid = f"{stream_client.CHANNEL_TYPE}:{ids.channel_id}"
        shown = []
        for stream_id, message in list(self.double.messages.items()):
            if message["cid"] != cid:
                continue
            item = self.to_shown(message, ids)
            # The app stored the Stream id, so webhooks and later updates find the row.
            stored = Message.objects.get(pk=item.id)
            assert stored.engine_message_id == stream_id, (stored.engine_message_id, stream_id)
            assert stored.conversation_id == conversation.pk
            shown.append(item)
        return shown

    def reply(self, conversation: Conversation, reply_id: int) -> ReplyTrace:
        ids = self._ids(conversation)
        post_path = f"/channels/{stream_client.CHANNEL_TYPE}/{ids.channel_id}/message"
        event_path = f"/channels/{stream_client.CHANNEL_TYPE}/{ids.channel_id}/event"
        trace = ReplyTrace()
        stream_id = ""
        state: dict[str, Any] = {}
        shown_text, shown_products, shown_options = "", [], []
        for call in self._accepted():
            body = call.body or {}
            if call.method == "POST" and call.path == post_path:
                message = body["message"]
                if message.get("chatbot_message_id") != reply_id:
                    continue
                assert not stream_id, "the reply was posted twice"
                assert message["user"]["id"] == ids.assistant_id, "a reply is posted as the assistant"
                stream_id = message["id"]
                state = dict(message)
                if not message.get("generating"):
                    trace.add("end", self.to_shown(state, ids))  # posted whole
                continue
            if not stream_id:
                continue
            if call.method == "POST" and call.path == event_path:
                event = body["event"]
                if event.get("message_id") == stream_id and event.get("ai_state") == "AI_STATE_THINKING":
                    trace.add("thinking")
                continue
            match = re.fullmatch(r"/messages/([^/]+)(/ephemeral)?", call.path)
            if not match or match.group(1) != stream_id:
                continue
            assert body["user"]["id"] == ids.assistant_id, "the reply is updated as the assistant"
            fields = body["set"]
            if call.method == "PATCH" or fields.get("generating"):
                products, options = _attachments(fields)
                if "end" in trace.kinds():
                    trace.add("partial after the end", fields)
                if fields.get("text", shown_text) != shown_text:
                    shown_text = fields["text"]
                    trace.add("text", shown_text)
                if products and products != shown_products:
                    shown_products = products
                    trace.add("products", products)
                if options and options != shown_options:
                    shown_options = options
                    trace.add("quick_replies", options)
            else:
                state.update(fields)
                trace.add("end", self.to_shown(state, ids))
        return trace
