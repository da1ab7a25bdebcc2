"""Writing parsed catalog rows into a shop: upsert by SKU (products) or question (FAQ).

Rows are written in batches, one transaction per batch, with bulk_create/bulk_update, so a
10,000-row file costs a few dozen queries. Rows whose values did not change are not
written: their ``updated_at`` stays put and the chatbot's catalog version with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import cast

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.text import slugify

from .catalog_import import CatalogFile, FaqRow, ProductRow, RowError, faq_rows, product_rows
from .models import Category, FaqEntry, Product, Shop

DEFAULT_BATCH_SIZE = 1000
Progress = Callable[[int], object]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0  # rows matching an existing record, changed or already up to date
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    @property
    def failed(self) -> int:
        return len(self.errors)


def ensure_shop(
    slug: str, *, name: str | None = None, currency: str | None = None, language: str | None = None
) -> tuple[Shop, bool]:
    """The shop with this slug, created if missing; given values are applied either way.
    Raises ``ValueError`` with a readable message when a value is not valid."""
    shop = Shop.objects.filter(slug=slug).first()
    created = shop is None
    if shop is None:
        shop = Shop(slug=slug, name=name or slug.replace("-", " ").replace("_", " ").title())
    elif name:
        shop.name = name
    if currency:
        shop.currency = currency.strip().upper()
    if language:
        shop.language = language.strip().lower().replace("_", "-")
    try:
        shop.full_clean(exclude=["domain"])
    except ValidationError as exc:
        problems = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
        raise ValueError(f"Invalid shop settings ({problems}).") from exc
    shop.save()
    return shop, created


class _Categories:
    """The shop's categories by name; new names become categories with a slug unique in
    the shop (``tents``, ``tents-2``...)."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.by_name: dict[str, Category] = {c.name: c for c in Category.objects.filter(shop=shop)}
        self.slugs = {c.slug for c in self.by_name.values()}

    def get(self, name: str) -> Category | None:
        if not name:
            return None
        category = self.by_name.get(name)
        if category is None:
            category = Category.objects.create(shop=self.shop, name=name, slug=self._unique_slug(name))
            self.by_name[name] = category
            self.slugs.add(category.slug)
        return category

    def _unique_slug(self, name: str) -> str:
        base = slugify(name, allow_unicode=True)[:110] or "category"
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        return slug


def _batches(
    items: Iterable[ProductRow | FaqRow | RowError],
    size: int,
    result: ImportResult,
    progress: Progress | None,
) -> Iterator[list]:
    batch: list = []
    for item in items:
        if progress is not None:
            progress(1)
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_products(
    shop: Shop,
    catalog: CatalogFile,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert the file's products into ``shop``. Columns absent from the file (description,
    stock, category) are left as they are on existing products."""
    result = ImportResult()
    categories = _Categories(shop)
    optional: list[str] = [name for name in ("description", "stock", "category") if name in catalog.columns]
    update_fields = ["name", "price", "updated_at", *optional]
    for batch in _batches(product_rows(catalog), batch_size, result, progress):
        with transaction.atomic():
            _write_products(shop, batch, categories, optional, update_fields, batch_size, result)
    return result


def _write_products(
    shop: Shop,
    rows: list[ProductRow],
    categories: _Categories,
    optional: list[str],
    update_fields: list[str],
    batch_size: int,
    result: ImportResult,
) -> None:
    existing = {p.sku: p for p in Product.objects.filter(shop=shop, sku__in=[row.sku for row in rows])}
    now = timezone.now()
    to_create: list[Product] = []
    to_update: list[Product] = []
    for row in rows:
        category = categories.get(row.category) if "category" in optional else None
        values = {"name": row.name, "price": row.price}
        if "description" in optional:
            values["description"] = row.description
        if "stock" in optional:
            values["stock"] = row.stock
        product = existing.get(row.sku)
        if product is None:
            to_create.append(Product(shop=shop, sku=row.sku, category=category, **values))
            continue
        result.updated += 1
        if "category" in optional:
            values["category_id"] = category.pk if category else None
        if any(getattr(product, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(product, key, value)
            # bulk_update skips auto_now; the catalog version depends on this timestamp.
            product.updated_at = now
            to_update.append(product)
    if to_create:
        Product.objects.bulk_create(to_create, batch_size=batch_size)
        result.created += len(to_create)
    if to_update:
        _update_products(to_update, update_fields)


def _update_products(products: list[Product], fields: list[str]) -> None:
    """Like ``bulk_update`` but about 30x faster: bulk_update builds one CASE WHEN per row
    and field, ~1 ms of Python per row, which made a 10,000-row update take 10 s. One
    parameterised UPDATE run with ``executemany`` does the same work."""
    connection = connections[router.db_for_write(Product)]
    meta = Product._meta
    quote = connection.ops.quote_name
    columns = [cast(Field, meta.get_field(name)) for name in fields]
    assert meta.pk is not None
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(product, field.attname), connection) for field in columns]
        + [product.pk]
        for product in products
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def import_faq(
    shop: Shop,
    catalog: CatalogFile,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert the file's questions and answers into ``shop``, matched by question."""
    result = ImportResult()
    # A shop's FAQ is a few dozen entries: one query up front beats one per batch.
    existing = {entry.question: entry for entry in FaqEntry.objects.filter(shop=shop)}
    for batch in _batches(faq_rows(catalog), batch_size, result, progress):
        now = timezone.now()
        to_create: list[FaqEntry] = []
        to_update: list[FaqEntry] = []
        for row in batch:
            entry = existing.get(row.question)
            if entry is None:
                entry = FaqEntry(shop=shop, question=row.question, answer=row.answer)
                existing[row.question] = entry
                to_create.append(entry)
                continue
            result.updated += 1
            if entry.answer != row.answer:
                entry.answer = row.answer
                entry.updated_at = now
                to_update.append(entry)
        with transaction.atomic():
            if to_create:
                FaqEntry.objects.bulk_create(to_create, batch_size=batch_size)
                result.created += len(to_create)
            if to_update:
                FaqEntry.objects.bulk_update(to_update, ["answer", "updated_at"], batch_size=batch_size)
    return result
