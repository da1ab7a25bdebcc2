"""Health endpoints for fly's checks, load balancers and the deploy script.

- ``GET /health`` — liveness: the process answers. No database, no cache, no network, so
  a slow dependency never gets a healthy machine restarted or pulled from routing.
- ``GET /health/ready`` — readiness: the database answers ``SELECT 1``; Redis answers
  ``PING`` when ``REDIS_URL`` is set; Stream and Coze are reachable when they are in use;
  the remote chatbot gateway (``CHATBOT_NODE_URL``) answers its own ``/health`` when set.
  Each check reports ``status`` and ``latency_ms``. A failing database or Redis makes the
  answer 503 (this instance cannot serve a chat). An unreachable vendor makes it
  ``"degraded"`` but still 200: every instance sees the same outage, so pulling them all
  from routing helps no one, and the widget shows its fallback message meanwhile.

The readiness result is cached in-process for a few seconds, so a burst of probes (fly's
checks on every machine, a curl loop) costs the dependencies one round of checks.

``HealthCheckMiddleware`` answers both paths before anything else runs; see its docstring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from chatbot import conf

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/health"
READINESS_PATH = "/health/ready"

# Seconds a readiness result is reused. Shorter than fly's check interval, so each check
# sees fresh data, yet long enough to absorb a burst.
READY_CACHE_SECONDS = 5.0
# Per-dependency budget; fly's readiness check gives the whole answer 5 s.
PROBE_TIMEOUT_SECONDS = 2.0

DEFAULT_STREAM_BASE_URL = "https://chat.stream-io-api.com"

CheckResult = dict[str, Any]

_cache_lock = threading.Lock()
_cached: tuple[float, int, dict[str, Any]] | None = None


def reset_cache() -> None:
    """Forget the cached readiness answer (tests, and after a settings change)."""
    global _cached
    with _cache_lock:
        _cached = None


def _timed(check: Callable[[], None], *, critical: bool) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        latency = round((time.perf_counter() - started) * 1000, 1)
        # The class name is enough for the public answer; the details (hosts, ports) go to
        # the log only, where the operator can read them.
        logger.warning("Readiness check failed: %s", exc, exc_info=False)
        return {"status": "error", "latency_ms": latency, "critical": critical, "error": type(exc).__name__}
    latency = round((time.perf_counter() - started) * 1000, 1)
    return {"status": "ok", "latency_ms": latency, "critical": critical}


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _check_reachable(url: str) -> None:
    # Any HTTP answer (even 401/404) proves DNS, TCP and TLS work; no credentials are sent,
    # so a probe can never leak a key or count against the vendor's API quota.
    requests.head(_origin(url), timeout=PROBE_TIMEOUT_SECONDS, allow_redirects=False)


def _check_gateway(url: str) -> None:
    # Unlike a vendor API, the gateway is ours (the user's "chatbot-node") and has a health
    # route, so its answer counts, not just the connection.
    response = requests.get(f"{url.rstrip('/')}/health", timeout=PROBE_TIMEOUT_SECONDS)
    response.raise_for_status()


def run_checks() -> tuple[int, dict[str, Any]]:
    """Run every readiness check now; returns (HTTP status, body)."""
    cfg = conf.get_config()
    checks: dict[str, CheckResult] = {"database": _timed(_check_database, critical=True)}

    redis_url = cfg["REDIS_URL"]
    vendors: dict[str, Callable[[], None]] = {}
    if conf.stream_enabled():
        vendors["stream"] = partial(_check_reachable, cfg["STREAM_CHAT_BASE_URL"] or DEFAULT_STREAM_BASE_URL)
    if conf.coze_configured():
        vendors["coze"] = partial(_check_reachable, cfg["COZE_API_BASE"])
    if cfg["CHATBOT_NODE_URL"]:
        vendors["gateway"] = partial(_check_gateway, cfg["CHATBOT_NODE_URL"])

    # The network probes run side by side so the worst case stays one timeout, not the sum;
    # the database check stays on this thread, which owns this request's DB connection.
    if redis_url or vendors:
        with ThreadPoolExecutor(max_workers=1 + len(vendors)) as pool:
            futures = {name: pool.submit(_timed, probe, critical=False) for name, probe in vendors.items()}
            if redis_url:
                futures["redis"] = pool.submit(_timed, partial(_check_redis, redis_url), critical=True)
            for name in ("redis", "stream", "coze", "gateway"):
                if name in futures:
                    checks[name] = futures[name].result()

    failed_critical = any(c["status"] != "ok" and c["critical"] for c in checks.values())
    failed_any = any(c["status"] != "ok" for c in checks.values())
    if failed_critical:
        overall, http_status = "error", 503
    elif failed_any:
        overall, http_status = "degraded", 200
    else:
        overall, http_status = "ok", 200
    return http_status, {"status": overall, "checks": checks}


def cached_checks() -> tuple[int, dict[str, Any]]:
    global _cached
    # One lock for compute and read: concurrent probes wait for the one running round
    # instead of each starting their own.
    with _cache_lock:
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < READY_CACHE_SECONDS:
            return _cached[1], _cached[2]
        http_status, body = run_checks()
        _cached = (time.monotonic(), http_status, body)
        return http_status, body


@never_cache
@require_safe
def liveness(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> HttpResponse:
    http_status, body = cached_checks()
    return JsonResponse(body, status=http_status)


class HealthCheckMiddleware:
    """Answers ``GET/HEAD /health`` and ``/health/ready`` before any other middleware.

    fly's checks connect to the machine's private address over plain HTTP with that
    address as the Host header. Further down the stack, SecurityMiddleware would redirect
    them to HTTPS (SECURE_SSL_REDIRECT), host validation would refuse the unknown Host
    (ALLOWED_HOSTS, a 400), and the storefront's shop middleware would query the database
    to resolve a shop — any of which turns a healthy machine into a failed check. Answering
    here keeps the checks independent of the public host name and of the database.
    Put it first in MIDDLEWARE (after RequestIdMiddleware).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def _view_for(request: HttpRequest) -> Callable[[HttpRequest], HttpResponse] | None:
        if request.method not in ("GET", "HEAD"):
            return None
        path = request.path_info.rstrip("/") or "/"
        if path == LIVENESS_PATH:
            return liveness
        if path == READINESS_PATH:
            return readiness
        return None

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        view = self._view_for(request)
        if view is not None:
            return view(request)
        response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        view = self._view_for(request)
        if view is liveness:
            # Nothing to wait for: answer on the event loop, no hop to a worker thread.
            return liveness(request)
        if view is not None:
            # The database check needs Django's sync world (its connection is per thread).
            return await sync_to_async(view, thread_sensitive=True)(request)
        response: HttpResponseBase = await self.get_response(request)
        return response
