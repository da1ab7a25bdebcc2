"""The chat routes (docs/contracts.md). DRF views for the JSON routes; the event stream
is a plain async Django view so an open stream holds no thread under ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import conf, ratelimit
from .adapters import ShopInfo
from .conversations import conversation_for, conversation_ref_for
from .engines import get_engine
from .engines.local import read_events_token
from .events import get_hub
from .exceptions import ApiError, error_body
from .identity import Identity, identify, remember_guest
from .models import Conversation, Message
from .pipeline import receive_shopper_message, request_stop
from .serializers import (
    MessageRequestSerializer,
    StopRequestSerializer,
    TokenRequestSerializer,
    max_message_chars,
    message_json,
)
from .shop_settings import settings_for_shop
from .shops import shop_id_for_request, shop_info

DISABLED_MESSAGE = "The chat is switched off right now. Please try again later."
GUEST_ROLES = {"visitor", "guest", "anonymous"}
CUSTOMER_ROLES = {"customer", "user", "member"}


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:  # the reason, not a 403 page
        return reason


def chat_available(shop_id: str) -> bool:
    return bool(conf.get("CHATBOT_ENABLED")) and settings_for_shop(shop_id).enabled


class ChatAPIView(APIView):
    """Shared by every JSON chat route: kill switch, CSRF for every visitor (DRF only
    checks it for signed-in users), the shop, and the shopper's identity."""

    # Identity comes from chatbot.identity, not from DRF authentication.
    authentication_classes: list[Any] = []
    shop: ShopInfo
    identity: Identity

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not conf.get("CHATBOT_ENABLED"):
            raise ApiError(503, "chat_disabled", DISABLED_MESSAGE)
        django_request = request._request
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            reason = _CsrfCheck(lambda r: None).process_view(django_request, None, (), {})  # type: ignore[arg-type]
            if reason:
                raise ApiError(
                    403, "csrf_failed", f"CSRF check failed: {reason}. Reload the page and try again."
                )
        explicit = request.query_params.get("shop") or (
            request.data.get("shop") if isinstance(request.data, dict) else None
        )
        shop_id = shop_id_for_request(django_request, explicit)
        shop = shop_info(shop_id)
        if shop is None:
            raise ApiError(404, "unknown_shop", f"No shop {shop_id!r} here.")
        if not settings_for_shop(shop.id).enabled:
            raise ApiError(503, "chat_disabled", DISABLED_MESSAGE)
        self.shop = shop
        self.identity = identify(django_request, shop.language)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        identity = getattr(self, "identity", None)
        if identity is not None:
            remember_guest(response, identity)
        response["Cache-Control"] = "no-store"
        return response

    def conversation(self, *, create: bool = True) -> Conversation | None:
        return conversation_for(self.shop.id, self.identity.shopper, create=create)


class TokenView(ChatAPIView):
    """``POST /api/chatbot/stream-chat-token`` — the seed's route."""

    @extend_schema(request=TokenRequestSerializer, responses={200: dict, 403: dict, 503: dict})
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._refuse_other_identity(body.validated_data)
        ratelimit.enforce(
            "token", self.identity.shopper.chat_user_id, limit=int(conf.get("CHATBOT_TOKEN_RATE_LIMIT"))
        )
        shopper = self.identity.shopper
        conversation = conversation_ref_for(self.shop.id, shopper)
        payload = {
            "userId": shopper.chat_user_id,
            "userName": shopper.display_name,
            "userRole": self.identity.role,
            "shop": {"id": self.shop.id, "name": self.shop.name, "language": self.shop.language},
        }
        payload.update(get_engine().session_payload(conversation, shopper))
        return Response(payload)

    def _refuse_other_identity(self, data: dict[str, Any]) -> None:
        # A brand-new visitor has no identity yet, so a userId in the body names nobody
        # we know: they get a fresh guest identity (the seed's example works). Anyone with
        # an identity who names another user is refused, never served.
        claimed_id = (data.get("userId") or "").strip()
        if (
            claimed_id
            and self.identity.new_guest_id is None
            and claimed_id != self.identity.shopper.chat_user_id
        ):
            raise ApiError(
                403,
                "identity_mismatch",
                "userId must be your own chat identity; the server decides who you are.",
            )
        claimed_role = (data.get("userRole") or "").strip().lower()
        allowed = CUSTOMER_ROLES if self.identity.role == "customer" else GUEST_ROLES
        if claimed_role and claimed_role not in allowed:
            raise ApiError(
                403,
                "identity_mismatch",
                f"userRole {claimed_role!r} is not your role ({self.identity.role}).",
            )


class MessageView(ChatAPIView):
    """``POST /api/chatbot/stream-message`` — store the shopper's message, start a reply."""

    @extend_schema(request=MessageRequestSerializer, responses={200: dict, 202: dict, 413: dict, 429: dict})
    def post(self, request: Request) -> Response:
        text = request.data.get("text") if isinstance(request.data, dict) else None
        if isinstance(text, str) and len(text) > max_message_chars():
            raise ApiError(
                413,
                "message_too_long",
                f"Messages can be at most {max_message_chars()} characters; this one has {len(text)}.",
            )
        body = MessageRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ratelimit.enforce("message", self.identity.shopper.chat_user_id)
        conversation = self.conversation()
        assert conversation is not None
        message, reply, started = receive_shopper_message(
            conversation, body.validated_data["text"], body.validated_data["clientMessageId"]
        )
        if reply is not None:
            reply.refresh_from_db()  # the job may already have answered (inline mode, fast replies)
        answer = {"message": message_json(message), "reply": message_json(reply) if reply else None}
        return Response(answer, status=status.HTTP_202_ACCEPTED if started else status.HTTP_200_OK)


class StopView(ChatAPIView):
    """``POST /api/chatbot/stop`` — the shopper's stop button."""

    @extend_schema(request=StopRequestSerializer, responses={202: dict, 404: dict})
    def post(self, request: Request) -> Response:
        body = StopRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ratelimit.enforce("stop", self.identity.shopper.chat_user_id)
        conversation = self.conversation(create=False)
        reply = (
            Message.objects.filter(
                pk=body.validated_data["messageId"], conversation=conversation, role=Message.Role.ASSISTANT
            ).first()
            if conversation
            else None
        )
        if reply is None:
            raise ApiError(404, "not_found", "No such reply in your conversation.")
        request_stop(reply.pk)
        return Response({"status": "stopping", "messageId": reply.pk}, status=status.HTTP_202_ACCEPTED)


class HistoryView(ChatAPIView):
    """``GET /api/chatbot/history`` — the shopper's own conversation, oldest first."""

    @extend_schema(
        parameters=[
            OpenApiParameter("shop", str),
            OpenApiParameter("before", int, description="Only messages older than this id."),
            OpenApiParameter("limit", int, description="At most this many (default 50, max 200)."),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        conversation = self.conversation(create=False)
        chat = settings_for_shop(self.shop.id)
        answer: dict[str, Any] = {
            "conversation": None,
            "messages": [],
            "welcome": chat.welcome_message,
            "businessHours": chat.business_hours,
        }
        if conversation is None:
            return Response(answer)
        try:
            limit = max(1, min(200, int(request.query_params.get("limit", 50))))
            before = int(request.query_params.get("before", 0))
        except ValueError:
            raise ApiError(400, "invalid_request", "limit and before must be whole numbers.") from None
        rows = conversation.messages.order_by("-created_at", "-id")
        if before:
            rows = rows.filter(pk__lt=before)
        messages = list(rows[:limit])
        answer["conversation"] = {
            "id": conversation.pk,
            "channel": conversation.channel_id,
            "handoff": conversation.handoff_at is not None,
        }
        answer["messages"] = [message_json(m) for m in reversed(messages)]
        return Response(answer)


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status_code)
    response["Cache-Control"] = "no-store"
    return response


# Not thread-sensitive: that would pin a thread (and its database connection) to each
# open stream for the stream's whole life. The lookup runs on a pool thread instead and
# gives its connection back at once.
@sync_to_async(thread_sensitive=False)
def _authorise_stream(token: str) -> tuple[Conversation | None, str]:
    try:
        return _check_stream_token(token)
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _check_stream_token(token: str) -> tuple[Conversation | None, str]:
    claims = read_events_token(token)
    if claims is None or not isinstance(claims.get("c"), int):
        return None, "invalid_token"
    conversation = Conversation.objects.filter(pk=claims["c"], chat_user_id=claims.get("u")).first()
    if conversation is None:
        return None, "invalid_token"
    if not chat_available(conversation.shop_id):
        return None, "chat_disabled"
    return conversation, ""


async def events(request: HttpRequest) -> HttpResponseBase:
    """``GET /api/chatbot/events?token=…`` — the local engine's live events (SSE)."""
    if request.method != "GET":
        return _json_error(405, "method_not_allowed", "Use GET.")
    if not conf.get("CHATBOT_ENABLED"):
        return _json_error(503, "chat_disabled", DISABLED_MESSAGE)
    token = request.GET.get("token", "")
    if not token:
        return _json_error(401, "not_authenticated", "Pass the token from the token route as ?token=.")
    conversation, problem = await _authorise_stream(token)
    if conversation is None:
        if problem == "chat_disabled":
            return _json_error(503, "chat_disabled", DISABLED_MESSAGE)
        return _json_error(
            403, "invalid_token", "This event-stream token is not valid (expired or not yours)."
        )
    last_event_id = request.headers.get("Last-Event-ID") or request.GET.get("lastEventId", "")
    last_event_id = last_event_id[:40]
    # Under ASGI the stream is an async generator and holds no thread; under WSGI
    # (runserver, a sync gunicorn) Django would buffer an async generator forever, so the
    # stream is a plain generator there — it holds its worker thread, as WSGI must.
    stream: Iterator[str] | AsyncIterator[str] = (
        _event_stream(conversation.pk, last_event_id)
        if isinstance(request, ASGIRequest)
        else _event_stream_sync(conversation.pk, last_event_id)
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # proxies must not hold back events
    return response


# retry: how long the browser waits before reconnecting on its own.
_STREAM_OPENING = "retry: 2000\n: connected\n\n"


async def _event_stream(conversation_id: int, last_event_id: str) -> AsyncIterator[str]:
    yield _STREAM_OPENING
    async for event in get_hub().subscribe(conversation_id, last_event_id):
        yield ": ping\n\n" if event is None else event.to_sse()


def _event_stream_sync(conversation_id: int, last_event_id: str) -> Iterator[str]:
    yield _STREAM_OPENING
    for event in get_hub().subscribe_sync(conversation_id, last_event_id):
        yield ": ping\n\n" if event is None else event.to_sse()
