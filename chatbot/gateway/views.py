"""``POST /gateway/v1/chat`` (and its CORS preflight): the gateway's one chat route.

Order of checks: the signature (401, nothing else is read before it), the Origin header
against the shop's allowed origins (403), the shop's requests per minute (429), the body
(400/413), the shop's assistant configuration (503). Then the reply streams as SSE
(``runner.stream``). Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from .. import ratelimit
from ..exceptions import ApiError, ChatbotImproperlyConfigured, error_response
from ..offloop import in_thread
from . import chat_request, protocol, runner, shop_tools
from .models import GatewayShop
from .secrets import SecretUnavailable

logger = logging.getLogger("chatbot.gateway")

MAX_BODY_BYTES = 256 * 1024
ALLOWED_HEADERS = ", ".join(
    ["Content-Type", protocol.SHOP_HEADER, protocol.TIMESTAMP_HEADER, protocol.SIGNATURE_HEADER]
)


@csrf_exempt
async def chat(request: HttpRequest) -> HttpResponseBase:
    if request.method == "OPTIONS":
        return await in_thread(_preflight, request.headers.get("Origin") or "")
    if request.method != "POST":
        response = error_response(ApiError(405, "method_not_allowed", "Use POST."))
        response["Allow"] = "POST, OPTIONS"
        return response
    try:
        return await _chat(request)
    except ApiError as exc:
        return error_response(exc)


async def _chat(request: HttpRequest) -> HttpResponseBase:
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", "The request body is too large.")
    shop, secrets = await in_thread(_authenticate, request.headers, body)
    origin = request.headers.get("Origin") or ""
    if origin and origin.lower() not in shop.origins():
        raise ApiError(403, "origin_not_allowed", "This origin may not call the gateway for this shop.")
    await in_thread(ratelimit.enforce, "gateway", shop.shop_id, limit=shop.rate_limit, window=60)
    request_body = chat_request.parse(body, shop.shop_id, shop)
    try:
        assistant = await in_thread(runner.build_assistant, shop)
    except (ChatbotImproperlyConfigured, SecretUnavailable) as exc:
        # The operator's mistake, logged for them; the shop learns only that it is one.
        logger.error("Gateway shop %s is not configured: %s", shop.shop_id, exc)
        await in_thread(GatewayShop.count, shop.shop_id, errors=1)
        raise ApiError(503, "shop_misconfigured", "This shop's assistant is not configured.") from None
    tools = shop_tools.ShopTools(shop.shop_id, request_body.tools, secrets["tool_secret"])
    context = runner.context_for(request_body, tools)
    response = StreamingHttpResponse(
        runner.stream(shop.shop_id, assistant, context), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    if origin:
        _allow(response, origin)
    return response


def _authenticate(headers: Mapping[str, str], body: bytes) -> tuple[GatewayShop, dict[str, str]]:
    found: dict[str, Any] = {}

    def secret_for(shop_id: str) -> str | None:
        shop = GatewayShop.objects.filter(shop_id=shop_id, active=True).first()
        if shop is None:
            return None
        try:
            secret = shop.reveal("secret")
            tool_secret = shop.reveal("tool_secret")
        except SecretUnavailable as exc:
            logger.error("Gateway shop %s: %s", shop_id, exc)
            return None
        found.update(shop=shop, tool_secret=tool_secret)
        return secret or None

    try:
        # ``headers`` is Django's case-insensitive request.headers.
        protocol.verify(headers, body, secret_for, scope="chat")
    except protocol.Refusal as refusal:
        logger.warning("Gateway request refused: %s", refusal.code)
        raise ApiError(401, refusal.code, refusal.message) from None
    return found["shop"], {"tool_secret": found["tool_secret"]}


def _preflight(origin: str) -> HttpResponse:
    allowed = set()
    for shop in GatewayShop.objects.filter(active=True).only("allowed_origins"):
        allowed |= shop.origins()
    if not origin or origin.lower() not in allowed:
        return error_response(ApiError(403, "origin_not_allowed", "This origin may not call the gateway."))
    response = HttpResponse(status=204)
    _allow(response, origin)
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response["Access-Control-Max-Age"] = "600"
    return response


def _allow(response: HttpResponseBase, origin: str) -> None:
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the gateway role (a site without the shop's pages and their templates)."""
    return error_response(ApiError(404, "not_found", "No such route on this gateway."))
