"""How well the built-in assistant answers: the share of questions it gets right, and
its time per answer.

    python bench/assistant_eval.py                      # every set below except Bitext
    python bench/assistant_eval.py --set regression     # one set (repeatable)
    python bench/assistant_eval.py --bitext             # also the Bitext test and build splits
    python bench/assistant_eval.py --configured-db      # use DATABASE_URL as it is (demo and
                                                        # generated shops already imported)
    python bench/assistant_eval.py -v                   # print the failures of the tuning sets

The sets (tests/assistant/):

- ``regression``: eval_set.jsonl, 83 questions over the demo shops (the set the assistant
  was first built against).
- ``heldout``: heldout_set.jsonl, 62 questions over two invented shops in heldout_shops.py,
  served from memory.
- ``generated``: generated_set.jsonl, the tuning two thirds of the Step 11 questions over
  the demo shops and four shops made by tests/assistant/shopgen.py and imported through
  ``manage.py import_catalog`` (what a shop owner's CSV produces).
- ``heldout2``: heldout2_set.jsonl, the held-out third of those questions, never tuned on.
- ``multiturn`` / ``multiturn-heldout``: multiturn_set.jsonl / multiturn_heldout_set.jsonl,
  conversations (two thirds / one third) run through the HTTP API against a live server
  (tests.support.live.LiveSite: uvicorn on the same database), as a browser does: the
  guest session cookie and CSRF token, POST /api/chatbot/stream-message, the answer read
  from the SSE events route (``reply.done``); a ``tap`` turn taps the chip with that label
  from the previous answer (and fails if it was not offered). Time per answer is from the
  POST to ``reply.done``.

A single-question line holds one question with its expectations: intent (or a list of
acceptable ones), skus_any (one of them is shown), first_in (the first card is one of
them), forbid_skus, skus_none, handoff, contains / not_contains (substrings of the reply).
It may carry ``before`` (earlier shopper messages, asked first in the same conversation)
and ``action`` (the quick-reply action the message was sent with; its label is the
message). A conversation line holds ``turns``, each a ``message`` or a ``tap`` with the
same expectations plus chips_include / chips_exclude (chip labels offered). Every SKU an
expectation names must exist in its shop (checked before the run).

Each set prints "passed/total = score" and p50/p95 per answer (each shop's index is built
first, so index building is not counted: bench/assistant_latency.py measures it). The
failures of the held-out sets are never printed, even with -v: they are not to be tuned
on.

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
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SETS_DIR = ROOT / "tests" / "assistant"
EVAL_SET = SETS_DIR / "eval_set.jsonl"
HELDOUT_SET = SETS_DIR / "heldout_set.jsonl"
# name -> (file, in-memory held-out shops?, conversations over HTTP?, held out?)
SETS: dict[str, tuple[Path, bool, bool, bool]] = {
    "regression": (EVAL_SET, False, False, False),
    "heldout": (HELDOUT_SET, True, False, True),
    "generated": (SETS_DIR / "generated_set.jsonl", False, False, False),
    "heldout2": (SETS_DIR / "heldout2_set.jsonl", False, False, True),
    "multiturn": (SETS_DIR / "multiturn_set.jsonl", False, True, False),
    "multiturn-heldout": (SETS_DIR / "multiturn_heldout_set.jsonl", False, True, True),
}
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
        from tests.assistant.shopgen import import_shops

        import_shops(Path(tmp) / "catalogs")  # through manage.py import_catalog


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


def load(name: str) -> list[dict[str, Any]]:
    path = SETS[name][0]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _named_skus(expect: dict[str, Any]) -> set[str]:
    # forbid_skus may name another shop's products on purpose (no cross-shop leaks).
    return {sku for key in ("skus_any", "first_in") for sku in expect.get(key, ())}


def check_skus_exist(name: str, items: list[dict[str, Any]], adapter=None) -> None:
    """Every SKU an expectation names is in its shop: a typo would make a line pass or
    fail for nothing."""
    from chatbot.adapters import get_adapter

    adapter = adapter or get_adapter()
    known: dict[str, set[str]] = {}
    for item in items:
        shop = item["shop"]
        if shop not in known:
            known[shop] = {p.sku for p in adapter.list_products(shop)}
        expects = [turn["expect"] for turn in item["turns"]] if "turns" in item else [item["expect"]]
        missing = set().union(*(_named_skus(e) for e in expects)) - known[shop]
        if missing:
            raise SystemExit(f"{name} {item['id']}: no such SKU in {shop}: {sorted(missing)}")


def report(name: str, passed: int, total: int, times: list[float], unit: str = "") -> float:
    score = passed / total if total else 0.0
    print(
        f"{name} set: {passed}/{total}{unit} = {score:.1%}  "
        f"p50 {statistics.median(times) * 1000:.1f} ms  p95 {percentile(times, 95) * 1000:.1f} ms per answer"
    )
    return score


def run_eval(verbose: bool, name: str = "regression") -> float:
    _path, memory, _http, held_out = SETS[name]
    adapter = heldout_adapter() if memory else None
    items = load(name)
    check_skus_exist(name, items, adapter)
    for shop in {i["shop"] for i in items}:
        ask(shop, "warm up", adapter=adapter)  # index build is measured by assistant_latency.py, not here
    times: list[float] = []
    passed = 0
    for item in items:
        final, took = ask_item(item, adapter)
        times.append(took)
        problems = check(item, final)
        passed += not problems
        if problems and verbose and not held_out:
            print(f"FAIL {item['id']} [{item['shop']}] {item['message']!r}: {'; '.join(problems)}")
            print(f"     -> {final.intent}: {final.text[:200]!r}")
    return report(name, passed, len(items), times)


# --- conversations through the HTTP API ------------------------------------------------

# The live server: every rate limit lifted (all turns come from one address and quickly),
# the in-process event hub (no shared Redis), the built-in assistant.
LIVE_ENV = {
    "CHATBOT_ASSISTANT": "local",
    "CHATBOT_RATE_LIMIT": "100000",
    "CHATBOT_TOKEN_RATE_LIMIT": "100000",
    "CHATBOT_ADDRESS_RATE_LIMIT": "100000",
    "CHATBOT_ADDRESS_TOKEN_RATE_LIMIT": "100000",
    "CHATBOT_NEW_CONVERSATIONS_PER_HOUR": "100000",
    "REDIS_URL": "",
    "LOG_LEVEL": "WARNING",
    # A closed event stream is only noticed by the server at its next write: beat often,
    # so each finished conversation frees its stream at once.
    "CHATBOT_SSE_HEARTBEAT_SECONDS": "1",
}


def _as_final(message: dict[str, Any]):
    """A wire Message (reply.done) as check() reads a FinalReply; the intent is not on the
    wire, so it is read from the stored row."""
    from chatbot.models import Message

    row = Message.objects.filter(pk=message["id"]).only("intent").first()
    return SimpleNamespace(
        text=message.get("text", ""),
        intent=row.intent if row else "",
        handoff=bool(message.get("handoff")),
        products=[SimpleNamespace(sku=card["sku"]) for card in message.get("products", [])],
        chips=[chip["label"] for chip in message.get("quickReplies", [])],
        chip_actions={chip["label"]: chip.get("action") for chip in message.get("quickReplies", [])},
    )


def check_turn(turn: dict[str, Any], final) -> list[str]:
    problems = check(turn, final)
    expect = turn["expect"]
    problems += [
        f"no chip {c!r} in {final.chips}" for c in expect.get("chips_include", []) if c not in final.chips
    ]
    problems += [f"chip {c!r} offered" for c in expect.get("chips_exclude", []) if c in final.chips]
    return problems


def converse_in_process(conversation: dict[str, Any], adapter=None) -> list[list[str]]:
    """A conversation asked in this process (state and history carried as the pipeline
    carries them; a ``tap`` sends the offered chip's action): the problems of each turn.
    The bench runs conversations over HTTP; this is for the pytest guard."""
    from chatbot.vocabulary import quick_reply

    state: dict[str, Any] = {}
    history: list[tuple[str, str]] = []
    offered: dict[str, Any] = {}
    results = []
    for turn in conversation["turns"]:
        problems: list[str] = []
        text, action = turn.get("message"), None
        if "tap" in turn:
            text = turn["tap"]
            if text in offered:
                action = offered[text]
            else:
                problems.append(f"chip {text!r} not offered (had {list(offered)})")
        final, _ = ask(conversation["shop"], text, None, history, state, adapter=adapter, action=action)
        history += [("shopper", text), ("assistant", final.text)]
        chips = [quick_reply(option) for option in final.quick_replies]
        offered = {chip.label: dict(chip.action) for chip in chips}
        final_view = SimpleNamespace(
            text=final.text,
            intent=final.intent,
            handoff=final.handoff,
            products=final.products,
            chips=list(offered),
        )
        results.append(problems + check_turn(turn, final_view))
    return results


class LiveConversation:
    """One guest in a browser: session cookie, CSRF header, the event stream."""

    def __init__(self, base: str, shop: str) -> None:
        from tests.support.live import EventReader, Shopper

        self.shopper = Shopper(base, shop)
        self.shopper.token()  # makes the guest and the conversation, as the widget does
        self.events = EventReader(f"{base}/api/chatbot/events?shop={shop}", session=self.shopper.session)
        self.seen = 0

    def send(self, text: str, action: dict[str, Any] | None) -> tuple[dict[str, Any], float]:
        import uuid

        body: dict[str, Any] = {"text": text, "clientMessageId": str(uuid.uuid4())}
        if action is not None:
            body["action"] = action
        started = time.perf_counter()
        response = self.shopper.post("/api/chatbot/stream-message", body)
        if response.status_code != 202:
            raise RuntimeError(f"stream-message {response.status_code}: {response.text[:300]}")
        reply_id = response.json()["reply"]["id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for event in self.events.events[self.seen :]:
                message = (event.get("data") or {}).get("message") or {}
                if event.get("event") in ("reply.done", "reply.failed") and message.get("id") == reply_id:
                    took = time.perf_counter() - started
                    self.seen = self.events.events.index(event) + 1
                    return message, took
            time.sleep(0.002)
        raise RuntimeError(f"no reply.done for message {reply_id} within 30 s")

    def close(self) -> None:
        # Closing a streamed response waits for the reading thread's next chunk: let it
        # finish in the background.
        threading.Thread(target=self.events.close, daemon=True).start()


def run_multiturn(verbose: bool, name: str, database_url: str) -> float:
    from tests.support.live import LiveSite

    _path, _memory, _http, held_out = SETS[name]
    conversations = load(name)
    check_skus_exist(name, conversations)
    times: list[float] = []
    passed = turns = whole = 0
    with LiveSite(env=LIVE_ENV, database_url=database_url) as site:
        base = site.start()
        for shop in {c["shop"] for c in conversations}:  # build each shop's index first
            warm = LiveConversation(base, shop)
            warm.send("hello", None)
            warm.close()
        for conversation in conversations:
            talk = LiveConversation(base, conversation["shop"])
            previous = None
            all_right = True
            try:
                for turn in conversation["turns"]:
                    problems: list[str] = []
                    text, action = turn.get("message"), None
                    if "tap" in turn:
                        text = turn["tap"]
                        offered = previous.chip_actions if previous else {}
                        if text in offered:
                            action = offered[text]
                        else:
                            problems.append(f"chip {text!r} not offered (had {list(offered)})")
                    message, took = talk.send(text, action)
                    times.append(took)
                    previous = _as_final(message)
                    problems += check_turn(turn, previous)
                    turns += 1
                    passed += not problems
                    all_right = all_right and not problems
                    if problems and verbose and not held_out:
                        where = f"{conversation['id']} [{conversation['shop']}]"
                        print(f"FAIL {where} {text!r}: {'; '.join(problems)}")
                        print(f"     -> {previous.intent}: {previous.text[:200]!r}")
            finally:
                talk.close()
            whole += all_right
    score = report(name, passed, turns, times, " turns")
    print(f"  whole conversations right: {whole}/{len(conversations)}")
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
    parser.add_argument(
        "--configured-db", action="store_true", help="use DATABASE_URL (demo and generated shops loaded)"
    )
    parser.add_argument("--bitext", action="store_true", help="also score the Bitext utterances")
    parser.add_argument("--bitext-only", action="store_true")
    parser.add_argument(
        "--set",
        action="append",
        choices=(*SETS, "all", "single"),
        help="which set(s) to run (default: all; single: every set but the conversations)",
    )
    parser.add_argument("--shop", action="append", help="shop(s) for the Bitext run (default: demo, demo-zh)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the failures of the tuning sets")
    args = parser.parse_args()
    setup(args.configured_db)
    chosen = args.set or ["all"]
    names = [n for n in SETS if n in chosen or "all" in chosen or ("single" in chosen and not SETS[n][2])]
    if not args.bitext_only:
        for name in names:
            if SETS[name][2]:
                run_multiturn(args.verbose, name, os.environ["DATABASE_URL"])
            else:
                run_eval(args.verbose, name)
    if args.bitext or args.bitext_only:
        for shop in args.shop or ["demo", "demo-zh"]:
            for split in ("test", "build"):
                run_bitext(split, shop, args.verbose)


if __name__ == "__main__":
    main()
