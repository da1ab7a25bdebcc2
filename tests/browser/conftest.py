"""Browser tests: real headless Chromium against the real ASGI server and the demo shops.

One live site per session (throwaway SQLite DB, ``load_demo``, collected static files,
``CHATBOT_ASSISTANT=local`` so the built-in assistant answers from the demo catalog).
Each test gets a fresh browser context, so cookies and localStorage never leak between
tests. Failures leave a screenshot in ``artifacts/browser/`` (a CI artefact).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.live import LiveSite

from .helpers import ARTIFACTS

DESKTOP = {"width": 1280, "height": 800}

# A shop whose catalog is hostile: markup in names and descriptions must stay text.
XSS_PRODUCTS = [
    {
        "sku": "XSS-MUG-1",
        "name": '<img src=x onerror="window.__xss=1">Mug',
        "description": "<script>window.__xss=2</script> A mug for coffee.",
        "price": "12.50",
        "stock": "7",
        "category": "Mugs",
    },
]


IMAGE_SKUS = ("NW-TNT-1P-ORG", "NW-TNT-2P-GRN")
IMAGE_URL = "/static/storefront/products/tent.svg"
IMAGE_UPDATE = (
    "from storefront.models import Product; "
    f"Product.objects.filter(sku__in={list(IMAGE_SKUS)!r}).update(image_url={IMAGE_URL!r})"
)


@pytest.fixture(scope="session")
def site() -> Iterator[LiveSite]:
    # Every browser of the suite comes from 127.0.0.1: lift the per-address limits (their
    # own tests are in tests/api/test_limits.py).
    limits = {"CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "10000", "CHATBOT_ADDRESS_RATE_LIMIT": "10000"}
    with LiveSite(env={"CHATBOT_ASSISTANT": "local", "REDIS_URL": "", "DEBUG": "false", **limits}) as live:
        live.env["STATIC_ROOT"] = str(Path(live.tmp.name) / "static")
        live.manage("migrate", "--noinput")
        live.manage("load_demo")
        live.manage("collectstatic", "--noinput")
        xss_csv = Path(live.tmp.name) / "xss_products.csv"
        with xss_csv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(XSS_PRODUCTS[0]))
            writer.writeheader()
            writer.writerows(XSS_PRODUCTS)
        live.manage("import_catalog", "--shop", "xss", "--name", "XSS Shop", "--no-progress", str(xss_csv))
        # Two demo products with a picture (the demo catalog has none): cards must show it.
        live.manage("shell", "-c", IMAGE_UPDATE)
        live.start()
        yield live


@pytest.fixture(scope="session")
def base_url(site: LiveSite) -> str:
    return site.servers[0][1]


# ``playwright`` and ``browser`` are in tests/conftest.py: one Chromium for every folder's
# browser tests (Playwright's sync API cannot be started twice in one process).


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
def new_context(
    browser: Browser, base_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Makes browser contexts (default: desktop 1280x800, light); all closed after the test.

    On failure every open page of every context is screenshotted into artifacts/browser/.
    """
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("base_url", base_url)
        options.setdefault("color_scheme", "light")
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    failed = request.node.stash.get(_FAILED, False)
    for i, ctx in enumerate(made):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for j, pg in enumerate(ctx.pages):
                try:
                    pg.screenshot(path=str(ARTIFACTS / f"FAILED-{_slug(request.node.name)}-{i}-{j}.png"))
                except Exception:  # a dead page must not hide the real failure
                    pass
        ctx.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Saves a screenshot at a key point: artifacts/browser/<test>-<name>.png."""

    def take(pg: Page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{_slug(request.node.name)}-{name}.png"
        pg.screenshot(path=str(path))
        return path

    return take
