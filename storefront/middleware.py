"""Puts the request's shop on ``request.shop`` and speaks the shop's language."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

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
