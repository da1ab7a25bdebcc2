"""Who is chatting, taken from the server session only — never from a request body.

- A signed-in customer (the adapter's ``customer_for_request``) gets a stable chat user id
  derived with HMAC from the site's secret, so it reveals nothing about the account.
- A guest gets a random id kept in a signed, HttpOnly, SameSite=Lax cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from . import conf
from .adapters import get_adapter
from .assistants.base import Shopper

_GUEST_SALT = "chatbot.identity.guest"


@dataclass(frozen=True)
class Identity:
    shopper: Shopper
    role: str  # "customer" or "visitor" (the seed's userRole)
    new_guest_id: str | None = None  # set when a guest cookie must be (re)issued


def customer_chat_id(customer_ref: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"customer:{customer_ref}".encode(), hashlib.sha256)
    return "c" + digest.hexdigest()[:24]


def _read_guest_id(request: HttpRequest) -> str | None:
    raw = request.COOKIES.get(conf.get("CHATBOT_GUEST_COOKIE"))
    if not raw:
        return None
    try:
        value = signing.get_cookie_signer(salt=_GUEST_SALT).unsign(raw)
    except signing.BadSignature:
        return None
    return value if value.startswith("g") and value[1:].isalnum() and len(value) <= 40 else None


def _guest_id_from_csrf_cookie(request: HttpRequest) -> str | None:
    """A new visitor's first requests (the token and their first message, often in
    parallel) arrive before any guest cookie exists. They all carry the CSRF cookie the
    page set, so deriving the guest id from it gives them one identity instead of two
    racing ones. HMAC keeps the cookie's value out of the id."""
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if len(secret) < 32 or not secret.isalnum():
        return None
    digest = hmac.new(settings.SECRET_KEY.encode(), f"guest:{secret}".encode(), hashlib.sha256)
    return "g" + digest.hexdigest()[:24]


def identify(request: HttpRequest, language: str = "en") -> Identity:
    """The shopper behind this request (cached on the request)."""
    cached = getattr(request, "_chatbot_identity", None)
    if cached is not None:
        return cached
    customer = get_adapter().customer_for_request(request)
    if customer is not None:
        ref, name = customer
        identity = Identity(Shopper(customer_chat_id(ref), name, ref, language), "customer")
    else:
        guest_id = _read_guest_id(request)
        new_id = None
        if guest_id is None:
            guest_id = new_id = _guest_id_from_csrf_cookie(request) or "g" + secrets.token_hex(12)
        name = ("访客 " if language.startswith("zh") else "Guest ") + guest_id[-4:].upper()
        identity = Identity(Shopper(guest_id, name, None, language), "visitor", new_id)
    request._chatbot_identity = identity  # type: ignore[attr-defined]
    return identity


def remember_guest(response: HttpResponseBase, identity: Identity) -> None:
    """Issue the guest cookie when ``identify`` minted a new guest id."""
    if identity.new_guest_id is None:
        return
    response.set_cookie(
        conf.get("CHATBOT_GUEST_COOKIE"),
        signing.get_cookie_signer(salt=_GUEST_SALT).sign(identity.new_guest_id),
        max_age=conf.get("CHATBOT_GUEST_COOKIE_AGE"),
        httponly=True,
        samesite="Lax",
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    )
