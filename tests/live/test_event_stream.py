"""The event stream end to end: real ASGI servers on loopback, real SSE."""

import time
import uuid

import pytest
import redis

from tests.support.live import LiveSite, Shopper, reading
from tests.support.redisdb import redis_test_url

FAKES = {
    "CHATBOT_SHOP_ADAPTER": "tests.support.shops.MemoryShopAdapter",
    "CHATBOT_ASSISTANT": "tests.support.assistants.TickingAssistant",
    "CHATBOT_FAKE_TICKS": "5",
}


def events_url(base, shop="acme"):
    return f"{base}/api/chatbot/events?shop={shop}"


@pytest.fixture(scope="module")
def site():
    with LiveSite(env={**FAKES, "REDIS_URL": ""}) as live:
        live.manage("migrate", "--noinput")
        live.start()
        yield live


def test_reply_streams_over_sse_and_resumes_with_last_event_id(site):
    base = site.servers[0][1]
    shopper = Shopper(base, "acme")
    shopper.token()
    with reading(events_url(base), session=shopper.session) as stream:
        assert stream.status == 200
        assert stream.ready.wait(5)
        sent = shopper.post("/api/chatbot/stream-message", {"text": "hello", "clientMessageId": "live-1"})
        assert sent.status_code == 202
        stream.wait_for("reply.done")
        kinds = [e["event"] for e in stream.events]
        assert kinds[0] == "message.new"
        assert kinds.count("reply.delta") == 5
        assert kinds[-1] == "reply.done"
        done = stream.events[-1]["data"]["message"]
        assert done["text"] == "".join(
            e["data"]["text"] for e in stream.events if e["event"] == "reply.delta"
        )
        resume_after = stream.events[2]["id"]
    with reading(
        events_url(base), headers={"Last-Event-ID": resume_after}, session=shopper.session
    ) as resumed:
        resumed.wait_for("reply.done")
        # The reply has ended: a browser resuming after one of its deltas gets what came
        # after it except the deltas, which the final message carries whole (the server
        # keeps a reply's deltas only while it runs).
        after = [e for e in stream.events[3:] if e["event"] != "reply.delta"]
        assert [e["id"] for e in resumed.events] == [e["id"] for e in after]
        assert resumed.events[-1]["data"]["message"]["text"] == done["text"]
    history = shopper.session.get(f"{base}/api/chatbot/history?shop=acme").json()
    assert [m["role"] for m in history["messages"]] == ["shopper", "assistant"]
    assert history["messages"][1]["status"] == "done"


def test_a_browser_resuming_mid_reply_gets_the_rest_of_its_deltas(site):
    base = site.servers[0][1]
    shopper = Shopper(base, "acme")
    shopper.token()
    with reading(events_url(base), session=shopper.session) as stream:
        assert stream.ready.wait(5)
        sent = shopper.post("/api/chatbot/stream-message", {"text": "ticks:60", "clientMessageId": "mid-1"})
        assert sent.status_code == 202
        deadline = time.monotonic() + 15
        while sum(e["event"] == "reply.delta" for e in stream.events) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = [e for e in stream.events if e["event"] == "reply.delta"][:3]
    assert len(seen) == 3
    with reading(
        events_url(base), headers={"Last-Event-ID": seen[-1]["id"]}, session=shopper.session
    ) as resumed:
        done = resumed.wait_for("reply.done")
        rest = [e["data"]["text"] for e in resumed.events if e["event"] == "reply.delta"]
    # While the reply ran the deltas were kept: the resumed stream carries on where the
    # first one stopped, and the text adds up to the final message.
    assert rest, "the reply ended before the browser came back: no deltas to resume"
    assert "".join(e["data"]["text"] for e in seen) + "".join(rest) == done["data"]["message"]["text"]


def test_stop_button_ends_the_reply_early(site):
    base = site.servers[0][1]
    shopper = Shopper(base, "acme")
    shopper.token()
    with reading(events_url(base), session=shopper.session) as stream:
        stream.ready.wait(5)
        reply = shopper.post(
            "/api/chatbot/stream-message", {"text": "ticks:200 long please", "clientMessageId": "s-1"}
        ).json()
        stream.wait_for("reply.delta")
        assert shopper.post("/api/chatbot/stop", {"messageId": reply["reply"]["id"]}).status_code == 202
        done = stream.wait_for("reply.done")["data"]["message"]
        assert done["status"] == "stopped"
        deltas = [e for e in stream.events if e["event"] == "reply.delta"]
        assert 1 <= len(deltas) < 200
        assert done["text"] == "".join(e["data"]["text"] for e in deltas)


@pytest.mark.redis
def test_two_processes_share_events_through_redis():
    url = redis_test_url(15)
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    prefix = uuid.uuid4().hex[:6]
    with LiveSite(env={**FAKES, "REDIS_URL": url, "CHATBOT_CACHE_PREFIX": prefix}) as live:
        live.manage("migrate", "--noinput")
        first, second = live.start(), live.start()
        shopper = Shopper(first, "acme")
        shopper.token()
        with reading(events_url(second), session=shopper.session) as stream:
            assert stream.status == 200
            stream.ready.wait(5)
            sent = shopper.post("/api/chatbot/stream-message", {"text": "hi", "clientMessageId": "r-1"})
            assert sent.status_code == 202
            done = stream.wait_for("reply.done")
            assert done["data"]["message"]["status"] == "done"
            assert [e["event"] for e in stream.events].count("reply.delta") == 5


def test_events_also_stream_under_a_sync_wsgi_server(site):
    """runserver and sync gunicorn are WSGI: the stream must flow there too, not be
    buffered until a reply the browser never sees."""
    base = site.start(wsgi_threads=8)
    shopper = Shopper(base, "acme")
    shopper.token()
    with reading(events_url(base), session=shopper.session) as stream:
        assert stream.status == 200
        assert stream.ready.wait(5)
        sent = shopper.post("/api/chatbot/stream-message", {"text": "hello", "clientMessageId": "wsgi-1"})
        assert sent.status_code == 202
        done = stream.wait_for("reply.done")
        assert done["data"]["message"]["status"] == "done"
        assert [e["event"] for e in stream.events].count("reply.delta") == 5
