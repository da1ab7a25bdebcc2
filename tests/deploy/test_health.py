"""/health and /health/ready as fly, a load balancer and the deploy script see them."""

import socket

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from chatbot import conf, health


@pytest.fixture(autouse=True)
def _fresh_readiness():
    health.reset_cache()
    conf.get_config.cache_clear()
    yield
    health.reset_cache()
    conf.get_config.cache_clear()


def closed_port() -> int:
    """A local port nobody listens on: connecting fails at once, no network involved."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_routes_resolve_to_the_health_views():
    assert resolve("/health").func is health.liveness
    assert resolve("/health/ready").func is health.readiness


def test_liveness_is_ok_and_touches_no_database(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]


def test_liveness_refuses_writes(client, db):
    assert client.post("/health").status_code == 405


def test_readiness_reports_the_database(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert isinstance(body["checks"]["database"]["latency_ms"], float)
    # Nothing configured, nothing probed: no Redis, Stream or Coze in the embedded default.
    assert set(body["checks"]) == {"database"}


def test_readiness_is_cached_so_a_burst_of_probes_checks_once(client, db, monkeypatch):
    calls = []
    real = health.run_checks
    monkeypatch.setattr(health, "run_checks", lambda: calls.append(1) or real())
    for _ in range(5):
        assert client.get("/health/ready").status_code == 200
    assert len(calls) == 1


def test_unreachable_redis_makes_readiness_fail(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["redis"]["status"] == "error"
    assert body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


def test_unreachable_vendor_degrades_without_failing(client, db, settings):
    dead = f"http://127.0.0.1:{closed_port()}"
    settings.STREAM_CHAT_ENABLED = True
    settings.STREAM_CHAT_API_KEY = "key"
    settings.STREAM_CHAT_API_SECRET = "secret-that-must-not-leak"
    settings.STREAM_CHAT_BASE_URL = dead
    settings.COZE_BOT_ID = "737"
    settings.COZE_API_TOKEN = "pat-that-must-not-leak"
    settings.COZE_API_BASE = dead
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["stream"]["status"] == "error"
    assert body["checks"]["coze"]["status"] == "error"
    text = response.content.decode()
    assert "must-not-leak" not in text
    assert dead not in text


def test_reachable_vendor_is_ok(client, db, settings, live_server):
    # Any HTTP answer proves reachability; the local live server stands in for the vendor.
    settings.COZE_BOT_ID = "737"
    settings.COZE_API_TOKEN = "pat"
    settings.COZE_API_BASE = live_server.url
    body = client.get("/health/ready").json()
    assert body["checks"]["coze"]["status"] == "ok"
    assert body["status"] == "ok"


def test_the_gateway_is_probed_on_its_health_route(client, db, settings, live_server):
    # /nowhere/health is no route of the live server: an HTTP error counts as a failure,
    # unlike the vendors, where any answer proves reachability.
    settings.CHATBOT_NODE_URL = live_server.url + "/nowhere"
    body = client.get("/health/ready").json()
    assert body["checks"]["gateway"]["status"] == "error"
    assert body["status"] == "degraded"


def test_a_healthy_gateway_is_ok(client, db, settings, live_server):
    settings.CHATBOT_NODE_URL = live_server.url
    body = client.get("/health/ready").json()
    assert body["checks"]["gateway"]["status"] == "ok"


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_fly_checks_pass_with_a_private_ip_host_over_http(client, db, settings, path):
    # fly's checks: plain http, Host = the machine's 6PN address, production security on.
    settings.ALLOWED_HOSTS = ["evershop-fly.fly.dev"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(path, HTTP_HOST="[fdaa:0:1:a7b:1f2:3c4d:5e6f:2]:8000")
    assert response.status_code == 200
    # The same request anywhere else is refused, which is why the middleware answers first.
    assert client.get("/", HTTP_HOST="[fdaa:0:1:a7b:1f2:3c4d:5e6f:2]:8000").status_code == 400


def test_liveness_answers_on_the_async_path(async_client):
    response = async_to_sync(async_client.get)("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readiness_answers_on_the_async_path(async_client):
    response = async_to_sync(async_client.get)("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["status"] == "ok"
