"""The chat's engine-neutral JSON routes (docs/contracts.md). The local engine's event
stream is ``chatbot.engines.local.views``; Stream's webhook ``chatbot.engines.stream.webhook``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.cache import patch_vary_headers
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import conf, leases, lifecycle, ratelimit, runtime
from .adapters import ShopInfo
from .conversations import conversation_for, conversation_ref_for
from .engines import get_engine
from .exceptions import (
    ApiError,
    api_exception_handler,
    chat_disabled,
    error_response,
    session_changed,
    shutting_down,
)
from .identity import Identity, identify
from .inbox import states
from .inbox.hours import describe as describe_hours
from .jsonbody import ChatJSONParser
from .models import Conversation, ConversationRating, Message
from .pipeline import receive_shopper_message, request_stop
from .serializers import (
    ContactEmailSerializer,
    MessageRequestSerializer,
    RatingRequestSerializer,
    StopRequestSerializer,
    TokenRequestSerializer,
    max_message_chars,
    validated_body,
)
from .shop_settings import settings_for_shop
from .shops import shop_id_for_request, shop_info
from .signin import session_replaced
from .wire import message_json

GUEST_ROLES = {"visitor", "guest", "anonymous"}
CUSTOMER_ROLES = {"customer", "user", "member"}


def documented(**kwargs: Any) -> Callable[[Any], Any]:
    """``extend_schema`` on drf-spectacular's own AutoSchema: by default it extends the
    host's ``DEFAULT_SCHEMA_CLASS``, which a host without drf-spectacular leaves at DRF's."""

    def wrap(method: Any) -> Any:
        method.kwargs = {"schema": AutoSchema}
        return extend_schema(**kwargs)(method)

    return wrap


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:  # the reason, not a 403 page
        return reason


def chat_available(shop_id: str) -> bool:
    return bool(conf.get("CHATBOT_ENABLED")) and settings_for_shop(shop_id).enabled


class HostSessionAuthentication(BaseAuthentication):
    """Whoever the host's own middleware signed in (Django's session), as is.

    DRF replaces the request's user with the result of its authentication classes; with
    none, every shopper became AnonymousUser and customers were served as guests. CSRF is
    not checked here: ``ChatAPIView`` checks it for every visitor, signed in or not."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if user is not None and user.is_authenticated:
            return user, None
        return None


class _HostSessionScheme(OpenApiAuthenticationExtension):
    """Describes HostSessionAuthentication in the OpenAPI schema: the host's session cookie."""

    target_class = HostSessionAuthentication
    name = "hostSession"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": django_settings.SESSION_COOKIE_NAME}


class ChatAPIView(APIView):
    """Shared by every JSON chat route: kill switch, CSRF for every visitor (DRF only
    checks it for signed-in users), the shop, and the shopper's identity.

    Everything DRF would take from the host's ``REST_FRAMEWORK`` setting is declared here,
    so a host whose defaults differ (``IsAuthenticated``, token or basic authentication, a
    browsable renderer, its own exception handler) serves the chat exactly as the demo."""

    authentication_classes = [HostSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []  # chatbot.ratelimit does it, per identity and address
    renderer_classes = [JSONRenderer]
    parser_classes = [ChatJSONParser]  # nesting, size and encoding refused as JSON errors
    content_negotiation_class = DefaultContentNegotiation
    versioning_class = None
    schema = AutoSchema()
    # Only the token and message routes start a chat; the others never make up a guest.
    mints_guest = False
    shop: ShopInfo
    identity: Identity

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before DRF authenticates: that reads the session, and reading a replaced one
        # makes Django answer with a cookie that undoes the sign-in (chatbot.signin).
        if session_replaced(request._request):
            raise session_changed()
        runtime.adopt_server_loop(request._request)  # replies run on the server's loop
        super().initial(request, *args, **kwargs)
        if not conf.get("CHATBOT_ENABLED"):
            raise chat_disabled()
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
            raise chat_disabled()
        self.shop = shop
        self.identity = identify(django_request, shop.language, mint=self.mints_guest)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        identity = getattr(self, "identity", None)
        if identity is not None and identity.known:
            # The widget compares this on every answer: a change means a sign-in or a
            # sign-out happened (maybe in another tab), and it re-identifies.
            response["X-Chatbot-User"] = identity.shopper.chat_user_id
        # Django rotates the CSRF token at sign-in; the widget's copy would go stale.
        response["X-CSRFToken"] = get_token(request._request)
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["Cookie"])
        return response

    def conversation(self, *, create: bool = True) -> Conversation | None:
        if not self.identity.known:
            return None
        return conversation_for(
            self.shop.id,
            self.identity.shopper,
            create=create,
            before_create=lambda: ratelimit.enforce_new_conversation(self.request._request),
        )


class TokenView(ChatAPIView):
    """``POST /api/chatbot/stream-chat-token`` — the seed's route."""

    mints_guest = True

    @documented(request=TokenRequestSerializer, responses={200: dict, 403: dict, 503: dict})
    def post(self, request: Request) -> Response:
        body = validated_body(TokenRequestSerializer, request.data)
        self._refuse_other_identity(body)
        ratelimit.enforce_route(request._request, "token", self.identity.shopper.chat_user_id)
        shopper = self.identity.shopper
        conversation = conversation_ref_for(
            self.shop.id, shopper, before_create=lambda: ratelimit.enforce_new_conversation(request._request)
        )
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

    mints_guest = True

    @documented(request=MessageRequestSerializer, responses={200: dict, 202: dict, 413: dict, 429: dict})
    def post(self, request: Request) -> Response:
        text = request.data.get("text") if isinstance(request.data, dict) else None
        if isinstance(text, str) and len(text) > max_message_chars():
            raise ApiError(
                413,
                "message_too_long",
                f"Messages can be at most {max_message_chars()} characters; this one has {len(text)}.",
            )
        body = validated_body(MessageRequestSerializer, request.data)
        if lifecycle.shutting_down():
            raise shutting_down()  # before storing: the widget sends it again elsewhere
        ratelimit.enforce_route(request._request, "message", self.identity.shopper.chat_user_id)
        ratelimit.enforce_reply_capacity()
        conversation = self.conversation()
        assert conversation is not None
        message, reply, started = receive_shopper_message(
            conversation,
            body["text"],
            body["clientMessageId"],
            action=body.get("action"),
        )
        if reply is not None:
            reply.refresh_from_db()  # the job may already have answered (inline mode, fast replies)
        answer = {"message": message_json(message), "reply": message_json(reply) if reply else None}
        return Response(answer, status=status.HTTP_202_ACCEPTED if started else status.HTTP_200_OK)


class StopView(ChatAPIView):
    """``POST /api/chatbot/stop`` — the shopper's stop button."""

    @documented(request=StopRequestSerializer, responses={202: dict, 404: dict})
    def post(self, request: Request) -> Response:
        body = validated_body(StopRequestSerializer, request.data)
        ratelimit.enforce_route(request._request, "stop", self.identity.shopper.chat_user_id)
        conversation = self.conversation(create=False)
        reply = (
            Message.objects.filter(
                pk=body["messageId"], conversation=conversation, role=Message.Role.ASSISTANT
            ).first()
            if conversation
            else None
        )
        if reply is None:
            raise ApiError(404, "not_found", "No such reply in your conversation.")
        request_stop(reply.pk)
        leases.stop_orphan(reply)  # nobody is writing it any more: end it here
        return Response({"status": "stopping", "messageId": reply.pk}, status=status.HTTP_202_ACCEPTED)


class ContactEmailView(ChatAPIView):
    """``POST /api/chatbot/contact-email`` — outside business hours, the shopper waiting for
    a person leaves an email address; staff answers are sent there too."""

    @documented(request=ContactEmailSerializer, responses={200: dict, 400: dict, 409: dict})
    def post(self, request: Request) -> Response:
        body = validated_body(ContactEmailSerializer, request.data)
        ratelimit.enforce_route(request._request, "message", self.identity.shopper.chat_user_id)
        conversation = self.conversation(create=False)
        if conversation is None or conversation.state not in states.HANDED_OFF:
            raise ApiError(409, "not_waiting", "Nobody from the team is being waited for in this chat.")
        states.leave_email(conversation, body["email"])
        return Response({"contactEmail": conversation.contact_email})


class RatingView(ChatAPIView):
    """``POST /api/chatbot/rating`` — the shopper rates their own conversation once it
    was answered. Rating again before the next answer changes that rating (a second click,
    or the comment added after the score), so one exchange counts once."""

    @documented(
        request=RatingRequestSerializer, responses={201: dict, 200: dict, 400: dict, 404: dict, 409: dict}
    )
    def post(self, request: Request) -> Response:
        body = validated_body(RatingRequestSerializer, request.data)
        ratelimit.enforce_route(request._request, "rating", self.identity.shopper.chat_user_id)
        conversation = self.conversation(create=False)
        claimed = body.get("conversationId")
        if conversation is None or (claimed is not None and claimed != conversation.pk):
            raise ApiError(404, "not_found", "No such conversation of yours.")
        answered = (
            conversation.messages.filter(
                role__in=[Message.Role.ASSISTANT, Message.Role.STAFF], status=Message.Status.DONE
            )
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        if answered is None:
            raise ApiError(409, "nothing_to_rate", "Nobody has answered in this conversation yet.")
        score = body["score"]
        comment = body.get("comment", "").strip()
        rating = conversation.ratings.filter(created_at__gte=answered).order_by("-created_at", "-id").first()
        created = rating is None
        if rating is None:
            rating = ConversationRating.objects.create(
                conversation=conversation, score=score, comment=comment
            )
        else:
            rating.score = score
            rating.comment = comment or rating.comment
            rating.save(update_fields=["score", "comment"])
        answer = {
            "rating": {
                "id": rating.pk,
                "conversationId": conversation.pk,
                "score": rating.score,
                "comment": rating.comment,
                "createdAt": rating.created_at.isoformat(),
            }
        }
        return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class HistoryView(ChatAPIView):
    """``GET /api/chatbot/history`` — the shopper's own conversation, oldest first."""

    @documented(
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
            "businessHours": describe_hours(chat.business_hours, self.shop.language),
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
            "state": conversation.state,
            "contactEmail": conversation.contact_email,
        }
        answer["messages"] = [message_json(m) for m in reversed(messages)]
        return Response(answer)


def not_found(request: HttpRequest) -> JsonResponse:
    """Every other path under the chat's prefix: the chat's JSON 404."""
    return error_response(ApiError(404, "not_found", "No such chat route."))


class _UndocumentedSchema(AutoSchema):
    def is_excluded(self) -> bool:  # the schema route does not describe itself
        return True


class SchemaView(SpectacularAPIView):
    """``GET /api/chatbot/schema`` — the OpenAPI schema, public whatever the host's DRF
    defaults (``IsAuthenticated`` would hide it from the widget's developers)."""

    authentication_classes = [HostSessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    versioning_class = None
    schema = _UndocumentedSchema()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Undecorated on purpose: drf-spectacular's own @extend_schema on the parent's get
        # extends the host's DEFAULT_SCHEMA_CLASS, which may not be drf-spectacular's.
        return super().get(request, *args, **kwargs)

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return api_exception_handler
