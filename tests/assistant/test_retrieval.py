"""Search quality: Chinese without spaces, typos, plurals, colours, cache rebuilds."""

import pytest

from chatbot import tools
from chatbot.knowledge import index as knowledge_index
from chatbot.knowledge.text import clean, detect_language, stem

from .fakes import make_context


def skus(adapter, shop, text, **kwargs):
    context = make_context(adapter, shop)
    return [p["sku"] for p in tools.search_products(context, text, **kwargs)["products"]]


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("冲锋衣", "ZH-CLO-2"),  # inside a longer jieba word
        ("跑鞋", "ZH-SHO-1"),  # catalog says 跑步鞋: bigram/unigram fallback
        ("龙井茶", "ZH-TEA-1"),
        ("有没有茶杯", "ZH-CUP-1"),
        ("白色T恤", "ZH-CLO-1"),
    ],
)
def test_chinese_retrieval(adapter, text, sku):
    assert skus(adapter, "zh-shop", text)[0] == sku


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("jaket", "EN-JKT-1"),
        ("backpak", "EN-BAG-1"),
        ("duffle bag", "EN-BAG-2"),
        ("hiking boot", "EN-SHO-2"),
        ("running shoe", "EN-SHO-1"),
        ("beanies", "EN-ACC-1"),
        ("tents", "EN-TNT-1"),
    ],
)
def test_english_typos_and_plurals(adapter, text, sku):
    assert sku in skus(adapter, "en-shop", text)


def test_name_outranks_description(adapter):
    assert skus(adapter, "en-shop", "rain jacket")[0] == "EN-JKT-1"


def test_colour_words(adapter):
    found = skus(adapter, "en-shop", "red jacket")
    assert found[0] == "EN-JKT-1"
    assert "EN-ACC-1" not in found  # a red hat is not a jacket


def test_filters(adapter):
    assert skus(adapter, "en-shop", "jacket", max_price=100) == ["EN-JKT-3"]
    assert "EN-JKT-2" not in skus(adapter, "en-shop", "jacket", in_stock_only=True)
    assert set(skus(adapter, "en-shop", "", category="shoes")) == {"EN-SHO-1", "EN-SHO-2"}
    cheap = skus(adapter, "en-shop", "", sort="price_asc", limit=3)
    assert cheap[0] == "EN-ACC-2"


def test_index_is_rebuilt_when_the_catalog_changes(adapter):
    assert "EN-NEW-1" not in skus(adapter, "en-shop", "kayak")
    first = knowledge_index.shop_index(adapter, "en-shop")
    assert knowledge_index.shop_index(adapter, "en-shop") is first
    from .fakes import _p

    adapter.products["en-shop"].append(_p("EN-NEW-1", "Sea Kayak", "899.00", 1, "Boats"))
    adapter.version = "2"
    assert "EN-NEW-1" in skus(adapter, "en-shop", "kayak")
    assert knowledge_index.shop_index(adapter, "en-shop") is not first


def test_text_helpers():
    assert stem("jackets") == stem("jacket")
    assert stem("reimbursed") == stem("reimburse")
    assert detect_language("有货吗") == "zh"
    assert detect_language("in stock?") == "en"
    assert detect_language("👍", "zh-hans") == "zh"
    long = clean("word " * 5000)
    assert len(long) <= 1000
    assert clean("a\x00b\u200bc") == "a b c"
