"""The bare stack: the same paths the bench's client uses against the chat."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

TICK = float(os.environ.get("CHATBOT_FAKE_TICK_MS", "50")) / 1000
TICKS = int(os.environ.get("BARE_TICKS", "200"))


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
def token(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"token": "", "userId": "bare"})


async def _events() -> AsyncIterator[str]:
    # What a reply looks like on the wire, emitted on the loop at the same pace.
    yield "retry: 2000\n: connected\n\n"
    for i in range(TICKS):
        await asyncio.sleep(TICK)
        text = f"[{i}@{time.time():.6f}]"
        yield f"event: reply.delta\ndata: {json.dumps({'messageId': 1, 'text': text})}\n\n"
    yield 'event: reply.done\ndata: {"message": {}}\n\n'


async def events(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("health", health),
    path("api/chatbot/stream-chat-token", token),
    path("api/chatbot/events", events),
]
