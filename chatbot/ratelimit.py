"""Per-visitor rate limits on state-changing routes, counted in the shared cache."""

from __future__ import annotations

import time

from django.core.cache import cache

from . import conf
from .exceptions import ApiError


def enforce(scope: str, visitor_key: str, *, limit: int | None = None, window: int | None = None) -> None:
    """Allow ``limit`` requests per ``window`` seconds for this visitor and scope; beyond
    that, a 429 with ``Retry-After`` (seconds until the window ends)."""
    limit = int(limit if limit is not None else conf.get("CHATBOT_RATE_LIMIT"))
    window = int(window if window is not None else conf.get("CHATBOT_RATE_LIMIT_WINDOW"))
    now = int(time.time())
    bucket = now // window
    key = f"chatbot:rate:{scope}:{visitor_key}:{bucket}"
    # add() is atomic on every cache backend, so two first requests don't both reset it.
    if cache.add(key, 1, window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, window + 5)
            count = 1
    if count > limit:
        retry_after = max(1, (bucket + 1) * window - now)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
