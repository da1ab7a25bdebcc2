"""The signed requests of the gateway protocol, shared by both sides (docs/gateway.md).

Every request (shop → gateway chat, gateway → shop tool callback) carries::

    X-Chatbot-Shop:      <shop id>
    X-Chatbot-Timestamp: <unix seconds>
    X-Chatbot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The signature covers the timestamp, so a captured request cannot be sent again later
with a fresh header; it is accepted for ``MAX_AGE_SECONDS`` either side of the
receiver's clock, and a signature seen within that window is refused (replay), which is
why every body carries a random ``request_id``. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.cache import cache

CHAT_PATH = "/gateway/v1/chat"
TOOLS_PATH = "/api/chatbot/gateway-tools"

SHOP_HEADER = "X-Chatbot-Shop"
TIMESTAMP_HEADER = "X-Chatbot-Timestamp"
SIGNATURE_HEADER = "X-Chatbot-Signature"

MAX_AGE_SECONDS = 300
_SCHEME = "sha256="


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return _SCHEME + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(shop_id: str, secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        SHOP_HEADER: shop_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Refusal(Exception):
    """Why a signed request is refused; always answered 401 with this code."""

    code: str
    message: str


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    *,
    scope: str,
    now: float | None = None,
) -> str:
    """The shop id of a correctly signed, fresh, first-seen request, else ``Refusal``.

    ``headers`` are looked up by their HTTP names (Django's ``request.headers``);
    ``secret_for(shop_id)`` is that shop's secret or ``None`` (unknown shop: refused the
    same way as a bad signature, so shop ids cannot be probed). ``scope`` separates the
    replay memory of the two directions."""
    shop_id = (headers.get(SHOP_HEADER) or "").strip()
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    given = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not shop_id or not stamp or not given:
        raise Refusal(
            "missing_signature",
            f"Signed requests need {SHOP_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.",
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise Refusal("invalid_timestamp", f"{TIMESTAMP_HEADER} must be unix seconds.") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > MAX_AGE_SECONDS:
        raise Refusal("expired", "The request's timestamp is more than 5 minutes from the server's clock.")
    secret = secret_for(shop_id)
    # Compute even for an unknown shop, so its answer takes as long as a bad signature's.
    expected = signature(secret or "-", timestamp, body)
    if not hmac.compare_digest(given.encode(), expected.encode()) or not secret:
        raise Refusal("invalid_signature", "The signature does not match this shop's secret.")
    # First-seen within the window, atomically (cache.add): a replay of the same bytes is
    # refused however quickly it follows.
    digest = hashlib.sha256(given.encode()).hexdigest()[:32]
    if not cache.add(f"chatbot:gateway:seen:{scope}:{shop_id}:{digest}", 1, 2 * MAX_AGE_SECONDS + 5):
        raise Refusal("replayed", "This request was already received.")
    return shop_id
