"""Optional semantic retrieval (chatbot.knowledge.embeddings) against a real loopback
HTTP server speaking OpenAI's /v1/embeddings wire format with a toy model
(tests/doubles/embeddings_double.py): a question that shares no word with a product finds
it only with embeddings on; product vectors are cached and refreshed when the catalog
changes; a failing endpoint leaves the words-only answer; without the setting nothing
changes."""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from operator import mul
from pathlib import Path

import pytest
from django.core.cache import cache

from chatbot import tools
from chatbot.adapters import FaqInfo, ProductInfo, ShopInfo
from chatbot.assistants.local import LocalShopAssistant
from chatbot.knowledge import embeddings
from chatbot.knowledge import index as knowledge_index
from tests.doubles.embeddings_double import EmbeddingsDouble
from tests.support.shops import MemoryShopAdapter, ShopData

from .fakes import ASSISTANT_SHOPS, make_context

NEED = "something to keep my feet warm at night"  # not one word in common with the socks


def _p(sku, name, price, stock, category, description):
    return ProductInfo(sku, name, description, Decimal(price), stock, category, f"/p/{sku}/")


CATALOG = ShopData(
    shops=(ShopInfo("outdoor", "Northwind", "USD", "en", "/"),),
    products={
        "outdoor": [
            _p("SOCK-1", "Alpaca Bed Socks", "18.00", 5, "Sleepwear", "Soft alpaca socks for cosy sleep."),
            _p("JKT-1", "Storm Rain Jacket", "129.00", 4, "Jackets", "Waterproof shell for wet days."),
            _p("JKT-2", "Fleece Jacket", "59.00", 3, "Jackets", "Zip fleece for cool evenings."),
            _p("TNT-1", "Trail Tent 2P", "199.00", 2, "Camping", "A light two-person tent."),
            _p("MUG-1", "Enamel Camp Mug", "12.00", 9, "Kitchen", "Holds 350 ml of coffee."),
            _p("LMP-1", "LED Headlamp", "35.00", 7, "Lighting", "300 lumen lamp for dark trails."),
        ]
    },
    faq={"outdoor": [FaqInfo("How long does shipping take?", "We ship in 2 days.")]},
)
PRODUCT_COUNT = len(CATALOG.products["outdoor"])


@pytest.fixture(autouse=True)
def _fresh():
    embeddings.reset()
    cache.clear()
    yield
    embeddings.reset()
    cache.clear()


@pytest.fixture
def shop():
    return MemoryShopAdapter(CATALOG)


@pytest.fixture
def double():
    with EmbeddingsDouble() as server:
        yield server


@pytest.fixture
def semantic(settings, double):
    settings.CHATBOT_EMBEDDINGS_URL = double.base_url
    settings.CHATBOT_EMBEDDINGS_MODEL = "toy-embed"
    return double


def ask(adapter, message, shop_id="outdoor"):
    """What the shopper gets: the reply's text and the cards' SKUs."""
    final = list(LocalShopAssistant().reply(make_context(adapter, shop_id, message)))[-1]
    return final.text, [card.sku for card in final.products]


def tool_skus(adapter, text, **filters):
    context = make_context(adapter, "outdoor")
    return [p["sku"] for p in tools.search_products(context, text, **filters)["products"]]


def catalog_texts(double):
    """Texts the double was asked to embed, other than the shoppers' questions."""
    return [t for t in double.texts() if "\n" in t]


# --- what the shopper gets ---------------------------------------------------------------


def test_without_embeddings_a_question_with_no_common_word_does_not_find_the_socks(shop, double):
    text, skus = ask(shop, NEED)
    assert "SOCK-1" not in skus
    assert "Alpaca Bed Socks" not in text
    assert double.calls == []  # the setting is empty: the endpoint is never called


def test_with_embeddings_the_same_question_finds_the_socks_first(shop, semantic):
    text, skus = ask(shop, NEED)
    assert skus[0] == "SOCK-1"
    assert "Alpaca Bed Socks" in text
    # The word matches still work as before.
    assert ask(shop, "rain jacket")[1][0] == "JKT-1"
    assert ask(shop, "do you sell surfboards?")[1] == []


def test_the_search_tool_of_the_model_assistants_fuses_too(shop, semantic):
    assert tool_skus(shop, NEED)[0] == "SOCK-1"


def test_hard_filters_still_apply_after_fusion(shop, semantic):
    assert "SOCK-1" not in tool_skus(shop, NEED, max_price=15)
    assert "SOCK-1" not in tool_skus(shop, NEED, min_price=20)
    assert "SOCK-1" not in tool_skus(shop, NEED, category="Jackets")
    shop.products["outdoor"][0] = _p(
        "SOCK-1", "Alpaca Bed Socks", "18.00", 0, "Sleepwear", "Soft alpaca socks for cosy sleep."
    )
    shop.version = "2"
    assert "SOCK-1" in tool_skus(shop, NEED)
    assert "SOCK-1" not in tool_skus(shop, NEED, in_stock_only=True)


def test_a_colour_the_shopper_excludes_still_leaves_the_product_out(shop, semantic):
    shop.products["outdoor"][0] = _p(
        "SOCK-1", "Alpaca Bed Socks", "18.00", 5, "Sleepwear", "Soft alpaca socks for cosy sleep. Grey."
    )
    shop.products["outdoor"].append(
        _p("SOCK-2", "Cashmere Slipper Socks", "29.00", 5, "Sleepwear", "Cosy socks for bedtime. Navy.")
    )
    assert {"SOCK-1", "SOCK-2"} <= set(ask(shop, NEED)[1])
    text, skus = ask(shop, NEED + ", not grey")
    assert "SOCK-2" in skus
    assert "SOCK-1" not in skus
    assert "Alpaca Bed Socks" not in text


def test_a_chinese_shop_without_vectors_for_its_words_still_answers(semantic):
    adapter = MemoryShopAdapter(ASSISTANT_SHOPS)
    skus = ask(adapter, "龙井茶", shop_id="zh-shop")[1]
    assert skus[0] == "ZH-TEA-1"


# --- vectors are cached and refreshed ------------------------------------------------------


def test_unchanged_products_are_never_embedded_again(shop, semantic):
    ask(shop, NEED)
    assert len(catalog_texts(semantic)) == PRODUCT_COUNT  # the catalog, once
    semantic.reset()

    ask(shop, "a mug for my coffee")
    assert semantic.texts() == ["a mug for my coffee"]  # only the question
    semantic.reset()

    ask(shop, NEED)
    assert semantic.texts() == []  # a repeated question's vector is remembered too


def test_a_changed_product_is_embedded_again_when_the_catalog_changes(shop, semantic):
    ask(shop, NEED)
    semantic.reset()
    shop.products["outdoor"][3] = _p(
        "TNT-1", "Trail Tent 2P", "199.00", 2, "Camping", "A two-person tent for warm nights."
    )
    shop.version = "2"
    ask(shop, NEED)
    assert catalog_texts(semantic) == ["Trail Tent 2P\nCamping\nA two-person tent for warm nights."]


def test_another_process_reuses_the_vectors_in_the_shared_cache(shop, semantic):
    ask(shop, NEED)
    semantic.reset()
    # A new process: no index and no vectors in memory, the same Django cache (Redis).
    knowledge_index.clear_cache()
    embeddings.store.clear_memory()
    assert ask(shop, NEED)[1][0] == "SOCK-1"
    assert catalog_texts(semantic) == []


def test_in_the_background_the_catalog_is_embedded_off_the_reply(shop, semantic, settings):
    settings.CHATBOT_REPLY_MODE = "async"
    index = knowledge_index.shop_index(shop, "outdoor")
    deadline = time.monotonic() + 10
    while (index.semantic.missing() or index.semantic.filling) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert index.semantic.missing() == []
    # Stacked for the questions by the embedding thread too, not by the first question.
    stacked = index.semantic.matrix
    assert stacked.generation == index.semantic.generation
    assert len(stacked.docs) == PRODUCT_COUNT
    assert ask(shop, NEED)[1][0] == "SOCK-1"
    assert index.semantic.matrix is stacked


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["down", "error", "bad_json", "slow"])
def test_a_failing_endpoint_leaves_the_words_only_answer(shop, settings, double, caplog, mode):
    expected = ask(shop, NEED)
    knowledge_index.clear_cache()
    settings.CHATBOT_EMBEDDINGS_URL = double.base_url
    settings.CHATBOT_EMBEDDINGS_API_KEY = "sk-secret-key"
    settings.CHATBOT_EMBEDDINGS_TIMEOUT_SECONDS = 0.3
    if mode == "down":
        with EmbeddingsDouble() as gone:
            settings.CHATBOT_EMBEDDINGS_URL = gone.base_url
    else:
        double.mode = mode
        double.slow_seconds = 1.0
    caplog.set_level(logging.INFO, logger="chatbot.knowledge.embeddings")

    assert ask(shop, NEED) == expected
    assert ask(shop, "something for the dark") == ask_words_only(shop, "something for the dark", settings)

    warnings = [r for r in caplog.records if r.name == "chatbot.knowledge.embeddings"]
    assert len(warnings) == 1  # logged once, not per question
    assert "words only" in warnings[0].getMessage()
    assert "sk-secret-key" not in caplog.text


def ask_words_only(shop, message, settings):
    url = settings.CHATBOT_EMBEDDINGS_URL
    settings.CHATBOT_EMBEDDINGS_URL = ""
    knowledge_index.clear_cache()
    try:
        return ask(shop, message)
    finally:
        settings.CHATBOT_EMBEDDINGS_URL = url
        knowledge_index.clear_cache()


def test_after_a_failure_the_endpoint_is_left_alone_then_used_again(shop, semantic, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="chatbot.knowledge.embeddings")
    semantic.mode = "error"
    assert "SOCK-1" not in ask(shop, NEED)[1]
    calls = len(semantic.calls)
    assert "SOCK-1" not in ask(shop, "keep my toes toasty overnight")[1]
    assert len(semantic.calls) == calls  # cooling down: the reply did not wait on it

    monkeypatch.setattr(embeddings, "COOL_DOWN", 0.0)
    embeddings._health.retry_at = 0.0
    semantic.mode = "ok"
    assert ask(shop, NEED)[1][0] == "SOCK-1"  # the catalog is filled again, then used
    assert "answers again" in caplog.text


# --- the wire format -----------------------------------------------------------------------


def test_request_is_openai_wire_format_without_auth_when_no_key(shop, semantic):
    ask(shop, NEED)
    call = semantic.calls[-1]
    assert call.path == "/v1/embeddings"
    assert call.body == {"model": "toy-embed", "input": [NEED]}
    assert "authorization" not in call.headers
    assert call.headers["content-type"] == "application/json"


def test_a_key_is_sent_as_bearer_and_a_full_url_is_used_as_given(shop, semantic, settings):
    settings.CHATBOT_EMBEDDINGS_URL = semantic.base_url + "/embeddings"
    settings.CHATBOT_EMBEDDINGS_API_KEY = "sk-test"
    assert ask(shop, NEED)[1][0] == "SOCK-1"
    assert {call.path for call in semantic.calls} == {"/v1/embeddings"}
    assert {call.headers["authorization"] for call in semantic.calls} == {"Bearer sk-test"}
    assert "sk-test" not in repr(embeddings.Endpoint.from_settings())


def test_the_catalog_goes_in_batches(semantic, settings, monkeypatch):
    monkeypatch.setattr(embeddings, "BATCH", 4)
    adapter = MemoryShopAdapter(CATALOG)
    ask(adapter, NEED)
    sizes = [len(call.body["input"]) for call in semantic.calls]
    assert sizes == [4, 2, 1]  # six products in two requests, then the question


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data": "nope"},
        {"data": [{"index": 0, "embedding": [1.0, 0.0]}]},  # one vector for two texts
        {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": ["x"]}, {"index": 1, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": [1e309]}, {"index": 1, "embedding": [1.0]}]},
    ],
)
def test_answers_that_are_not_two_vectors_are_refused(body):
    with pytest.raises(embeddings.EmbeddingError):
        embeddings._parse(body, 2)


def test_vectors_are_placed_by_index_and_scaled_to_unit_length():
    first, second = embeddings._parse(
        {"data": [{"index": 1, "embedding": [0, 2]}, {"index": 0, "embedding": [3, 4]}]}, 2
    )
    assert list(first) == pytest.approx([0.6, 0.8])
    assert list(second) == pytest.approx([0.0, 1.0])


@pytest.mark.parametrize("text", [NEED, "rain jacket", "cheap mug", "tent for two", "lamp"])
def test_without_the_setting_the_ranking_is_bm25s_exactly(shop, text):
    index = knowledge_index.shop_index(shop, "outdoor")
    assert index.semantic is None
    concepts = index.concepts(text)
    assert index.search_products(concepts, text) == index.product_index.search(concepts)


def test_logs_show_the_endpoint_without_credentials(settings):
    settings.CHATBOT_EMBEDDINGS_URL = "https://user:hunter2@embed.example.com:8443/v1/?api-version=2"
    endpoint = embeddings.Endpoint.from_settings()
    assert endpoint.url == "https://user:hunter2@embed.example.com:8443/v1/embeddings?api-version=2"
    assert endpoint.shown == "https://embed.example.com:8443/v1/embeddings"


def test_products_with_the_same_text_are_embedded_once(semantic):
    adapter = MemoryShopAdapter(CATALOG)
    twin = adapter.products["outdoor"][0]
    adapter.products["outdoor"].append(_p("SOCK-9", twin.name, "19.00", 2, twin.category, twin.description))
    skus = ask(adapter, NEED)[1]
    assert {"SOCK-1", "SOCK-9"} <= set(skus)
    assert len(catalog_texts(semantic)) == PRODUCT_COUNT


# --- the numpy ranking against a straightforward one -----------------------------------------


def reference_similarity(query, vectors):
    """The question's cosine similarity to each product, summed in Python floats."""
    return {
        pos: sum(map(mul, query, v))
        for pos, v in enumerate(vectors)
        if v is not None and len(v) == len(query)
    }


def reference_order(query, vectors):
    similarity = reference_similarity(query, vectors)
    return sorted(similarity, key=lambda doc: (-similarity[doc], doc)), similarity


def random_vectors(seed, count, size):
    """Unit vectors as the endpoint's answers become (``_unit``), a few of them repeated
    (products with the same text: exact ties), one zero, one missing and one of another
    dimension (neither is ranked)."""
    rng = random.Random(seed)
    vectors = [embeddings._unit([rng.gauss(0, 1) for _ in range(size)]) for _ in range(count)]
    for pos in rng.sample(range(count), 12):
        vectors[pos] = vectors[rng.randrange(count)]
    vectors[rng.randrange(count)] = embeddings._unit([0.0] * size)
    vectors[rng.randrange(count)] = None
    vectors[rng.randrange(count)] = embeddings._unit([1.0] * (size + 1))
    query = embeddings._unit([rng.gauss(0, 1) for _ in range(size)])
    return query, vectors


@pytest.mark.parametrize(("seed", "count", "size"), [(1, 500, 64), (2, 2000, 64), (3, 1000, 768)])
def test_the_numpy_ranking_is_the_straightforward_one(seed, count, size):
    from chatbot.knowledge import similarity

    query, vectors = random_vectors(seed, count, size)
    expected, expected_similarity = reference_order(query, vectors)
    ranking = similarity.rank(embeddings.ProductVectors("toy", [""] * count, vectors), query)

    assert [doc for doc, _ in ranking.top(count + 5)] == expected
    for candidates in (1, 7, embeddings.CANDIDATES):
        assert [doc for doc, _ in ranking.top(candidates)] == expected[:candidates]
    everyone = list(range(count))
    values, ranks = ranking.lookup(everyone)
    unranked = [doc for doc in everyone if doc not in expected_similarity]  # missing, other size
    assert len(unranked) == 2
    assert ranks.tolist() == [expected.index(doc) if doc not in unranked else -1 for doc in everyone]
    for doc, value in enumerate(values.tolist()):
        assert value == pytest.approx(expected_similarity.get(doc, 0.0), abs=1e-6)
    assert dict(ranking.top(count)) == {doc: values[doc] for doc in expected}


def test_tied_products_rank_by_position_also_at_the_edge_of_the_candidates():
    from chatbot.knowledge import similarity

    same = embeddings._unit([1.0, 1.0, 0.0])
    other = embeddings._unit([0.0, 1.0, 1.0])
    vectors = [other, same, other, same, same, other, same]  # one similarity, one tie group each
    query = embeddings._unit([1.0, 0.0, 0.0])
    ranking = similarity.rank(embeddings.ProductVectors("toy", [""] * len(vectors), vectors), query)
    assert [doc for doc, _ in ranking.top(3)] == [1, 3, 4]
    assert [doc for doc, _ in ranking.top(5)] == [1, 3, 4, 6, 0]
    assert ranking.lookup([6, 0, 5, 1])[1].tolist() == [3, 4, 6, 0]


def reference_fuse(index, hits, query, min_similarity):
    """What fuse() computed before numpy, written out in Python."""
    by_similarity, similarity = reference_order(query, index.semantic.vectors)
    cosine_rank = {doc: rank for rank, doc in enumerate(by_similarity)}
    top = by_similarity[: embeddings.CANDIDATES]
    close = {doc for doc in top if similarity[doc] >= min_similarity}
    word_rank = {hit.doc: rank for rank, hit in enumerate(hits)}
    fused = [(hit.doc, hit.doc in close) for hit in hits]
    fused += [(doc, True) for doc in top if doc in close and doc not in word_rank]

    def score(doc):
        total = 1.0 / (embeddings.RRF_K + 1 + word_rank[doc]) if doc in word_rank else 0.0
        if doc in cosine_rank:
            total += 1.0 / (embeddings.RRF_K + 1 + cosine_rank[doc])
        return total

    return sorted(fused, key=lambda item: (-score(item[0]), item[0]))


@pytest.mark.parametrize(
    "text", ["rain jacket", "warm socks for the night", "tent", "headlamp for dark trails"]
)
def test_fusion_with_numpy_gives_the_straightforward_answer(settings, monkeypatch, text):
    rng = random.Random(text)
    kinds = ["Rain Jacket", "Bed Socks", "Trail Tent", "Headlamp", "Camp Mug", "Wool Socks"]
    products = [
        _p(
            f"P-{n}",
            f"{rng.choice(kinds)} {n}",
            "20.00",
            3,
            "Gear",
            f"Good for {rng.choice(kinds).lower()} days.",
        )
        for n in range(300)
    ]
    adapter = MemoryShopAdapter(
        ShopData(shops=CATALOG.shops, products={"outdoor": products}, faq={"outdoor": []})
    )
    index = knowledge_index.shop_index(adapter, "outdoor")  # the words-only index
    query, vectors = random_vectors(len(text), len(products), 32)
    vectors = [v if v is not None else vectors[0] for v in vectors]  # all there: nothing to fill
    index.semantic = embeddings.ProductVectors("toy", [""] * len(products), vectors)
    settings.CHATBOT_EMBEDDINGS_URL = "http://embeddings.invalid/v1"  # never called: the
    settings.CHATBOT_EMBEDDINGS_MODEL = "toy"  # question's vector is the one below
    settings.CHATBOT_EMBEDDINGS_MIN_SIMILARITY = 0.2
    monkeypatch.setattr(embeddings, "query_vector", lambda endpoint, asked: query)

    hits = index.product_index.search(index.concepts(text))
    assert len(hits) > embeddings.CANDIDATES  # the words alone find many products
    fused = embeddings.fuse(index, hits, text)
    assert [(hit.doc, hit.semantic) for hit in fused] == reference_fuse(index, hits, query, 0.2)
    assert any(hit.semantic and hit.score == 0.0 for hit in fused)  # found by meaning alone
    _, expected_similarity = reference_order(query, index.semantic.vectors)
    for hit in fused:
        assert hit.similarity == pytest.approx(expected_similarity.get(hit.doc, 0.0), abs=1e-6)


NUMPY_CHECK = """
import sys
import django

django.setup()
from chatbot import tools
from chatbot.assistants.local import LocalShopAssistant
from tests.assistant.fakes import make_context
from tests.assistant.test_semantic_search import CATALOG, NEED
from tests.support.shops import MemoryShopAdapter

adapter = MemoryShopAdapter(CATALOG)
for message in (NEED, "rain jacket", "a mug for my coffee"):
    list(LocalShopAssistant().reply(make_context(adapter, "outdoor", message)))
tools.search_products(make_context(adapter, "outdoor"), "lamp for dark trails")
print("numpy" in sys.modules)
"""


def test_without_the_setting_numpy_is_not_even_imported():
    """A shop without CHATBOT_EMBEDDINGS_URL answers without loading numpy (a fresh
    process: this one may have loaded it for the other tests)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "CHATBOT_EMBEDDINGS_URL": ""}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", NUMPY_CHECK], env=env, cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
