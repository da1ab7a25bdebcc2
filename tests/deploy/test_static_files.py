"""Static files in the demo (``make demo``: DEBUG on) are served as production serves them.

A real ASGI server (uvicorn, as bin/serve runs it) with the demo's settings: files collected
with servestatic's compressed manifest storage, answered pre-compressed, with hashed names
and a far-future Cache-Control; a favicon at /favicon.ico; and none of Django's "must
consume synchronous iterators" warnings that whitenoise's FileResponse caused under ASGI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.live import ROOT, LiveSite

pytestmark = pytest.mark.slow

DEMO_STATIC = "config.static.HashedAlsoInDebugManifestStorage"


def demo_static_backend() -> str:
    """The storage the Makefile's demo target collects and serves with."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^DEMO_STATIC := (\S+)$", text, re.M)
    assert match, "Makefile defines DEMO_STATIC"
    return match.group(1)


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[LiveSite, str]]:
    assert demo_static_backend() == DEMO_STATIC
    env = {"DEBUG": "true", "STATICFILES_BACKEND": DEMO_STATIC, "REDIS_URL": "", "CHATBOT_ASSISTANT": "local"}
    with LiveSite(env=env) as live:
        live.env["STATIC_ROOT"] = str(Path(live.tmp.name) / "static")
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        live.manage("collectstatic", "--noinput", "--verbosity", "0")
        base = live.start()
        yield live, base


def loader_url(base: str) -> str:
    page = requests.get(base + "/s/demo/", timeout=10)
    assert page.status_code == 200
    match = re.search(r'<script async src="(/static/chatbot/loader\.[0-9a-f]{12}\.js)"', page.text)
    assert match, "the page links the hashed loader"
    return match.group(1)


def test_a_hashed_static_file_is_compressed_and_cached_for_a_year(demo):
    _live, base = demo
    url = loader_url(base)
    for encoding in ("gzip", "br"):
        response = requests.get(base + url, headers={"Accept-Encoding": encoding}, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        cache = response.headers["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
        assert max_age >= 365 * 24 * 3600
        assert "immutable" in cache
        assert "Accept-Encoding" in response.headers.get("Vary", "")
    plain = requests.get(base + url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    assert b"__chatbotLoader" in plain.content


def test_favicon_is_served(demo):
    _live, base = demo
    response = requests.get(base + "/favicon.ico", timeout=10)
    assert response.status_code == 200
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = requests.get(base + "/s/demo/", timeout=10).text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and requests.get(base + icon.group(1), timeout=10).status_code == 200


def test_no_synchronous_iterator_warning_when_serving_static_under_asgi(demo):
    live, base = demo
    url = loader_url(base)
    for _ in range(3):
        for path in (url, "/favicon.ico", "/static/storefront/shop.css"):
            assert requests.get(base + path, timeout=10).status_code == 200
    port = base.rsplit(":", 1)[1]
    log = (Path(live.tmp.name) / f"server-{port}.log").read_text()
    assert "synchronous iterators" not in log, log
    assert "Not Found" not in log
