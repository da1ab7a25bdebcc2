"""Who is chatting, taken from the host's session only — never from a request body or a
value page scripts can read.

- A signed-in customer (the adapter's ``customer_for_request``, which reads the Django
  request's user) gets a stable chat user id derived with HMAC from the site's secret, so
  it reveals nothing about the account. Every device signed in to the account is the
  same customer, so it sees the same conversation.
- A guest is a random id kept in the host's Django session (``chatbot.guest``). The
  session cookie is HttpOnly and signed by Django, so neither page scripts nor another
  client can learn or forge it. Signing out flushes the session, so the browser becomes a
  new guest; signing in keeps the session's data, so the guest's conversation can be
  carried into the account (``chatbot.signin``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from .adapters import get_adapter
from .vocabulary import Shopper

SESSION_GUEST_KEY = "chatbot.guest"


@dataclass(frozen=True)
class Identity:
    shopper: Shopper
    role: str  # "customer" or "visitor" (the seed's userRole)
    new_guest_id: str | None = None  # set when this request made the guest up

    @property
    def known(self) -> bool:
        """False for a visitor who has no guest id yet (and asked for nothing that mints one)."""
        return bool(self.shopper.chat_user_id)


def customer_chat_id(customer_ref: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"customer:{customer_ref}".encode(), hashlib.sha256)
    return "c" + digest.hexdigest()[:24]


def session_guest_id(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    value = session.get(SESSION_GUEST_KEY)
    if isinstance(value, str) and value.startswith("g") and value[1:].isalnum() and len(value) <= 40:
        return value
    return None


def guest_name(guest_id: str, language: str) -> str:
    return ("访客 " if language.startswith("zh") else "Guest ") + guest_id[-4:].upper()


def ensure_guest(request: HttpRequest) -> str | None:
    """The visitor's guest id, made up and put in their session if they have none.

    The chat's template tag calls this when it renders the page, so the session cookie
    arrives with the page: a new visitor's first requests (the token and a first message,
    maybe from two tabs at once) then all carry the same guest. Customers get None.
    """
    if get_adapter().customer_for_request(request) is not None:
        return None
    session = getattr(request, "session", None)
    if session is None:
        return None
    guest_id = session_guest_id(request)
    if guest_id is None:
        guest_id = "g" + secrets.token_hex(12)
        session[SESSION_GUEST_KEY] = guest_id
    return guest_id


def identify(request: HttpRequest, language: str = "en", *, mint: bool = False) -> Identity:
    """The shopper behind this request (cached on the request).

    ``mint``: a visitor without a guest id gets one (the routes that start a chat). Without
    it, such a visitor is an unknown guest (``Identity.known`` is False) who owns nothing.
    """
    cached: Identity | None = getattr(request, "_chatbot_identity", None)
    if cached is not None and (cached.known or not mint):
        return cached
    customer = get_adapter().customer_for_request(request)
    if customer is not None:
        ref, name = customer
        chat_id = customer_chat_id(ref)
        guest_id = session_guest_id(request)
        if guest_id is not None:
            # Signed in some way that bypassed Django's user_logged_in signal.
            from .signin import carry_guest_into_customer

            carry_guest_into_customer(request, guest_id, chat_id, ref, name)
        identity = Identity(Shopper(chat_id, name, ref, language), "customer")
    else:
        guest_id = session_guest_id(request)
        new_id = None
        if guest_id is None and mint:
            guest_id = new_id = ensure_guest(request)
        guest_id = guest_id or ""
        name = guest_name(guest_id, language) if guest_id else ""
        identity = Identity(Shopper(guest_id, name, None, language), "visitor", new_id)
    request._chatbot_identity = identity  # type: ignore[attr-defined]
    return identity


def forget_identity(request: HttpRequest) -> None:
    """Drop the per-request cache (after sign-in or sign-out changed who this is)."""
    if hasattr(request, "_chatbot_identity"):
        del request._chatbot_identity
