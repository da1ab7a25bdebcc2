"""The client address django-axes counts failed sign-ins by: the chat's own
(``chatbot.clientaddr``), so the proxy header is believed only from trusted proxies and an
IPv6 client is one /64 — rotating addresses inside it does not reset the count; and the
page a locked-out sign-in gets."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chatbot.clientaddr import client_address


def client_ip(request: HttpRequest) -> str | None:
    address = client_address(request)
    if address == "unknown":
        return None
    # axes stores an address, not a network: an IPv6 /64 is kept as its first address.
    return address.split("/", 1)[0]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out sign-in gets (429): what happened and for how long, in the
    shop's language; the sign-in form itself (storefront or admin) is not shown again."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(request, "registration/locked_out.html", context, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
