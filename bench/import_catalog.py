"""Import speed of ``manage.py import_catalog`` on SQLite and PostgreSQL.

    python bench/import_catalog.py [--rows 10000] [--pg postgres://postgres@127.0.0.1:5432]

Writes a CSV of ``--rows`` products into a temp dir, then for each database: a fresh
throwaway database (a temp SQLite file; a new PostgreSQL database, dropped afterwards),
``migrate``, and three timed imports: the first (all rows created), a second with every
price changed (all rows updated), a third with the same file (nothing to write). Each
database runs in its own child process because Django reads DATABASE_URL once, at setup.
Prints one line per database and import: seconds, rows per second and the command's
summary. --no-pg measures SQLite only.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = [
    "Tents",
    "Sleeping Bags",
    "Backpacks",
    "Jackets",
    "Footwear",
    "Camp Kitchen",
    "Accessories",
    "茶具",
]


def write_catalog(path: Path, rows: int, price_shift: int = 0) -> None:
    rng = random.Random(42)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "description", "price", "stock", "category"])
        for i in range(rows):
            writer.writerow(
                [
                    f"BN-{i:06d}-{rng.choice('ABCDEFGH')}",
                    f"Bench product {i}",
                    f"Ripstop nylon, size {rng.choice('SML')}.\n"
                    f"Colour: {rng.choice(['red', 'blue', 'green'])}, weight {rng.randint(100, 3000)} g",
                    f"{rng.randint(1, 50000) / 100 + price_shift:.2f}",
                    rng.randint(0, 200),
                    CATEGORIES[i % len(CATEGORIES)],
                ]
            )


def child(first: Path, second: Path, rows: int) -> None:
    """Runs inside the child process, with DATABASE_URL already in the environment."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    label = connection.vendor
    for name, path in (("create", first), ("update", second), ("unchanged", second)):
        out = StringIO()
        started = time.perf_counter()
        call_command("import_catalog", str(path), shop="bench", no_progress=True, stdout=out, stderr=out)
        seconds = time.perf_counter() - started
        summary = out.getvalue().strip().splitlines()[-1]
        print(
            f"{label:<10} {name:<10} {rows:>7} rows {seconds:7.2f} s "
            f"{rows / seconds:>9,.0f} rows/s  ({summary})"
        )


def run_child(database_url: str, first: Path, second: Path, rows: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    cmd = [sys.executable, __file__, "--child", str(first), str(second), "--rows", str(rows)]
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)


def with_postgres(server: str, first: Path, second: Path, rows: int) -> None:
    import psycopg

    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        run_child(f"{server}/{name}", first, second, rows)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--child", nargs=2, metavar=("FIRST_CSV", "SECOND_CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.rows)
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        first, second = Path(tmp) / "products.csv", Path(tmp) / "products-changed.csv"
        write_catalog(first, args.rows)
        write_catalog(second, args.rows, price_shift=1)
        print(f"CSV: {args.rows} products, {first.stat().st_size / 1e6:.1f} MB")
        run_child(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", first, second, args.rows)
        if not args.no_pg:
            with_postgres(args.pg.rstrip("/"), first, second, args.rows)


if __name__ == "__main__":
    main()
