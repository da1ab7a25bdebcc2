"""``manage.py import_catalog --shop SLUG PRODUCTS.csv [--faq FAQ.csv]``."""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from storefront.catalog_import import CatalogFile, CatalogFileError, open_faq, open_products
from storefront.catalog_store import (
    DEFAULT_BATCH_SIZE,
    ImportResult,
    Progress,
    ensure_shop,
    import_faq,
    import_products,
)

# Below this many records a progress bar only flickers.
PROGRESS_MIN_RECORDS = 2000


class Command(BaseCommand):
    help = (
        "Import or update a shop's products (CSV columns sku,name,description,price,stock,category) "
        "and FAQ (question,answer). Creates the shop if it does not exist. Re-running updates by "
        "SKU / question and never duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("products", nargs="?", help="Products CSV file (UTF-8, header row).")
        parser.add_argument("--shop", required=True, help="Shop slug, e.g. demo.")
        parser.add_argument("--faq", help="FAQ CSV file with columns question,answer.")
        parser.add_argument("--name", help="Shop name (default: the slug, title-cased, on create).")
        parser.add_argument("--currency", help="ISO 4217 currency code, e.g. USD or CNY.")
        parser.add_argument("--language", help="Shop language: en or zh-hans.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args: object, **options: object) -> None:
        products_path = options["products"]
        faq_path = options["faq"]
        if not products_path and not faq_path:
            raise CommandError("Give a products CSV file, a --faq file, or both.")
        batch_size = int(options["batch_size"])  # type: ignore[call-overload]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # Open (and so check) every file before the shop is touched: a wrong file changes nothing.
        try:
            products = open_products(products_path) if products_path else None  # type: ignore[arg-type]
            faq = open_faq(faq_path) if faq_path else None  # type: ignore[arg-type]
        except CatalogFileError as exc:
            raise CommandError(str(exc)) from exc
        try:
            shop, created = ensure_shop(
                str(options["shop"]),
                name=options["name"],  # type: ignore[arg-type]
                currency=options["currency"],  # type: ignore[arg-type]
                language=options["language"],  # type: ignore[arg-type]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Using"
        self.stdout.write(f"{verb} shop {shop.slug!r} ({shop.name}, {shop.currency}, {shop.language}).")

        failed = 0
        if products is not None:
            result = self._run(
                products,
                "products",
                options,
                lambda progress: import_products(shop, products, batch_size=batch_size, progress=progress),
            )
            failed += self._report(result, "products", products)
        if faq is not None:
            result = self._run(
                faq,
                "FAQ entries",
                options,
                lambda progress: import_faq(shop, faq, batch_size=batch_size, progress=progress),
            )
            failed += self._report(result, "FAQ entries", faq)
        if failed:
            raise CommandError(f"{failed} row(s) failed; see the lines above. The other rows were imported.")

    def _run(
        self,
        catalog: CatalogFile,
        label: str,
        options: dict,
        work: Callable[[Progress | None], ImportResult],
    ) -> ImportResult:
        show = not options["no_progress"] and catalog.total >= PROGRESS_MIN_RECORDS and sys.stderr.isatty()
        if not show:
            return work(None)
        with tqdm(total=catalog.total, unit="rows", desc=label, file=sys.stderr) as bar:
            return work(bar.update)

    def _report(self, result: ImportResult, label: str, catalog: CatalogFile) -> int:
        for error in result.errors:
            self.stderr.write(f"{catalog.path.name}, {error}")
        summary = (
            f"Imported {result.imported} {label} ({result.created} created, {result.updated} updated), "
            f"{result.failed} failed"
        )
        self.stdout.write(self.style.WARNING(summary) if result.failed else self.style.SUCCESS(summary))
        return result.failed
