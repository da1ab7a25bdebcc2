"""A NUL byte in a URL or query: PostgreSQL refuses it in a text comparison, so the search,
category and product pages answered 500 (``DataError``). The storefront now answers 400
before any query runs. Run on PostgreSQL too (``DATABASE_URL=postgres://…``)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URLS = [
    "/s/demo/products/?q=tent%00",
    "/s/demo/products/?category=tents%00",
    "/s/demo/products/?q=a&page=%00",
    "/s/demo/p/NW-TNT%00-2P-GRN/",
    "/s/demo/%00/",
    "/accounts/login/?next=/s/demo/%00",
]


@pytest.mark.parametrize("url", URLS)
def test_nul_in_a_storefront_url_is_a_400_page_not_a_500(client, demo, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert b"Traceback" not in response.content


def test_the_same_pages_without_nul_still_answer(client, demo):
    assert client.get("/s/demo/products/?q=tent").status_code == 200
    assert client.get("/s/demo/p/NW-TNT-2P-GRN/").status_code == 200
