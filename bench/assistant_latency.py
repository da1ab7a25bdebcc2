"""Per-answer latency of the built-in assistant over a generated 10,000-product catalog.

    python bench/assistant_latency.py                      # SQLite and PostgreSQL
    python bench/assistant_latency.py --backend sqlite     # one backend
    python bench/assistant_latency.py --products 20000
    python bench/assistant_latency.py --backend sqlite --embeddings   # + semantic retrieval

Each backend runs in its own process (Django is set up once per process): a throwaway
database (a temp SQLite file; on PostgreSQL a new database on
postgres://postgres@127.0.0.1:5432, dropped afterwards), migrated, filled with an
English (USD) and a Chinese (CNY) shop of N products each, then timed. The index build
(first answer after a catalog change) is reported separately from the per-answer p50/p95,
which include the adapter's catalog_version query on every answer. Target: p95 <= 30 ms
(without embeddings, the default).

``--embeddings`` then times the same answers again with ``CHATBOT_EMBEDDINGS_URL`` set to a
local stand-in endpoint (tests/doubles/embeddings_double.py, 768-dimension vectors from a
toy model) and prints how long the background embedding of the catalog took and the time
added per answer: each answer asks for its question's vector afresh (one loopback HTTP
request) and scores every product (one numpy matrix-vector product). A real model adds its own
time per question on top (Ollama's nomic-embed-text: a few ms to tens of ms on a CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

EN_KINDS = [
    ("Jackets", ["rain jacket", "down jacket", "fleece jacket", "softshell jacket", "insulated vest"]),
    ("Footwear", ["hiking boot", "trail runner", "sandal", "approach shoe", "winter boot"]),
    ("Backpacks", ["daypack", "trekking pack", "commuter pack", "hydration pack", "duffel bag"]),
    ("Tents", ["backpacking tent", "family tent", "ultralight tarp", "bivy sack", "footprint"]),
    ("Kitchen", ["titanium pot", "camp stove", "water filter", "insulated bottle", "cook set"]),
    ("Accessories", ["headlamp", "trekking poles", "sun hat", "liner gloves", "folding knife"]),
]
EN_BRANDS = [
    "Ridgeline",
    "Stormline",
    "Granite",
    "Summit",
    "Alpine",
    "Cirrus",
    "Beacon",
    "Scree",
    "Ember",
    "Trail",
]
EN_COLOURS = ["red", "blue", "black", "green", "grey", "orange", "navy", "white"]
ZH_KINDS = [
    ("绿茶", ["龙井", "碧螺春", "毛峰", "白茶"]),
    ("乌龙茶", ["铁观音", "大红袍", "单丛", "冻顶乌龙"]),
    ("红茶", ["金骏眉", "滇红", "祁门红茶", "正山小种"]),
    ("普洱茶", ["生普茶饼", "熟普茶饼", "小沱茶"]),
    ("茶具", ["紫砂壶", "盖碗", "品茗杯", "公道杯", "茶盘"]),
]
ZH_PLACES = ["西湖", "武夷山", "云南", "安溪", "宜兴", "福鼎", "黄山", "杭州", "景德镇", "潮州"]
ZH_GRADES = ["特级", "一级", "精品", "明前", "古树", "手工", "经典"]

QUERIES_EN = [
    "do you have a rain jacket?",
    "red rain jacket under $150",
    "hiking boots between 50 and 120 dollars",
    "cheapest headlamp",
    "is the Ridgeline daypack 7 in stock?",
    "how much is the Summit trail runner 12?",
    "backpak",
    "waterproof jakcet",
    "titanium pot",
    "how long does shipping take?",
    "what is your return policy",
    "where is my order?",
    "I want to talk to a human",
    "thanks!",
    "what's the weather like today?",
    "blue sandal in stock",
    "trekking poles over 100 dollars",
]
QUERIES_ZH = [
    "有没有龙井",
    "200元以内的紫砂壶",
    "便宜点的红茶",
    "铁观音有货吗",
    "武夷山大红袍多少钱",
    "运费多少",
    "我的订单到哪了",
    "转人工",
    "盖碗",
    "100块以下的茶具",
]


def make_products(shop, count: int, chinese: bool, rng: random.Random):
    from storefront.models import Category, Product

    kinds = ZH_KINDS if chinese else EN_KINDS
    categories = {
        name: Category.objects.create(shop=shop, name=name, slug=f"c{i}") for i, (name, _) in enumerate(kinds)
    }
    rows = []
    for n in range(count):
        category, items = kinds[n % len(kinds)]
        item = rng.choice(items)
        if chinese:
            name = f"{rng.choice(ZH_PLACES)}{item} {rng.choice(ZH_GRADES)} {n}"
            description = (
                f"{rng.choice(ZH_PLACES)}出品的{item}，{rng.choice(ZH_GRADES)}，适合日常品饮和送礼。"
            )
        else:
            colour = rng.choice(EN_COLOURS)
            name = f"{rng.choice(EN_BRANDS)} {item.title()} {n}"
            description = (
                f"A {colour} {item} built for long days outside. Weighs {rng.randint(100, 3000)} g. "
                f"Colour: {colour}. Made of recycled nylon and polyester."
            )
        rows.append(
            Product(
                shop=shop,
                category=categories[category],
                sku=f"{'Z' if chinese else 'E'}-{n:06d}",
                name=name,
                description=description,
                price=Decimal(rng.randint(500, 90000)) / 100,
                stock=rng.choice([0, 0, 3, 12, 40]),
            )
        )
    Product.objects.bulk_create(rows, batch_size=2000)


def time_with_embeddings(answer, adapter, slug: str, queries: list[str], rounds: int) -> dict:
    """The same answers with semantic retrieval on, against the loopback stand-in."""
    from django.test import override_settings

    from chatbot.knowledge import embeddings
    from chatbot.knowledge import index as knowledge_index
    from tests.doubles.embeddings_double import EmbeddingsDouble

    with (
        EmbeddingsDouble(dimensions=768) as double,
        override_settings(CHATBOT_EMBEDDINGS_URL=double.base_url, CHATBOT_EMBEDDINGS_MODEL="toy-768"),
    ):
        knowledge_index.clear_cache()
        embeddings.reset()
        started = time.perf_counter()
        index = knowledge_index.shop_index(adapter, slug)  # starts the background embedding
        deadline = started + 1800
        while index.semantic.missing() and time.perf_counter() < deadline:
            time.sleep(0.05)
        embedded = time.perf_counter() - started
        catalog_requests = len(double.calls)
        times = []
        for _ in range(rounds):
            for query in queries:
                embeddings.forget_questions()  # every answer asks for its question's vector
                times.append(answer(query))
        times.sort()
        knowledge_index.clear_cache()
    return {
        "catalog_embedded_s": round(embedded, 2),
        "catalog_requests": catalog_requests,
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 2),
    }


def child(backend: str, count: int, rounds: int, with_embeddings: bool = False) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chatbot.adapters import get_adapter
    from chatbot.assistants import get_assistant
    from chatbot.assistants.base import AssistantContext
    from chatbot.knowledge import index as knowledge_index
    from chatbot.vocabulary import Shopper
    from storefront.models import FaqEntry, Shop

    rng = random.Random(42)
    result: dict = {"backend": backend, "products_per_shop": count}
    for slug, chinese, currency, language, queries in (
        ("bench-en", False, "USD", "en", QUERIES_EN),
        ("bench-zh", True, "CNY", "zh-hans", QUERIES_ZH),
    ):
        shop = Shop.objects.create(slug=slug, name=slug, currency=currency, language=language)
        started = time.perf_counter()
        make_products(shop, count, chinese, rng)
        FaqEntry.objects.create(
            shop=shop, question="How long does shipping take? 多久发货？", answer="3-5 days."
        )
        FaqEntry.objects.create(shop=shop, question="Return policy 退货政策", answer="30 days.")
        fill = time.perf_counter() - started
        adapter = get_adapter()
        info = adapter.get_shop(slug)
        bot = get_assistant("local")

        def answer(message: str, _info=info, _adapter=adapter, _bot=bot) -> float:
            context = AssistantContext(
                shop=_info,
                shopper=Shopper("bench", "Guest", None, _info.language),
                message=message,
                adapter=_adapter,
                language=_info.language,
            )
            t0 = time.perf_counter()
            _bot.answer(context)
            return time.perf_counter() - t0

        knowledge_index.clear_cache()
        build = answer("hello there, do you have anything nice?")
        times = [answer(q) for _ in range(rounds) for q in queries]
        times.sort()
        result[slug] = {
            "fill_s": round(fill, 2),
            "first_answer_with_index_build_ms": round(build * 1000, 1),
            "answers": len(times),
            "p50_ms": round(statistics.median(times) * 1000, 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 2),
            "max_ms": round(times[-1] * 1000, 2),
        }
        if with_embeddings:
            result[slug]["embeddings"] = time_with_embeddings(answer, adapter, slug, queries, rounds)
    return result


def run_backend(backend: str, count: int, rounds: int, with_embeddings: bool = False) -> dict:
    env = dict(os.environ)
    cleanup = None
    if backend == "sqlite":
        tmp = tempfile.mkdtemp(prefix="assistant-latency-")
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        import psycopg

        name = f"assistant_latency_{os.getpid()}"
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{PG_SERVER}/{name}"

        def cleanup() -> None:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                "--products",
                str(count),
                "--rounds",
                str(rounds),
                *(["--embeddings"] if with_embeddings else []),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"{backend} run failed")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if cleanup:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the query list")
    parser.add_argument(
        "--embeddings", action="store_true", help="also time answers with semantic retrieval (local stand-in)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.products, args.rounds, args.embeddings)))
        return
    for backend in args.backend or ["sqlite", "postgres"]:
        result = run_backend(backend, args.products, args.rounds, args.embeddings)
        for slug in ("bench-en", "bench-zh"):
            r = result[slug]
            print(
                f"{backend:8} {slug}: {args.products} products, index build (first answer) "
                f"{r['first_answer_with_index_build_ms']:.0f} ms; {r['answers']} answers "
                f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms"
            )
            if "embeddings" in r:
                e = r["embeddings"]
                print(
                    f"{'':8} {slug} with embeddings (stand-in, 768 dims): catalog embedded in "
                    f"{e['catalog_embedded_s']:.1f} s ({e['catalog_requests']} requests); answers "
                    f"p50 {e['p50_ms']:.1f} ms (+{e['p50_ms'] - r['p50_ms']:.1f}), "
                    f"p95 {e['p95_ms']:.1f} ms (+{e['p95_ms'] - r['p95_ms']:.1f})"
                )


if __name__ == "__main__":
    main()
