"""Rule: routes that change state are rate-limited per visitor and per client address, and
a client cannot reset the limits by changing cookies; event streams per visitor are capped.

Written with the feature (named below) plus the token route: a client that throws its
cookies away before each request (a new guest every time) is still limited by address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import post

from .references import missing

REFERENCES = [
    "tests.api.test_limits::test_rotating_csrftoken_and_session_from_one_address_is_limited",
    "tests.api.test_limits::test_rotating_spoofed_headers_through_an_untrusted_peer_are_still_limited",
    "tests.api.test_limits::test_new_conversations_per_address_per_hour",
    "tests.api.test_limits::test_another_address_is_not_affected",
    "tests.api.test_limits::test_per_identity_limit_still_holds",
    "tests.api.test_limits::test_site_wide_ceiling_on_replies_in_flight",
    "tests.live.test_identity_streams::test_a_fifth_stream_of_one_identity_is_refused_and_others_are_unaffected",
]


def test_the_rules_tests_exist():
    assert missing(REFERENCES) == []


@pytest.mark.django_db
def test_token_route_with_fresh_cookies_every_time_is_limited_by_address(settings):
    settings.CHATBOT_SHOP_ADAPTER = "tests.support.shops.MemoryShopAdapter"
    settings.CHATBOT_ADDRESS_TOKEN_RATE_LIMIT = 4
    settings.CHATBOT_NEW_CONVERSATIONS_PER_HOUR = 1000
    codes = [
        post(Client(enforce_csrf_checks=True), "/api/chatbot/stream-chat-token", {"shop": "acme"}).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 4 + [429] * 2
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.77")
    assert post(other, "/api/chatbot/stream-chat-token", {"shop": "acme"}).status_code == 200
