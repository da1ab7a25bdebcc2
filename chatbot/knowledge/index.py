"""BM25 search over one shop's products and FAQ, built in memory and cached per process.

The cache key is the adapter class and shop id; the entry is rebuilt when
``adapter.catalog_version(shop_id)`` changes, so the per-answer cost is one cheap version
look-up plus the search itself.

Scoring is BM25 over weighted fields (a product's name counts three times, its category
twice, its description once). A query is a list of *concepts* (one per meaningful word);
each concept matches through its best alternative: the word itself, a close spelling
from the shop's vocabulary (rapidfuzz) or, for Chinese words the catalog does not
contain, their character bigrams and unigrams.

With ``CHATBOT_EMBEDDINGS_URL`` set, :meth:`ShopIndex.search_products` fuses that ranking
with embedding similarity (:mod:`chatbot.knowledge.embeddings`); without it, it is BM25's.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from . import embeddings
from .lexicon import COLOURS, EN_STOPWORDS, NEEDS, RECIPIENT_WORDS, ZH_STOPWORDS
from .text import cjk_grams, cjk_runs, cjk_words, ensure_jieba, latin_words, stem

if TYPE_CHECKING:
    from ..adapters import FaqInfo, ProductInfo, ShopAdapter

EN_STOP_STEMS = frozenset(EN_STOPWORDS | {stem(w) for w in EN_STOPWORDS})
# Single characters that say nothing about a product; kept out of the gram field.
_ZH_STOP_CHARS = frozenset("的了吗呢吧啊呀我你您他她它们是在和与或有没这那个款件也都很还就")
_COLOUR_EN = {word: name for name, words in COLOURS.items() for word in words if word.isascii()}
_COLOUR_ZH = [(word, name) for name, words in COLOURS.items() for word in words if not word.isascii()]
_COLOUR_ZH_WORDS = frozenset(word for word, _ in _COLOUR_ZH)

GRAM_WEIGHT = 0.5  # a bigram/unigram hit is weaker evidence than a whole word
NEED_WEIGHT = 0.7  # "beach" finding "sun shade" is a guess from general vocabulary
FUZZY_WEIGHT = 0.8
NAME_WEIGHT = 3.0
CATEGORY_WEIGHT = 2.0
BODY_WEIGHT = 1.0
_CACHE_SHOPS = 32


def colour_terms(text: str, words: Iterable[str]) -> set[str]:
    found = {f"colour:{_COLOUR_EN[w]}" for w in words if w in _COLOUR_EN}
    found.update(f"colour:{name}" for word, name in _COLOUR_ZH if word in text)
    return found


def document_terms(text: str) -> list[tuple[str, float]]:
    """(term, weight) pairs of a catalog text: English stems, jieba words, colour terms
    and Chinese character grams (at a lower weight)."""
    lowered = text.lower()
    words = latin_words(lowered)
    terms: list[tuple[str, float]] = [(stem(w), 1.0) for w in words if stem(w) not in EN_STOP_STEMS]
    for run in cjk_runs(lowered):
        terms.extend((w, 1.0) for w in cjk_words(run, for_search=True) if w not in ZH_STOPWORDS)
        terms.extend(
            (f"#{g}", GRAM_WEIGHT) for g in cjk_grams(run) if not (len(g) == 1 and g in _ZH_STOP_CHARS)
        )
    terms.extend((c, 1.0) for c in colour_terms(lowered, words))
    return terms


@dataclass
class Concept:
    """One thing the shopper said, with the index terms that may stand for it."""

    word: str
    alternatives: list[tuple[str, float]]
    # Who a present is for and gift words: they add to a product's score when it has them
    # but do not count towards "most of what the shopper named" (tools._is_relevant).
    optional: bool = False


def required_count(concepts: list[Concept]) -> int:
    return sum(not c.optional for c in concepts)


@dataclass
class Hit:
    doc: int
    score: float
    matched: int  # concepts found anywhere in the document
    name_matched: int  # concepts found in the primary field (a product's name)
    # With CHATBOT_EMBEDDINGS_URL (knowledge.embeddings): the question's cosine similarity
    # to the product, and whether it is among the most similar, which makes it relevant
    # even when it shares no word with the question.
    similarity: float = 0.0
    semantic: bool = False


class BM25Index:
    """BM25 with per-field weights. Scores are computed once in :meth:`finish`, so a
    search only adds up precomputed numbers: the catalog changes rarely, questions often."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._weights: list[dict[str, float]] = []
        self._primary: list[set[str]] = []
        # term -> [(doc, bm25 score, term is in the primary field)]
        self.postings: dict[str, list[tuple[int, float, bool]]] = {}
        self._size = 0

    def add(self, fields: list[tuple[str, float]]) -> int:
        """Add one document; ``fields`` is (text, weight), the first being primary."""
        weights: dict[str, float] = defaultdict(float)
        primary: set[str] = set()
        for position, (text, field_weight) in enumerate(fields):
            for term, weight in document_terms(text):
                weights[term] += weight * field_weight
                if position == 0:
                    primary.add(term)
        self._weights.append(dict(weights))
        self._primary.append(primary)
        return len(self._weights) - 1

    def finish(self) -> None:
        count = len(self._weights)
        lengths = [sum(w.values()) or 1.0 for w in self._weights]
        avg = (sum(lengths) / count) if count else 1.0
        frequency: dict[str, int] = defaultdict(int)
        for weights in self._weights:
            for term in weights:
                frequency[term] += 1
        idf = {term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}
        postings: dict[str, list[tuple[int, float, bool]]] = defaultdict(list)
        k1, b = self.k1, self.b
        for doc, weights in enumerate(self._weights):
            norm = k1 * (1 - b + b * lengths[doc] / avg)
            primary = self._primary[doc]
            for term, tf in weights.items():
                postings[term].append((doc, idf[term] * tf * (k1 + 1) / (tf + norm), term in primary))
        self.postings = dict(postings)
        self._size = count
        self._weights = []
        self._primary = []

    def __len__(self) -> int:
        return self._size

    def search(self, concepts: list[Concept]) -> list[Hit]:
        totals: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        name_matched: dict[int, int] = defaultdict(int)
        for concept in concepts:
            best: dict[int, float] = {}
            in_name: set[int] = set()
            for term, weight in concept.alternatives:
                posts = self.postings.get(term)
                if not posts:
                    continue
                for doc, score, primary in posts:
                    score *= weight
                    if score > best.get(doc, 0.0):
                        best[doc] = score
                    if primary:
                        in_name.add(doc)
            for doc, score in best.items():
                totals[doc] += score
                if not concept.optional:
                    matched[doc] += 1
            if not concept.optional:
                for doc in in_name:
                    name_matched[doc] += 1
        hits = [Hit(doc, score, matched[doc], name_matched[doc]) for doc, score in totals.items()]
        hits.sort(key=lambda h: (-h.score, h.doc))
        return hits


@dataclass
class ShopIndex:
    """Everything the assistant searches for one shop at one catalog version."""

    shop_id: str
    version: str
    products: list[ProductInfo]
    faq: list[FaqInfo]
    product_index: BM25Index
    faq_index: BM25Index
    by_sku: dict[str, int]
    categories: dict[str, str]  # folded category name -> as written
    vocabulary: list[str]  # English words of the catalog, for typo matching
    known_words: frozenset[str]  # the catalog's and FAQ's words
    product_words: frozenset[str]  # the products' words only
    topic_concepts: dict[str, list[Concept]] = field(default_factory=dict)  # see tools.faq_matches
    semantic: embeddings.ProductVectors | None = None  # only with CHATBOT_EMBEDDINGS_URL
    _fuzzy: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    _fuzzy_lock: threading.Lock = field(default_factory=threading.Lock)

    def product_by_sku(self, sku: str) -> ProductInfo | None:
        pos = self.by_sku.get(sku.strip().upper())
        return None if pos is None else self.products[pos]

    def search_products(self, concepts: list[Concept], text: str = "") -> list[Hit]:
        """The products for a question: BM25 over its concepts, fused with the similarity
        of ``text`` (default: the concepts' words) when embeddings are on."""
        hits = self.product_index.search(concepts) if concepts else []
        if self.semantic is None or not concepts:
            return hits
        return embeddings.fuse(self, hits, text or " ".join(c.word for c in concepts))

    def fuzzy(self, word: str) -> list[tuple[str, float]]:
        """Catalog words spelled like ``word`` ("jaket" -> "jacket"), with weights."""
        cached = self._fuzzy.get(word)
        if cached is not None:
            return cached
        found: list[tuple[str, float]] = []
        if len(word) >= 4 and self.vocabulary:
            cutoff = 80 if len(word) >= 6 else 85
            for candidate, score, _ in process.extract(
                word, self.vocabulary, scorer=fuzz.ratio, limit=3, score_cutoff=cutoff
            ):
                found.append((candidate, FUZZY_WEIGHT * score / 100))
        with self._fuzzy_lock:
            if len(self._fuzzy) > 4096:
                self._fuzzy.clear()
            self._fuzzy[word] = found
        return found

    def concepts(self, text: str, *, skip: Iterable[str] = ()) -> list[Concept]:
        """The query's concepts. ``skip`` holds words already understood otherwise
        (price figures, order numbers) that must not be searched for."""
        skipped = {s.lower() for s in skip}
        lowered = text.lower()
        concepts: list[Concept] = []
        seen: set[str] = set()
        for raw in latin_words(lowered):
            term = stem(raw)
            if raw in skipped or term in EN_STOP_STEMS or raw in EN_STOPWORDS or term in seen:
                continue
            if raw.isdigit():
                continue
            seen.add(term)
            alternatives = [(term, 1.0)]
            if term not in self.product_index.postings and term not in self.faq_index.postings:
                alternatives.extend(self.fuzzy(term))
            if raw in _COLOUR_EN:
                alternatives.append((f"colour:{_COLOUR_EN[raw]}", 1.0))
            alternatives.extend(self._need_alternatives(raw, term))
            concepts.append(Concept(raw, alternatives, optional=raw in RECIPIENT_WORDS))
        for run in cjk_runs(lowered):
            for word in cjk_words(run):
                if word in ZH_STOPWORDS or word in seen:
                    continue
                seen.add(word)
                alternatives = self._cjk_alternatives(word)
                alternatives.extend(self._need_alternatives(word, word))
                concepts.append(Concept(word, alternatives, optional=word in RECIPIENT_WORDS))
        if concepts and all(c.optional for c in concepts):
            # "a gift for my sister": the gift words are all there is to search for.
            for concept in concepts:
                concept.optional = False
        return concepts

    def _need_alternatives(self, raw: str, term: str) -> list[tuple[str, float]]:
        """Catalog terms a need or a use stands for ("beach" -> sun, shade, uv)."""
        related = NEEDS.get(raw) or NEEDS.get(term)
        if not related:
            return []
        postings = self.product_index.postings
        found: list[tuple[str, float]] = []
        for word in related.split():
            if word.isascii():
                key = stem(word)
                if key in postings and key != term:
                    found.append((key, NEED_WEIGHT))
            elif word in postings and word != raw:
                found.append((word, NEED_WEIGHT))
            else:
                found.extend((f"#{word[i : i + 2]}", NEED_WEIGHT * GRAM_WEIGHT) for i in range(len(word) - 1))
        return [(t, w) for t, w in found if t in postings]

    def _cjk_alternatives(self, word: str) -> list[tuple[str, float]]:
        postings = self.product_index.postings
        faq_postings = self.faq_index.postings
        alternatives = [(word, 1.0)]
        # "白色" is a colour; "绿茶" and "白茶" are teas, not green and white things.
        if word in _COLOUR_ZH_WORDS or (word.endswith("色") and len(word) <= 3):
            alternatives.extend((f"colour:{name}", 1.0) for variant, name in _COLOUR_ZH if variant in word)
        if word in postings or word in faq_postings:
            return alternatives
        # jieba cut the query differently from the catalog: fall back to characters.
        chars = [c for c in word if c not in _ZH_STOP_CHARS]
        bigrams = [f"#{word[i : i + 2]}" for i in range(len(word) - 1)]
        known = [g for g in bigrams if g in postings or g in faq_postings]
        if known:
            alternatives.extend((g, 1.0) for g in known)
        else:
            alternatives.extend((f"#{c}", 0.6) for c in chars)
        return alternatives


_cache: OrderedDict[tuple[str, str], ShopIndex] = OrderedDict()
_cache_lock = threading.Lock()
_build_locks: dict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)


def build_index(shop_id: str, version: str, products: Iterable[ProductInfo], faq: list[FaqInfo]) -> ShopIndex:
    # jieba loads its dictionary on first use (about a second): pay it here, not in an answer.
    ensure_jieba()
    product_list = list(products)
    product_index = BM25Index()
    categories: dict[str, str] = {}
    for product in product_list:
        product_index.add(
            [
                (product.name, NAME_WEIGHT),
                (product.category, CATEGORY_WEIGHT),
                (product.description, BODY_WEIGHT),
            ]
        )
        if product.category:
            categories[product.category.casefold()] = product.category
    product_index.finish()
    faq_index = BM25Index()
    for entry in faq:
        faq_index.add([(entry.question, 2.0), (entry.answer, 1.0)])
    faq_index.finish()
    vocabulary = sorted(
        {t for t in list(product_index.postings) + list(faq_index.postings) if t.isascii() and t.isalpha()}
    )
    return ShopIndex(
        shop_id=shop_id,
        version=version,
        products=product_list,
        faq=list(faq),
        product_index=product_index,
        faq_index=faq_index,
        by_sku={p.sku.upper(): i for i, p in enumerate(product_list)},
        categories=categories,
        vocabulary=vocabulary,
        known_words=frozenset(vocabulary),
        product_words=frozenset(t for t in product_index.postings if t.isascii() and t.isalpha()),
    )


def shop_index(adapter: ShopAdapter, shop_id: str) -> ShopIndex:
    """The shop's index at its current catalog version, built on first use."""
    key = (f"{type(adapter).__module__}.{type(adapter).__qualname__}", shop_id)
    version = str(adapter.catalog_version(shop_id))
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None and entry.version == version:
            _cache.move_to_end(key)
            return entry
        build_lock = _build_locks[key]
    # One build per shop at a time; other threads for that shop wait and reuse it.
    with build_lock:
        with _cache_lock:
            entry = _cache.get(key)
            if entry is not None and entry.version == version:
                return entry
        entry = build_index(shop_id, version, adapter.list_products(shop_id), adapter.list_faq(shop_id))
        if embeddings.enabled():
            embeddings.attach(entry)  # vectors of unchanged products now, the rest in the background
        with _cache_lock:
            _cache[key] = entry
            _cache.move_to_end(key)
            while len(_cache) > _CACHE_SHOPS:
                _cache.popitem(last=False)
        return entry


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
