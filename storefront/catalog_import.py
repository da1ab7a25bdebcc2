"""Reading catalog CSV files: products (``sku,name,description,price,stock,category``) and
FAQ (``question,answer``).

Parsing only: this module turns a file into validated rows and per-line errors and never
touches the database (``storefront.catalog_store`` writes). Files are read twice: a first
pass checks the encoding and the header and counts records, so a file that is not UTF-8
fails before anything is written, and the progress bar knows its total.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

PRODUCT_COLUMNS = ("sku", "name", "description", "price", "stock", "category")
PRODUCT_REQUIRED = ("sku", "name", "price")
FAQ_COLUMNS = ("question", "answer")
FAQ_REQUIRED = ("question", "answer")

# Field limits of storefront.models; checked here so a long value is a reported bad row,
# not a database error that aborts a whole batch (PostgreSQL enforces them, SQLite not).
MAX_SKU = 64
MAX_NAME = 200
MAX_CATEGORY = 120
MAX_QUESTION = 300
MAX_PRICE = Decimal("99999999.99")  # DecimalField(max_digits=10, decimal_places=2)
MAX_STOCK = 2_147_483_647  # PositiveIntegerField on PostgreSQL

# Descriptions are free text and may be long; the csv module's default limit is 128 KiB.
csv.field_size_limit(10 * 1024 * 1024)


class CatalogFileError(Exception):
    """The file as a whole cannot be read (encoding, binary, empty, header)."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ProductRow:
    line: int
    sku: str
    name: str
    description: str
    price: Decimal
    stock: int
    category: str


@dataclass(frozen=True)
class FaqRow:
    line: int
    question: str
    answer: str


class CatalogFile:
    """One CSV file with a header row. ``records()`` yields ``(line, {column: value})`` where
    ``line`` is the physical line on which the record starts."""

    def __init__(self, path: str | Path, *, known: tuple[str, ...], required: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.known = known
        self.required = required
        self.columns: dict[str, int] = {}
        self.total = 0
        self._check()

    def _open(self) -> io.TextIOWrapper:
        # utf-8-sig drops a BOM when there is one; newline="" lets csv see quoted newlines.
        return open(self.path, encoding="utf-8-sig", newline="")

    def _check(self) -> None:
        try:
            with open(self.path, "rb") as raw:
                head = raw.read(8192)
        except OSError as exc:
            raise CatalogFileError(f"{self.path}: cannot read the file ({exc.strerror}).") from exc
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise CatalogFileError(f"{self.path}: the file is UTF-16; save it as CSV UTF-8 and try again.")
        if b"\x00" in head:
            raise CatalogFileError(f"{self.path}: this looks like a binary file, not a CSV text file.")
        total = 0
        try:
            with self._open() as handle:
                reader = csv.reader(handle)
                header = next((row for row in reader if any(cell.strip() for cell in row)), None)
                if header is None:
                    raise CatalogFileError(f"{self.path}: the file is empty; expected a header row.")
                self.columns = self._map_header(header)
                for row in reader:
                    if any(cell.strip() for cell in row):
                        total += 1
        except UnicodeDecodeError as exc:
            raise CatalogFileError(
                f"{self.path}: the file is not UTF-8 text (first bad byte on line {self._first_bad_line()}); "
                "save it as CSV UTF-8 and try again."
            ) from exc
        except csv.Error as exc:
            raise CatalogFileError(f"{self.path}: not a readable CSV file ({exc}).") from exc
        if "\x00" in "".join(self.columns):
            raise CatalogFileError(f"{self.path}: this looks like a binary file, not a CSV text file.")
        self.total = total

    def _first_bad_line(self) -> int:
        with open(self.path, "rb") as raw:
            for number, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return number
        return 0

    def _map_header(self, header: list[str]) -> dict[str, int]:
        columns: dict[str, int] = {}
        for index, name in enumerate(header):
            key = name.strip().lstrip("\ufeff").lower()
            if key in self.known and key not in columns:
                columns[key] = index
        missing = [name for name in self.required if name not in columns]
        if missing:
            raise CatalogFileError(
                f"{self.path}: missing required column(s) {', '.join(missing)} in the header; "
                f"expected columns: {', '.join(self.known)}."
            )
        return columns

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self._open() as handle:
            reader = csv.reader(handle)
            header_seen = False
            previous_end = 0
            for row in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                yield (
                    start,
                    {
                        name: (row[index].strip() if index < len(row) else "")
                        for name, index in self.columns.items()
                    },
                )


def _parse_price(text: str) -> Decimal | str:
    if not text:
        return "price is missing"
    try:
        price = Decimal(text)
    except InvalidOperation:
        return f"price is not a number ({text!r})"
    if not price.is_finite():
        return f"price is not a number ({text!r})"
    if price < 0:
        return f"price is negative ({text})"
    if price != price.quantize(Decimal("0.01")):
        return f"price has more than 2 decimal places ({text})"
    if price > MAX_PRICE:
        return f"price is too large ({text})"
    return price.quantize(Decimal("0.01"))


def _parse_stock(text: str) -> int | str:
    if not text:
        return 0
    try:
        stock = int(text)
    except ValueError:
        return f"stock is not a whole number ({text!r})"
    if stock < 0:
        return f"stock is negative ({text})"
    if stock > MAX_STOCK:
        return f"stock is too large ({text})"
    return stock


def _too_long(label: str, value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{label} is longer than {limit} characters"
    return None


def product_rows(catalog: CatalogFile) -> Iterator[ProductRow | RowError]:
    """Validated product rows, or one :class:`RowError` per bad record. A SKU seen earlier
    in the same file is an error: which of the two rows is right cannot be guessed."""
    seen: dict[str, int] = {}
    for line, record in catalog.records():
        sku, name = record["sku"], record["name"]
        reasons: list[str] = []
        if not sku:
            reasons.append("SKU is missing")
        elif sku in seen:
            reasons.append(f"duplicate SKU {sku!r} (first on line {seen[sku]})")
        if not name:
            reasons.append("name is missing")
        price = _parse_price(record["price"])
        if isinstance(price, str):
            reasons.append(price)
        stock = _parse_stock(record.get("stock", ""))
        if isinstance(stock, str):
            reasons.append(stock)
        category = record.get("category", "")
        for problem in (
            _too_long("SKU", sku, MAX_SKU),
            _too_long("name", name, MAX_NAME),
            _too_long("category", category, MAX_CATEGORY),
        ):
            if problem:
                reasons.append(problem)
        if sku and sku not in seen:
            seen[sku] = line
        if reasons:
            yield RowError(line, "; ".join(reasons))
            continue
        assert isinstance(price, Decimal) and isinstance(stock, int)
        yield ProductRow(
            line=line,
            sku=sku,
            name=name,
            description=record.get("description", ""),
            price=price,
            stock=stock,
            category=category,
        )


def faq_rows(catalog: CatalogFile) -> Iterator[FaqRow | RowError]:
    seen: dict[str, int] = {}
    for line, record in catalog.records():
        question, answer = record["question"], record["answer"]
        reasons: list[str] = []
        if not question:
            reasons.append("question is missing")
        elif question in seen:
            reasons.append(f"duplicate question (first on line {seen[question]})")
        if not answer:
            reasons.append("answer is missing")
        if problem := _too_long("question", question, MAX_QUESTION):
            reasons.append(problem)
        if question and question not in seen:
            seen[question] = line
        if reasons:
            yield RowError(line, "; ".join(reasons))
        else:
            yield FaqRow(line=line, question=question, answer=answer)


def open_products(path: str | Path) -> CatalogFile:
    return CatalogFile(path, known=PRODUCT_COLUMNS, required=PRODUCT_REQUIRED)


def open_faq(path: str | Path) -> CatalogFile:
    return CatalogFile(path, known=FAQ_COLUMNS, required=FAQ_REQUIRED)
