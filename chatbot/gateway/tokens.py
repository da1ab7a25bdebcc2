"""The conversation token a shop hands the gateway with each chat request.

The gateway needs it to ask the shop for tool results, and can do nothing else with it:
it names a conversation of that shop (signed with the shop's own ``SECRET_KEY``, which the
gateway never has, so it cannot make one for another conversation), and it expires. The
shop reads who the shopper is from its own conversation record, never from the gateway.
"""

from __future__ import annotations

from django.core import signing

_SALT = "chatbot.gateway.tool-token"
# A reply with its tool rounds is over in well under this.
MAX_AGE_SECONDS = 15 * 60


def issue(shop_id: str, conversation_id: str) -> str:
    return signing.dumps({"s": shop_id, "c": conversation_id}, salt=_SALT, compress=True)


def read(token: str) -> tuple[str, str] | None:
    """(shop id, conversation id) of a valid, unexpired token, else ``None``."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("c"), str):
        return None
    return data["s"], data["c"]
