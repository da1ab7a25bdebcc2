"""The chat-engine seam: where messages live and how they reach the browser.

One package per engine (``local``, ``stream``), each exporting one :class:`ChatEngine`
subclass and owning everything of its engine (see docs/engines.md). The reply pipeline
(``chatbot.pipeline``) talks to engines only through this interface; views use
``session_payload`` for the token route.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Conversation, Message
    from ..vocabulary import FinalReply, ProductCard, QuickReplyOption, Shopper


class ReplyWriter:
    """Receives one assistant reply as it is produced. The pipeline calls ``thinking``
    first, then any number of ``delta``/``products``/``quick_replies``/``handoff``, then
    exactly one of ``finish`` or ``fail``. ``stop_requested`` turns true when the shopper
    pressed stop (the pipeline then ends the reply early with what it has).

    The pipeline calls a writer from an event loop: one whose methods may block (network
    calls) keeps ``blocking = True`` and is called on a pool thread, one call at a time; a
    writer that only hands events over (the local engine's) sets it False and is called
    directly, per delta, for free."""

    blocking = True

    def thinking(self) -> None:
        raise NotImplementedError

    def delta(self, text: str) -> None:
        raise NotImplementedError

    def products(self, cards: Sequence[ProductCard]) -> None:
        raise NotImplementedError

    def quick_replies(self, options: Sequence[QuickReplyOption]) -> None:
        raise NotImplementedError

    def handoff(self, reason: str) -> None:
        raise NotImplementedError

    def finish(self, final: FinalReply, *, stopped: bool = False) -> None:
        raise NotImplementedError

    def fail(self, visible_text: str, *, retryable: bool, code: str) -> None:
        raise NotImplementedError

    @property
    def stop_requested(self) -> bool:
        return False


class ChatEngine:
    name = "base"

    def session_payload(self, conversation: Conversation, shopper: Shopper) -> dict[str, Any]:
        """Engine-specific fields of the token route's answer: at least ``token``,
        ``apiKey`` (may be empty for local), ``engine`` and ``channel``."""
        raise NotImplementedError

    def deliver_shopper_message(self, conversation: Conversation, message: Message) -> None:
        """The shopper's stored message reaches the engine (local: an event; Stream: a
        channel message posted as the shopper)."""
        raise NotImplementedError

    def deliver_message(self, conversation: Conversation, message: Message) -> None:
        """A finished non-streamed message (staff, system notice) reaches the shopper."""
        raise NotImplementedError

    def open_reply(self, conversation: Conversation, reply: Message) -> ReplyWriter:
        """Start streaming the assistant message ``reply`` (already stored, status
        pending)."""
        raise NotImplementedError

    def end_sessions(self, conversation_ids: Sequence[int], data: dict[str, Any]) -> None:
        """The identity these conversations' open connections were made for changed (a
        sign-in or sign-out, ``chatbot.signin``): tell them, so the widget re-identifies.
        ``data`` is the ``session.ended`` payload. Engines whose widget learns it another
        way (Stream: the ``X-Chatbot-User`` header of the next route answer) do nothing."""
        return None

    def export_conversation(self, conversation: Conversation) -> Any:
        """The engine's own copy of this conversation for a shopper's data export
        (``chatbot.shopper_data``), as JSON-ready data, or ``None`` when the engine keeps
        none beyond the app's database (local)."""
        return None

    def delete_conversation(self, conversation: Conversation, *, last_of_shopper: bool) -> None:
        """Erase the engine's copy of this conversation before the app deletes its rows.
        ``last_of_shopper``: no other conversation of this chat user remains, so the
        engine may erase the shopper's account with it. Default: nothing to erase."""
        return None
