import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import AsyncClient

from chatbot.gateway import protocol, secrets
from chatbot.models import GatewayShop
from tests.assistants_contract.fake_openai import MODEL, FakeChatModel
from tests.assistants_contract.upstream import FakeUpstream

SHOP_SECRET = "shop-a-secret-5b1e0c"
OTHER_SECRET = "shop-b-secret-9f7d2a"
TOOL_SECRET = "shop-a-tools-71c3d8"
SHOP_ORIGIN = "https://shop-a.example"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def model():
    fake = FakeChatModel()
    with FakeUpstream(fake.routes()) as upstream:
        yield fake, upstream


@pytest.fixture
def shops(model):
    """Two shops on the gateway, each with its own secret; both answered by the fake model."""
    _, upstream = model
    a = GatewayShop.objects.create(
        shop_id="shop-a",
        name="Shop A",
        secret=secrets.seal(SHOP_SECRET),
        tool_secret=secrets.seal(TOOL_SECRET),
        allowed_origins=SHOP_ORIGIN,
        openai_base_url=upstream.url + "/v1",
        openai_model=MODEL,
    )
    b = GatewayShop.objects.create(
        shop_id="shop-b",
        secret=secrets.seal(OTHER_SECRET),
        allowed_origins="https://shop-b.example",
        openai_base_url=upstream.url + "/v1",
        openai_model=MODEL,
    )
    return a, b


def chat_body(message="Hello there", shop="shop-a", **extra) -> bytes:
    body = {
        "request_id": str(time.monotonic_ns()),
        "shop": {"id": shop, "name": "Shop A", "currency": "USD", "language": "en"},
        "conversation_id": "7",
        "chat_user_id": "u-7",
        "signed_in": False,
        "message": message,
        "history": [],
        "language": "en",
        "state": {},
        "tools": None,
        **extra,
    }
    return json.dumps(body).encode()


def signed(body: bytes, shop="shop-a", secret=SHOP_SECRET, now=None) -> dict[str, str]:
    return protocol.signed_headers(shop, secret, body, now=now)


def post_chat(body: bytes, headers: dict[str, str]):
    """POST to the gateway as the shop does; the streamed body read to its end."""

    async def go():
        response = await AsyncClient().post(
            protocol.CHAT_PATH, body, content_type="application/json", headers=headers
        )
        if response.streaming:
            content = b"".join([chunk async for chunk in response.streaming_content])
        else:
            content = response.content
        return response, content

    return async_to_sync(go)()


def sse_events(content: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in content.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events
