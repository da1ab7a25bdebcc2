"""The contract's JSON for a stored message (docs/contracts.md, "Message"): what the
routes answer and what every engine delivers. Engine-neutral, so engines need nothing of
the web layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .vocabulary import quick_replies_json

if TYPE_CHECKING:
    from .models import Message


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "clientMessageId": message.client_message_id,
        "role": message.role,
        "text": message.text,
        "status": message.status,
        "replyTo": message.reply_to_id,
        "createdAt": message.created_at.isoformat() if message.created_at else None,
        "products": message.products or [],
        "quickReplies": quick_replies_json(message.quick_replies),
        "action": message.action,
        "handoff": message.handoff,
        # A system message the widget acts on: handoff, away (the email form), back, closed.
        "notice": message.notice or None,
    }
