"""Limits on the chat routes, counted in the shared cache (fixed windows).

Every limit a client could dodge by changing cookies has a twin it cannot: per identity
(a guest or a customer) and per client address (``chatbot.clientaddr``); new conversations
per address per hour; and a site-wide ceiling on replies in flight, so a flood cannot
queue unbounded (and, with a paid assistant, costly) reply jobs. Each refusal is a 429
with ``Retry-After``.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from . import conf
from .clientaddr import client_address
from .exceptions import ApiError

# Replies older than this are not "in flight" any more, whatever their status says (a
# process killed mid-reply leaves one streaming; it must not count against the ceiling).
IN_FLIGHT_SECONDS = 300


def enforce(scope: str, visitor_key: str, *, limit: int | None = None, window: int | None = None) -> None:
    """Allow ``limit`` requests per ``window`` seconds for this key and scope; beyond
    that, a 429 with ``Retry-After`` (seconds until the window ends)."""
    _enforce_all([(scope, visitor_key, limit, window)])


def enforce_route(request: HttpRequest, scope: str, identity_key: str) -> None:
    """The per-address and per-identity limits of one route ("token", "message", "stop",
    "rating"), counted together: one cache round trip for both."""
    token = scope == "token"
    address_limit = conf.get("CHATBOT_ADDRESS_TOKEN_RATE_LIMIT" if token else "CHATBOT_ADDRESS_RATE_LIMIT")
    limits: list[tuple[str, str, int | None, int | None]] = [
        (f"{scope}:address", client_address(request), int(address_limit), None)
    ]
    if identity_key:
        identity_limit = conf.get("CHATBOT_TOKEN_RATE_LIMIT" if token else "CHATBOT_RATE_LIMIT")
        limits.append((scope, identity_key, int(identity_limit), None))
    _enforce_all(limits)


def _enforce_all(limits: list[tuple[str, str, int | None, int | None]]) -> None:
    """Counts one request against each (scope, key, limit, window) and refuses with the
    first limit that is over."""
    now = int(time.time())
    counted = []
    for scope, visitor_key, limit, window in limits:
        limit = int(limit if limit is not None else conf.get("CHATBOT_RATE_LIMIT"))
        window = int(window if window is not None else conf.get("CHATBOT_RATE_LIMIT_WINDOW"))
        bucket = now // window
        counted.append((f"chatbot:rate:{scope}:{visitor_key}:{bucket}", limit, window, bucket))
    counts = _count([(key, window + 5) for key, _limit, window, _bucket in counted])
    for (_key, limit, window, bucket), count in zip(counted, counts, strict=True):
        if count > limit:
            retry_after = max(1, (bucket + 1) * window - now)
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )


def _count(keys: list[tuple[str, int]]) -> list[int]:
    """Adds one to each (key, seconds to live) counter; their new values. The Redis cache
    does them all in one round trip (``FailSoftRedisCache.count_requests``); any other cache one by
    one."""
    count_all = getattr(cache, "count_requests", None)
    if count_all is not None:
        return list(count_all(keys))
    counts = []
    for key, timeout in keys:
        # add() is atomic on every cache backend, so two first requests don't both reset it.
        if cache.add(key, 1, timeout):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout)
            counts.append(1)
    return counts


def enforce_new_conversation(request: HttpRequest) -> None:
    """Called before a conversation is created: a client that mints a guest per request
    still starts only so many conversations an hour."""
    enforce(
        "new-conversation",
        client_address(request),
        limit=int(conf.get("CHATBOT_NEW_CONVERSATIONS_PER_HOUR")),
        window=3600,
    )


def enforce_reply_capacity() -> None:
    """Refuse new messages while the site already has its ceiling of replies in flight."""
    from .models import Message  # the app registry is ready by the time a route runs

    ceiling = int(conf.get("CHATBOT_MAX_QUEUED_REPLIES"))
    if ceiling <= 0:
        return
    since = timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS)
    in_flight = Message.objects.filter(
        status__in=[Message.Status.PENDING, Message.Status.STREAMING], updated_at__gte=since
    ).count()
    if in_flight >= ceiling:
        raise ApiError(
            429,
            "busy",
            "Our assistant is answering a lot of shoppers right now; please send again in a moment.",
            headers={"Retry-After": "10"},
        )
