"""Bad input, generated from the chat's own OpenAPI schema (``/api/chatbot/schema``) by
schemathesis, against a real server (uvicorn, as production) on loopback: valid and
invalid bodies, query strings and headers on every documented route. No answer may be a
server error (5xx), and every error must be the chat's JSON envelope.

Bounded (``MAX_EXAMPLES`` per route, a minute or so in all): ``SCHEMA_FUZZ_EXAMPLES=500``
runs longer."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.support.live import LiveSite

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "40"))
NO_LIMITS = {
    "CHATBOT_RATE_LIMIT": "1000000",
    "CHATBOT_TOKEN_RATE_LIMIT": "1000000",
    "CHATBOT_ADDRESS_RATE_LIMIT": "1000000",
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": "1000000",
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "1000000",
}


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, requests.Session, str]]:
    env = {"CHATBOT_ASSISTANT": "local", "REDIS_URL": "", "DEBUG": "false", **NO_LIMITS}
    with LiveSite(env=env) as site:
        site.manage("migrate", "--noinput")
        site.manage("load_demo")
        base = site.start()
        session = requests.Session()
        csrf = secrets.token_hex(16)
        session.cookies.set("csrftoken", csrf, domain="127.0.0.1")
        yield base, session, csrf
        log = site.log(base)
        assert "Traceback" not in log, log[-5000:]


def check(case, base: str, session: requests.Session, csrf: str) -> None:
    # Half the cases in a real shop, so the fuzzing reaches past "unknown shop".
    if isinstance(case.body, dict) and len(repr(case.body)) % 2 == 0:
        case.body["shop"] = "demo"
    response = case.call(base_url=base, session=session, headers={"X-CSRFToken": csrf, "Referer": base + "/"})
    assert response.status_code < 500, (
        case.method,
        case.path,
        case.body,
        response.status_code,
        response.text[:500],
    )
    if response.status_code >= 400:
        body = response.json()
        assert set(body["error"]) >= {"code", "message"}, body


def test_no_server_error_on_any_generated_request(live):
    """Every documented operation, ``MAX_EXAMPLES`` generated requests each, valid and
    invalid by the schema. (schemathesis'
    pytest plugin does not run under pytest 9, so hypothesis drives its strategies.)"""
    base, session, csrf = live
    api = schemathesis.openapi.from_url(f"{base}/api/chatbot/schema?format=json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/chatbot/stream-message", "/api/chatbot/stream-chat-token"}
    for operation in operations:

        @given(case=operation.as_strategy() | operation.as_strategy(GenerationMode.NEGATIVE))
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case) -> None:
            check(case, base, session, csrf)

        fuzz()
