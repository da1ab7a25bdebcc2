"""How well the built-in assistant answers: the share of questions it gets right, and
its time per answer.

    python bench/assistant_eval.py                 # regression set, demo shops in a temp SQLite DB
    python bench/assistant_eval.py --set heldout   # the held-out set over two unseen shops
    python bench/assistant_eval.py --set all       # both
    python bench/assistant_eval.py --bitext        # also the Bitext utterances
    python bench/assistant_eval.py --configured-db # use DATABASE_URL as it is (demo loaded)
    python bench/assistant_eval.py -v              # print every failure

The regression set (tests/assistant/eval_set.jsonl, the demo shops) and the held-out set
(tests/assistant/heldout_set.jsonl, two invented shops in tests/assistant/heldout_shops.py
served from memory, never tuned on) hold one question per line with its expectations:
intent (or a list of acceptable ones), skus_any (one of them is shown), first_in (the
first card is one of them), forbid_skus, skus_none, handoff, contains / not_contains
(substrings of the reply). A line may carry ``before`` (earlier shopper messages, asked
first in the same conversation) and ``action`` (the quick-reply action the message was
sent with; its label is the message). It
prints "passed/total = score" and p50/p95 per answer (the index is built first, so index
building is not counted: bench/assistant_latency.py measures it).

With --bitext it then asks every Bitext customer-support utterance of split=test and
split=build (../shared/datasets/bitext-customer-support/utterances.csv) as a guest of
each demo shop (demo, demo-zh; --shop to choose), and prints the score per shop and split.
An answer counts when its intent (and hand-off, where required) is the behaviour
BITEXT_BEHAVIOUR below maps the Bitext intent to. The intent classifier is trained on the
build split only (python -m chatbot.knowledge.train_intents), so split=test is the
held-out score.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL_SET = ROOT / "tests" / "assistant" / "eval_set.jsonl"
HELDOUT_SET = ROOT / "tests" / "assistant" / "heldout_set.jsonl"
BITEXT = Path(__file__).resolve().parents[2] / "shared/datasets/bitext-customer-support/utterances.csv"

# Bitext intent -> acceptable (intents, handoff required?) of the assistant.
BITEXT_BEHAVIOUR: dict[str, tuple[set[str], bool]] = {
    "track_order": ({"order_status"}, False),
    "cancel_order": ({"order_status", "faq", "handoff"}, False),
    "contact_human_agent": ({"handoff"}, True),
    "complaint": ({"handoff"}, True),
    "contact_customer_service": ({"faq", "handoff"}, False),
    "delivery_period": ({"faq"}, False),
    "delivery_options": ({"faq"}, False),
    "check_payment_methods": ({"faq"}, False),
    "check_refund_policy": ({"faq", "handoff"}, False),
    "get_refund": ({"faq", "handoff"}, False),
}


def setup(configured_db: bool) -> None:
    if not configured_db:
        tmp = tempfile.mkdtemp(prefix="assistant-eval-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/eval.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if not configured_db:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())


def heldout_adapter():
    from tests.assistant.heldout_shops import HELDOUT_SHOPS
    from tests.support.shops import MemoryShopAdapter

    return MemoryShopAdapter(HELDOUT_SHOPS)


def ask(
    shop_id: str,
    message: str,
    customer: str | None = None,
    history=(),
    state=None,
    assistant=None,
    adapter=None,
    action=None,
):
    from chatbot.adapters import get_adapter
    from chatbot.assistants import get_assistant
    from chatbot.assistants.base import AssistantContext
    from chatbot.vocabulary import ChatTurn, Shopper

    adapter = adapter or get_adapter()
    shop = adapter.get_shop(shop_id)
    assert shop is not None, f"shop {shop_id} is not loaded"
    ref, name = (None, "Guest")
    if customer:
        found = adapter.find_customer(customer)
        assert found is not None, f"customer {customer} is not loaded"
        ref, name = found
    context = AssistantContext(
        shop=shop,
        shopper=Shopper("eval", name, ref, shop.language),
        message=message,
        adapter=adapter,
        history=[ChatTurn(role, text) for role, text in history],
        language=shop.language,
        state=state if state is not None else {},
    )
    if action is not None and hasattr(context, "action"):
        context.action = action
    bot = assistant or get_assistant("local")
    started = time.perf_counter()
    final = bot.answer(context)
    return final, time.perf_counter() - started


def ask_item(item: dict[str, Any], adapter=None):
    """One line of a set: its earlier messages first (same state and history), then it."""
    state = dict(item.get("state") or {})
    history = [tuple(turn) for turn in item.get("history", ())]
    for earlier in item.get("before", ()):
        final, _ = ask(item["shop"], earlier, item.get("customer"), history, state, adapter=adapter)
        history += [("shopper", earlier), ("assistant", final.text)]
    return ask(
        item["shop"],
        item["message"],
        item.get("customer"),
        history,
        state,
        adapter=adapter,
        action=item.get("action"),
    )


def check(item: dict[str, Any], final) -> list[str]:
    expect = item["expect"]
    problems = []
    skus = [card.sku for card in final.products]
    wanted = expect.get("intent")
    if wanted:
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if final.intent not in allowed:
            problems.append(f"intent {final.intent} not in {allowed}")
    if expect.get("skus_any") and not set(expect["skus_any"]) & set(skus):
        problems.append(f"none of {expect['skus_any']} in {skus}")
    if expect.get("first_in") and (not skus or skus[0] not in expect["first_in"]):
        problems.append(f"first card {skus[:1]} not in {expect['first_in']}")
    bad = set(expect.get("forbid_skus", [])) & set(skus)
    if bad:
        problems.append(f"forbidden {sorted(bad)} shown")
    if expect.get("skus_none") and skus:
        problems.append(f"products shown: {skus}")
    if "handoff" in expect and final.handoff != expect["handoff"]:
        problems.append(f"handoff {final.handoff}")
    problems.extend(
        f"missing {s!r}" for s in expect.get("contains", []) if s.lower() not in final.text.lower()
    )
    problems.extend(
        f"contains {s!r}" for s in expect.get("not_contains", []) if s.lower() in final.text.lower()
    )
    return problems


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run_eval(verbose: bool, name: str = "regression") -> float:
    path, adapter = (HELDOUT_SET, heldout_adapter()) if name == "heldout" else (EVAL_SET, None)
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for shop in {i["shop"] for i in items}:
        ask(shop, "warm up", adapter=adapter)  # index build is measured by assistant_latency.py, not here
    times: list[float] = []
    passed = 0
    for item in items:
        final, took = ask_item(item, adapter)
        times.append(took)
        problems = check(item, final)
        passed += not problems
        if problems and verbose:
            print(f"FAIL {item['id']} [{item['shop']}] {item['message']!r}: {'; '.join(problems)}")
            print(f"     -> {final.intent}: {final.text[:200]!r}")
    score = passed / len(items)
    print(
        f"{name} set: {passed}/{len(items)} = {score:.1%}  "
        f"p50 {statistics.median(times) * 1000:.1f} ms  p95 {percentile(times, 95) * 1000:.1f} ms per answer"
    )
    return score


def run_bitext(split: str, shop: str, verbose: bool) -> float:
    with BITEXT.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["split"] == split]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    times = []
    for row in rows:
        final, took = ask(shop, row["utterance"])
        times.append(took)
        intents_ok, needs_handoff = BITEXT_BEHAVIOUR[row["bitext_intent"]]
        ok = final.intent in intents_ok and (final.handoff or not needs_handoff)
        total[row["bitext_intent"]] += 1
        right[row["bitext_intent"]] += ok
        if not ok and verbose:
            print(f"  MISS {row['bitext_intent']}: {row['utterance']!r} -> {final.intent}")
    score = sum(right.values()) / len(rows)
    detail = ", ".join(f"{k} {right[k] / total[k]:.0%}" for k in sorted(total))
    print(
        f"bitext split={split} shop={shop}: {sum(right.values())}/{len(rows)} = {score:.1%}  "
        f"p95 {percentile(times, 95) * 1000:.1f} ms\n  {detail}"
    )
    return score


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configured-db", action="store_true", help="use DATABASE_URL (demo already loaded)")
    parser.add_argument("--bitext", action="store_true", help="also score the Bitext utterances")
    parser.add_argument("--bitext-only", action="store_true")
    parser.add_argument(
        "--set", choices=("regression", "heldout", "all"), default="regression", help="which eval set to run"
    )
    parser.add_argument("--shop", action="append", help="shop(s) for the Bitext run (default: demo, demo-zh)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    setup(args.configured_db)
    if not args.bitext_only:
        for name in ("regression", "heldout") if args.set == "all" else (args.set,):
            run_eval(args.verbose, name)
    if args.bitext or args.bitext_only:
        for shop in args.shop or ["demo", "demo-zh"]:
            for split in ("test", "build"):
                run_bitext(split, shop, args.verbose)


if __name__ == "__main__":
    main()
