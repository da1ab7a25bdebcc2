"""The host's own DRF exception handler: a different envelope than the chat's."""

from rest_framework.views import exception_handler


def house_style(exc, context):  # type: ignore[no-untyped-def]
    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"house_error": True, "detail": str(exc)}
    return response
