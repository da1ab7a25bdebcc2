"""Open event streams hold no database connection: on PostgreSQL with a pool of two, six
shoppers keep their streams open while everyone else is served and replies still run.

The request's thread stays lent to its stream for the stream's whole life
(config.asgi_handler), so a connection it took while authorising the stream would be held
until the stream ends: six streams would starve a pool of two and every other request
would wait out the pool's timeout."""

from __future__ import annotations

import time

import psycopg
import pytest

from bench._chat_load import throwaway_postgres
from tests.support.live import LiveSite, Shopper, wait_for

SERVER = "postgres://postgres@127.0.0.1:5432"
FAKES = {
    "CHATBOT_SHOP_ADAPTER": "tests.support.shops.MemoryShopAdapter",
    "CHATBOT_ASSISTANT": "tests.support.assistants.TickingAssistant",
    "CHATBOT_FAKE_TICKS": "3",
    "REDIS_URL": "",
    "DB_POOL_MAX": "2",
    "DB_POOL_TIMEOUT": "4",
}


@pytest.fixture(scope="module")
def database_url():
    try:
        psycopg.connect(f"{SERVER}/postgres").close()
    except psycopg.Error:
        pytest.fail(f"PostgreSQL must run on {SERVER} for this test (see README)")
    with throwaway_postgres(SERVER) as url:
        yield url


def test_six_open_streams_on_a_pool_of_two_leave_the_chat_answering(database_url):
    with LiveSite(env=FAKES, database_url=database_url) as site:
        site.manage("migrate", "--noinput")
        base = site.start()
        shoppers, streams = [], []
        try:
            for _ in range(6):
                shopper = Shopper(base, "acme")
                shopper.token()
                stream = shopper.session.get(f"{base}/api/chatbot/events?shop=acme", stream=True, timeout=10)
                assert stream.status_code == 200
                assert stream.raw.read1(100).startswith(b"retry:")  # open, and stays open
                shoppers.append(shopper)
                streams.append(stream)
            started = time.monotonic()
            newcomer = Shopper(base, "acme")
            assert newcomer.token()["userId"]  # would wait out the pool's 4 s, then fail
            assert time.monotonic() - started < 3
            for i, shopper in enumerate(shoppers):
                body = {"text": "hi", "clientMessageId": f"p-{i}"}
                sent = shopper.post("/api/chatbot/stream-message", body)
                assert sent.status_code == 202, sent.text

            def replies_done() -> bool:
                for shopper in shoppers:
                    history = shopper.session.get(f"{base}/api/chatbot/history?shop=acme", timeout=10)
                    assert history.status_code == 200
                    if [m["status"] for m in history.json()["messages"]] != ["received", "done"]:
                        return False
                return True

            assert wait_for(replies_done, 15)
        finally:
            for stream in streams:
                stream.close()
        assert "Traceback" not in site.log(base)
