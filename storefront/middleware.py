"""Puts the request's shop on ``request.shop`` and speaks the shop's language."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.defaults import bad_request

from .resolver import resolve_shop


class ShopMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        shop = resolve_shop(request)
        request.shop = shop  # type: ignore[attr-defined]
        if shop is not None:
            # The shop's language wins over the browser's: a Chinese shop is in Chinese.
            translation.activate(shop.language)
            request.LANGUAGE_CODE = shop.language
        return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character anywhere in the path or the query string is a 400 before any view
    runs. PostgreSQL refuses NUL in a text comparison (``DataError``), so a search, a
    category or a product URL with ``%00`` answered 500; no page of the shop has a use
    for one, and one check here covers every path converter and query parameter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values
        ):
            return bad_request(request, ValueError("NUL character in the URL"))
        return self.get_response(request)
