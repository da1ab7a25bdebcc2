"""Sign-in and sign-out are identity changes the chat follows.

- Sign-in: the guest's conversations in that browser join the customer's, as shops merge
  a cart — the conversation is re-keyed to the customer, or, if the customer already has
  one in that shop, its messages move over. The guest id leaves the session, and the
  guest's open event streams are told ``session.ended`` so the widget re-identifies.
- Sign-out: the customer's streams opened with that session are told ``session.ended``.
  Django then flushes the session, so the browser is a new guest with an empty chat.

Both run from Django's ``user_logged_in``/``user_logged_out`` signals, which every
standard login path sends (the admin, ``LoginView``, django-allauth). ``identify`` also
carries a guest over lazily for hosts that sign people in some other way.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from .adapters import get_adapter
from .conversations import forget_ref
from .engines import get_engine
from .identity import SESSION_GUEST_KEY, customer_chat_id, forget_identity, session_guest_id
from .models import Conversation

logger = logging.getLogger("chatbot.signin")

SESSION_ENDED = "session.ended"


def session_fingerprint(session_key: str | None) -> str:
    """Names a session in events without revealing its key (events are replayable)."""
    if not session_key:
        return ""
    return salted_hmac("chatbot.signin.session", session_key, algorithm="sha256").hexdigest()[:20]


def end_streams(conversation_ids: list[int], reason: str, session_key: str | None = None) -> None:
    """Tell the open event streams of these conversations that their session ended.
    With ``session_key``, only the streams opened with that session end (the customer's
    other devices stay signed in)."""
    data: dict[str, Any] = {"reason": reason, "at": time.time()}
    if session_key:
        data["sid"] = session_fingerprint(session_key)
    try:
        get_engine().end_sessions(conversation_ids, data)
    except Exception:  # a hub outage must not break signing in or out
        logger.warning("could not tell conversations %s their session ended", conversation_ids, exc_info=True)


REPLACED_SECONDS = 120


def _replaced_key(session_key: str) -> str:
    return f"chatbot:session-replaced:{session_fingerprint(session_key)}"


def mark_replaced(request: HttpRequest) -> None:
    """Remember that the session cookie this request came with is being replaced.

    The streams hear ``session.ended`` before the browser has the sign-in (or sign-out)
    response with its new cookie, and the widget asks again at once — with the old
    cookie. Served, that request would read an empty session, and Django would answer it
    by deleting or replacing the cookie: arriving after the new one, that signs the
    shopper out again. ``session_replaced`` lets the chat routes refuse such a request
    with 409 without touching the session, and the widget retries a moment later.
    """
    old = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if old:
        cache.set(_replaced_key(old), 1, REPLACED_SECONDS)


def session_replaced(request: HttpRequest) -> bool:
    """The request carries a session cookie a sign-in or sign-out just replaced."""
    old = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return old is not None and cache.get(_replaced_key(old)) is not None


def carry_guest_into_customer(
    request: HttpRequest, guest_id: str, chat_id: str, customer_ref: str, name: str
) -> list[int]:
    """Moves the guest's conversations (every shop) to the customer; returns the ids of
    the guest conversations whose streams must end."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_GUEST_KEY, None)
    forget_identity(request)
    touched: list[int] = []
    with transaction.atomic():
        guests = list(Conversation.objects.select_for_update().filter(chat_user_id=guest_id))
        for guest in guests:
            touched.append(guest.pk)
            target = (
                Conversation.objects.select_for_update()
                .filter(shop_id=guest.shop_id, chat_user_id=chat_id)
                .first()
            )
            if target is None:
                guest.chat_user_id = chat_id
                guest.customer_ref = customer_ref
                guest.display_name = name
                guest.save(update_fields=["chat_user_id", "customer_ref", "display_name", "updated_at"])
            else:
                _move_messages(guest, target)
        for guest in guests:
            forget_ref(guest.shop_id, guest_id)
            forget_ref(guest.shop_id, chat_id)
    if touched:
        transaction.on_commit(lambda: end_streams(touched, "signed_in"))
        logger.info("carried %d guest conversation(s) into a customer's account", len(touched))
    return touched


def _move_messages(guest: Conversation, target: Conversation) -> None:
    """The guest's messages join the customer's conversation, in time order (history
    sorts by time). A client message id both used keeps the customer's message."""
    taken = set(target.messages.exclude(client_message_id=None).values_list("client_message_id", flat=True))
    guest.messages.filter(client_message_id__in=taken).update(client_message_id=None)
    guest.messages.update(conversation=target)
    fields = ["updated_at"]
    if guest.handoff_at and (target.handoff_at is None or guest.handoff_at > target.handoff_at):
        # The guest's hand-off carries over with its state (they agree: chatbot.inbox.states).
        target.handoff_at = guest.handoff_at
        target.state = guest.state
        fields += ["handoff_at", "state"]
    if guest.contact_email and not target.contact_email:
        target.contact_email = guest.contact_email
        fields.append("contact_email")
    target.save(update_fields=fields)
    guest.delete()


@receiver(user_logged_in, dispatch_uid="chatbot.signin.signed_in")
def _signed_in(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    if request is None:
        return
    mark_replaced(request)
    guest_id = session_guest_id(request)
    if guest_id is None:
        return
    customer = get_adapter().customer_for_request(request)
    if customer is None:  # the adapter does not count this user as a customer (staff?)
        return
    ref, name = customer
    carry_guest_into_customer(request, guest_id, customer_chat_id(ref), ref, name)


@receiver(user_logged_out, dispatch_uid="chatbot.signin.signed_out")
def _signed_out(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    if request is None:
        return
    mark_replaced(request)
    forget_identity(request)
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if not session_key:
        return  # no session, so no stream of this browser's to end
    customer = get_adapter().customer_for_request(request)
    guest_id = session_guest_id(request)
    owners = [customer_chat_id(customer[0])] if customer is not None else []
    if guest_id is not None:
        owners.append(guest_id)
    ids = list(Conversation.objects.filter(chat_user_id__in=owners).values_list("pk", flat=True))
    if ids:
        end_streams(ids, "signed_out", session_key)
