"""Rule: the chat's views declare their own authentication, permissions and error envelope:
the app behaves the same whatever the host's global DRF settings.

The test is the hostile-host journey (a host with ``IsAuthenticated``, token auth, a
browsable renderer and its own exception handler): tests/test_hostile_host.py."""

from __future__ import annotations

from .references import missing

REFERENCES = [
    "tests.test_hostile_host::test_every_chat_route_answers_as_in_the_demo_under_hostile_drf_settings"
]


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []
