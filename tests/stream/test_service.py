"""``chatbot.engines.stream.client``: ids, the lazy client, retries."""

from __future__ import annotations

import pytest
import requests
from django.test import override_settings

from chatbot.engines.stream import client as stream_service
from chatbot.engines.stream.client import StreamCallError, StreamError, call, stream_safe_id
from chatbot.exceptions import ChatbotImproperlyConfigured


@pytest.mark.parametrize(
    "raw",
    ["demo-g0123456789abcdef01234567", "a_b-c", "x" * 64],
)
def test_safe_ids_are_kept(raw):
    assert stream_safe_id(raw) == raw


@pytest.mark.parametrize("raw", ["Demo Shop-Ada", "店铺-用户", "x" * 65, "a.b", "", "A"])
def test_unsafe_ids_are_hashed_deterministically(raw):
    safe = stream_safe_id(raw)
    assert safe == stream_safe_id(raw)
    assert len(safe) <= 64
    assert all(c.isascii() and (c.isdigit() or c.islower() or c in "-_") for c in safe)
    assert safe != stream_safe_id(raw + "x")


def test_case_variants_do_not_collide():
    assert stream_safe_id("Ada") != stream_safe_id("ada")


def test_client_is_built_once_and_offline(stream_settings):
    first = stream_service.get_client()
    assert stream_service.get_client() is first
    assert first.base_url == "https://stream.test"
    with override_settings(STREAM_CHAT_API_KEY="other"):
        assert stream_service.get_client() is not first


@override_settings(STREAM_CHAT_API_KEY="", STREAM_CHAT_API_SECRET="")
def test_client_without_keys_says_what_is_missing():
    with pytest.raises(ChatbotImproperlyConfigured, match="STREAM_CHAT_API_KEY"):
        stream_service.get_client()


def _error(status, headers=None):
    from requests.structures import CaseInsensitiveDict

    return StreamCallError('{"code": 9, "message": "nope"}', status, CaseInsensitiveDict(headers or {}))


def test_call_retries_5xx_with_bounded_backoff(clock):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise _error(502)
        return "ok"

    assert call("thing", flaky) == "ok"
    assert len(clock.slept) == 2
    assert clock.slept[0] < clock.slept[1] <= stream_service.MAX_RETRY_WAIT


def test_call_gives_up_after_the_attempts(clock):
    def down():
        raise _error(503)

    with pytest.raises(StreamError) as info:
        call("thing", down)
    assert info.value.status_code == 503
    assert len(clock.slept) == stream_service.RETRY_ATTEMPTS - 1


def test_429_waits_until_the_reset_header_but_never_long(clock):
    responses_ = iter([_error(429, {"X-RateLimit-Reset": str(int(clock.now) + 60)}), None])

    def limited():
        exc = next(responses_)
        if exc:
            raise exc
        return "ok"

    assert call("thing", limited) == "ok"
    assert clock.slept == [stream_service.MAX_RETRY_WAIT]


def test_429_without_headers_backs_off_exponentially(clock):
    def limited():
        raise _error(429)

    with pytest.raises(StreamError) as info:
        call("thing", limited)
    assert info.value.rate_limited
    assert "quota" in str(info.value)
    assert clock.slept[0] < clock.slept[1]


def test_4xx_is_not_retried(clock):
    def bad():
        raise _error(400)

    with pytest.raises(StreamError):
        call("thing", bad)
    assert clock.slept == []


def test_auth_errors_name_the_settings(clock):
    def bad():
        raise _error(401)

    with pytest.raises(StreamError, match="STREAM_CHAT_API_SECRET") as info:
        call("thing", bad)
    assert info.value.auth_failed


def test_connection_errors_are_retried(clock):
    attempts = []

    def offline():
        attempts.append(1)
        raise requests.ConnectionError("refused")

    with pytest.raises(StreamError, match="ConnectionError"):
        call("thing", offline)
    assert len(attempts) == stream_service.RETRY_ATTEMPTS
