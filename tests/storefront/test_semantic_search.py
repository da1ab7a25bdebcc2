"""Semantic retrieval the way a shop owner turns it on and a shopper meets it: a catalog
imported with ``import_catalog``, ``CHATBOT_EMBEDDINGS_URL`` pointed at an embeddings
server (here the loopback double of tests/doubles/embeddings_double.py), and a question
asked through the storefront's chat route."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from chatbot.knowledge import embeddings
from chatbot.knowledge import index as knowledge_index
from tests.doubles.embeddings_double import EmbeddingsDouble

from .test_chat_identity import ask

pytestmark = pytest.mark.django_db

CATALOG = """sku,name,description,price,stock,category
SOCK-1,Alpaca Bed Socks,Soft alpaca socks for cosy sleep.,18.00,5,Sleepwear
JKT-1,Storm Rain Jacket,Waterproof shell for wet days.,129.00,4,Jackets
TNT-1,Trail Tent 2P,A light two-person tent.,199.00,2,Camping
MUG-1,Enamel Camp Mug,Holds 350 ml of coffee.,12.00,9,Kitchen
"""
NEED = "something to keep my feet warm at night"


@pytest.fixture(autouse=True)
def _fresh():
    embeddings.reset()
    knowledge_index.clear_cache()
    cache.clear()
    yield
    embeddings.reset()
    knowledge_index.clear_cache()
    cache.clear()


def shopper(client, shop):
    assert client.get(f"/s/{shop}/").status_code == 200
    return client


def restart():
    """What a deploy with a new setting does to the process's search indexes."""
    knowledge_index.clear_cache()


def test_with_an_embeddings_server_the_shopper_finds_what_shares_no_word(
    client, settings, write_file, run_import
):
    _out, err, error = run_import(write_file(CATALOG), shop="northwind", currency="usd", language="en")
    assert error is None, err
    browser = shopper(client, "northwind")
    assert "Alpaca Bed Socks" not in ask(browser, NEED, "c-1", "northwind")

    with EmbeddingsDouble() as server:
        settings.CHATBOT_EMBEDDINGS_URL = server.base_url
        restart()
        reply = ask(browser, NEED, "c-2", "northwind")
        assert "Alpaca Bed Socks" in reply
        assert len([t for t in server.texts() if "\n" in t]) == 4  # the catalog, once

        # The owner re-imports with one description changed: only that product is sent again.
        server.reset()
        changed = CATALOG.replace("A light two-person tent.", "A two-person tent for warm nights.")
        _out, err, error = run_import(write_file(changed), shop="northwind")
        assert error is None, err
        ask(browser, "a mug for coffee", "c-3", "northwind")
        assert [t for t in server.texts() if "\n" in t] == [
            "Trail Tent 2P\nCamping\nA two-person tent for warm nights."
        ]

        assert "Alpaca Bed Socks" in ask(browser, "warm slippers for bedtime", "c-4", "northwind")

    # The server is gone: a new question gets the words-only answer, not an error.
    reply = ask(browser, "toasty slippers for bedtime", "c-5", "northwind")
    assert "Alpaca Bed Socks" not in reply
    assert reply
