"""The Step 11 eval sets as regression guards (not timed; bench/assistant_eval.py times
them): the generated shops import cleanly through ``manage.py import_catalog``, and the
built-in assistant keeps at least its measured score on the TUNING sets (the single
questions of generated_set.jsonl and the conversations of multiturn_set.jsonl, here asked
in-process). The held-out sets (heldout2_set.jsonl, multiturn_heldout_set.jsonl) are not
guarded here: a test that fails on them would invite tuning on them."""

import importlib.util
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from storefront.models import FaqEntry, Product, Shop

from . import shopgen

ROOT = Path(__file__).resolve().parents[2]

# The scores measured when the sets were last tuned on (README, "Measured"): a change
# that answers fewer of them fails here.
GENERATED_FLOOR = 0.90  # 110/121 measured
MULTITURN_FLOOR = 0.97  # 41/42 turns measured


def _bench():
    spec = importlib.util.spec_from_file_location("assistant_eval", ROOT / "bench" / "assistant_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.fixture
def shops(db, tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    shopgen.import_shops(tmp_path)


def test_the_generator_is_deterministic():
    assert [p.__dict__ for p in shopgen.products(shopgen.PET)] == [
        p.__dict__ for p in shopgen.products(shopgen.PET)
    ]
    assert all("{" not in p.description for spec in shopgen.SHOPS for p in shopgen.products(spec))


def test_generated_shops_import_through_import_catalog(shops):
    for spec in shopgen.SHOPS:
        shop = Shop.objects.get(slug=spec.slug)
        assert (shop.name, shop.currency, shop.language) == (spec.name, spec.currency, spec.language)
        made = {p.sku: p for p in shopgen.products(spec)}
        stored = {p.sku: p for p in Product.objects.filter(shop=shop).select_related("category")}
        assert set(stored) == set(made)
        for sku, product in made.items():
            assert stored[sku].description == product.description
            assert stored[sku].price == product.price and stored[sku].stock == product.stock
            assert stored[sku].category.name == product.category
        assert FaqEntry.objects.filter(shop=shop).count() == len(shopgen.faq(spec))


def test_the_sets_are_big_enough_and_bilingual():
    bench = _bench()
    single = bench.load("generated") + bench.load("heldout2")
    conversations = bench.load("multiturn") + bench.load("multiturn-heldout")
    assert len(single) + len(conversations) >= 200
    english = [i for i in single if i["shop"] in ("demo", "pawsome", "inkwell")]
    assert 0.4 <= len(english) / len(single) <= 0.6
    assert len(bench.load("heldout2")) >= len(single) // 3 - 1
    ids = [i["id"] for i in single + conversations]
    assert len(ids) == len(set(ids))


def test_generated_tuning_set_keeps_its_score(shops):
    bench = _bench()
    items = bench.load("generated")
    bench.check_skus_exist("generated", items)
    failures = []
    for item in items:
        final, _ = bench.ask_item(item)
        problems = bench.check(item, final)
        if problems:
            failures.append((item["id"], item["message"], problems))
    score = 1 - len(failures) / len(items)
    assert score >= GENERATED_FLOOR, json.dumps(failures, ensure_ascii=False, indent=1)


def test_multiturn_tuning_conversations_keep_their_score(shops):
    bench = _bench()
    conversations = bench.load("multiturn")
    turns = failures = 0
    report = []
    for conversation in conversations:
        results = bench.converse_in_process(conversation)
        for turn, problems in zip(conversation["turns"], results, strict=True):
            turns += 1
            if problems:
                failures += 1
                report.append((conversation["id"], turn.get("message") or turn.get("tap"), problems))
    assert 1 - failures / turns >= MULTITURN_FLOOR, json.dumps(report, ensure_ascii=False, indent=1)
