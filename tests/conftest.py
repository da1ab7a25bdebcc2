"""Shared fixtures. Each area keeps its own fixtures in its subfolder's conftest."""

import os
import time
import types
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

BROWSER_LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright, once per session for every folder with browser tests (tests/browser,
    tests/security): its sync API cannot be started twice in one process."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """One headless Chromium (``CHROMIUM``, default Debian's) for the session."""
    launched = playwright.chromium.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=BROWSER_LAUNCH_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session", autouse=True)
def _close_database_pools(django_db_setup: Any) -> Iterator[None]:
    """On PostgreSQL the settings give each process a connection pool (psycopg_pool). At the
    end of the session Django closes its connections, which hands them back to the pool,
    and the pool keeps them open: dropping the test database then failed with "is being
    accessed by other users" (a warning at every PostgreSQL run). The pools close first:
    every pool of the process (the backend keeps them per process, by alias), not only those
    of this thread's connections — one made by a request's or a reply's thread is not
    reachable from them."""
    yield
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except ImportError:  # psycopg not installed: no pools
        return
    for alias, pool in list(DatabaseWrapper._connection_pools.items()):
        pool.close()
        DatabaseWrapper._connection_pools.pop(alias, None)


@pytest.fixture(autouse=True)
def _clear_cache():
    from chatbot import stop

    cache.clear()
    stop._here.clear()  # the stops this process knows of, kept beside the cache
    yield
    cache.clear()
    stop._here.clear()


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """The rate limits count in fixed windows of the wall clock; a test sending its
    requests across a window's edge saw its counts start again (a flake seen in CI, where
    "the 6th request is refused" met a new minute). In-process tests count in one window."""
    from chatbot import ratelimit

    frozen = float(int(time.time()))
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: frozen))


@pytest.fixture(autouse=True)
def _no_request_id_from_an_earlier_test():
    """A test that streams a response through ``async_to_sync`` (AsyncClient) gets the
    request's context copied back into its own thread, request id included; under a real
    ASGI server each request has its own context, so this is the test's leftover only."""
    from config.request_id import _request_id

    _request_id.set(None)
    yield
    _request_id.set(None)


@pytest.fixture(autouse=True)
def _fresh_offloop_threads():
    """Each test gets its own threads for blocking steps: a pool thread keeps its database
    connection object between calls, and one opened under a test with database access
    would be checked (and refused by pytest-django) under the next test without it."""
    yield
    from chatbot import offloop

    with offloop._pool_lock:
        pools = list(offloop._pools.values())
        offloop._pools.clear()
    for executor in pools:
        executor.shutdown(wait=True)


@pytest.fixture
def make_shop(db):
    from storefront.models import Shop

    def make(slug="acme", **kwargs):
        defaults = {"name": slug.title(), "currency": "USD", "language": "en"}
        defaults.update(kwargs)
        return Shop.objects.create(slug=slug, **defaults)

    return make


@pytest.fixture
def make_product(db):
    from storefront.models import Category, Product

    def make(shop, sku, name, price="10.00", stock=5, category="General", description=""):
        cat, _ = Category.objects.get_or_create(
            shop=shop, name=category, defaults={"slug": category.lower().replace(" ", "-")}
        )
        return Product.objects.create(
            shop=shop,
            sku=sku,
            name=name,
            price=Decimal(price),
            stock=stock,
            category=cat,
            description=description,
        )

    return make
