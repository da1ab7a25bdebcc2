"""Bodies an attacker sends to the chat's routes: deeply nested JSON, bodies over Django's
upload limit, multipart without a boundary, unknown paths and methods. Every answer is the
chat's JSON error with the right status, and none is logged as an ERROR with a traceback
(a 70-line traceback per 2 KB request is a cheap way to fill a shop's logs)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from .conftest import csrf_headers

ROUTES = ["/api/chatbot/stream-chat-token", "/api/chatbot/stream-message", "/api/chatbot/stop"]
NESTED = b"[" * 5000 + b"]" * 5000  # ~10 KB; 950 levels were enough to break json.loads


def error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]["code"]


def no_traceback_logged(caplog) -> None:
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy]


@pytest.fixture
def browser(db) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/api/chatbot/history?shop=acme")  # a session and a CSRF cookie, as a page gives
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ROUTES)
def test_deeply_nested_json_is_400_invalid_json(browser, url, caplog):
    response = browser.post(url, NESTED, content_type="application/json", **csrf_headers(browser))
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"{", b'{"text": NaN}', b"\xff\xfe{}", b'{"a":' * 40 + b"1" + b"}" * 40])
def test_broken_or_too_deep_json_is_400_invalid_json(browser, body, caplog):
    response = browser.post(
        "/api/chatbot/stream-message", body, content_type="application/json", **csrf_headers(browser)
    )
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ROUTES)
def test_body_over_the_upload_limit_is_413_json(browser, url, caplog, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "text=" + "x" * 2000
    response = browser.post(
        url, body, content_type="application/x-www-form-urlencoded", **csrf_headers(browser)
    )
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ROUTES)
def test_json_body_over_the_upload_limit_is_413_json(browser, url, caplog, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"text": "' + b"x" * 2000 + b'", "clientMessageId": "big"}'
    response = browser.post(url, body, content_type="application/json", **csrf_headers(browser))
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ROUTES)
def test_multipart_without_boundary_is_400_json(browser, url, caplog):
    response = browser.post(url, b"--x\r\n", content_type="multipart/form-data", **csrf_headers(browser))
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    no_traceback_logged(caplog)


@pytest.mark.django_db
def test_unknown_chat_path_is_404_json(browser, caplog):
    response = browser.get("/api/chatbot/no-such-route")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*ROUTES, "/api/chatbot/webhooks/stream"])
def test_wrong_method_is_405_json(browser, url, caplog):
    response = browser.put(
        f"{url}?shop=acme", b"{}", content_type="application/json", **csrf_headers(browser)
    )
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


@pytest.mark.django_db
def test_disallowed_host_on_a_chat_route_is_400_json(caplog):
    response = Client().get("/api/chatbot/history?shop=acme", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert error_code(response) == "bad_host"
    no_traceback_logged(caplog)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("url", ["/api/chatbot/events", "/api/chatbot/history", "/api/chatbot/schema"])
def test_read_routes_refuse_other_methods_with_json(browser, method, url, caplog):
    response = getattr(browser, method)(
        f"{url}?shop=acme", b"{}", content_type="application/json", **csrf_headers(browser)
    )
    assert response.status_code in (403, 405), response.content[:200]
    assert error_code(response) in ("method_not_allowed", "csrf_failed")
    no_traceback_logged(caplog)


@pytest.mark.django_db
def test_too_many_form_fields_is_400_json(browser, caplog):
    body = "&".join(f"f{i}=1" for i in range(1500))  # Django's limit is 1,000 fields
    headers = csrf_headers(browser)
    response = browser.post(
        "/api/chatbot/stream-message", body, content_type="application/x-www-form-urlencoded", **headers
    )
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    no_traceback_logged(caplog)
