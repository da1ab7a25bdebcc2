"""The shop side of the tool callback: ``POST /api/chatbot/gateway-tools``.

The gateway's model asked for a shop tool; the gateway asks this shop. The request is
signed with ``CHATBOT_WEBHOOK_SECRET`` (``chatbot.gateway.protocol``: fresh, first-seen,
constant-time) and carries the conversation token this shop issued with the chat request
(``chatbot.gateway.tokens``). The tool runs for that conversation of this shop only, as
its shopper: the customer comes from the shop's own conversation record, so the gateway
can neither name another customer nor read another conversation's or shop's results.

Body ``{token, name, arguments}`` → 200 ``{"result": <the tool's JSON>}``; a refused
signature is 401, a bad or expired token 403, both as ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import conf, jsonbody, tools
from ..adapters import get_adapter
from ..assistants.base import AssistantContext
from ..exceptions import ApiError, error_response
from ..models import Conversation
from ..shops import shop_info
from ..vocabulary import Shopper
from . import protocol
from . import tokens as conversation_tokens

logger = logging.getLogger("chatbot.gateway")

MAX_BODY_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def gateway_tools(request: HttpRequest) -> HttpResponse:
    secret = str(conf.get("CHATBOT_WEBHOOK_SECRET") or "")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return error_response(ApiError(413, "too_large", "The tool call is too large."))
    try:
        shop_id = protocol.verify(request.headers, body, lambda _shop: secret or None, scope="tools")
    except protocol.Refusal as refusal:
        logger.warning("Tool callback refused: %s", refusal.code)
        return error_response(ApiError(401, refusal.code, refusal.message))
    try:
        call = jsonbody.loads(body)  # the chat's one guard: nesting, encoding, constants
    except jsonbody.InvalidJSON:
        call = None
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        return error_response(ApiError(400, "invalid_request", "The body must be {token, name, arguments}."))
    named = conversation_tokens.read(str(call.get("token") or ""))
    if named is None or named[0] != shop_id:
        return error_response(
            ApiError(403, "invalid_token", "The conversation token is not valid for this shop.")
        )
    context = _context(shop_id, named[1])
    if context is None:
        return error_response(ApiError(403, "invalid_token", "No such conversation in this shop."))
    arguments = call.get("arguments")
    result = tools.run_tool(call["name"], arguments if isinstance(arguments, dict | str) else None, context)
    response = JsonResponse({"result": _jsonable(result)}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _context(shop_id: str, conversation_id: str) -> AssistantContext | None:
    conversation = Conversation.objects.filter(pk=_int(conversation_id), shop_id=shop_id).first()
    shop = shop_info(shop_id)
    if conversation is None or shop is None:
        return None
    return AssistantContext(
        shop=shop,
        # Who is chatting, from the shop's own record: never from the gateway's word.
        shopper=Shopper(
            chat_user_id=conversation.chat_user_id,
            display_name=conversation.display_name,
            customer_ref=conversation.customer_ref,
            language=conversation.language,
        ),
        message="",
        adapter=get_adapter(),
        language=conversation.language or shop.language,
        conversation_id=str(conversation.pk),
    )


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def _jsonable(value: Any) -> Any:
    # Tool results are JSON-shaped; anything else (a Decimal, a date) becomes its text.
    return json.loads(json.dumps(value, default=str))
