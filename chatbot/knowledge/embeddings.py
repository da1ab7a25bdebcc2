"""Optional semantic retrieval: vectors from an OpenAI-compatible embeddings endpoint,
fused with the BM25 ranking of :mod:`chatbot.knowledge.index`.

Off unless ``CHATBOT_EMBEDDINGS_URL`` is set; then nothing here runs and the ranking is
exactly BM25's. With it set:

* **The endpoint.** ``CHATBOT_EMBEDDINGS_URL`` is the API base with ``/v1`` (like
  ``OPENAI_BASE_URL``: ``http://localhost:11434/v1`` for Ollama), and we POST to
  ``{base}/embeddings``; a URL that already ends in ``/embeddings`` is used as given.
  Body ``{"model": CHATBOT_EMBEDDINGS_MODEL, "input": [texts]}``, answer
  ``{"data": [{"index": i, "embedding": [...]}]}`` (OpenAI's wire format, which Ollama,
  vLLM and the hosted APIs speak). ``Authorization: Bearer`` only when
  ``CHATBOT_EMBEDDINGS_API_KEY`` is set; the key is never logged.
* **Product vectors** are embedded off the reply path: when a shop's index is built (the
  catalog changed), a single background (daemon) thread per process embeds the products whose
  vector is not stored yet, 64 texts per request. A product's text is its name, category
  and description, and its vector is stored under (model, SHA-256 of that text): in
  process memory and in Django's cache (shared by every process and kept over restarts
  with Redis). An unchanged product is therefore never embedded again, and a changed one
  gets a new key and is embedded by the next build. Until a product has its vector it is
  found by words only. (In ``CHATBOT_REPLY_MODE=inline`` — tests, scripts — the filling
  runs in the caller.)
* **The query vector** is the one request on the reply path: one text, a short timeout
  (``CHATBOT_EMBEDDINGS_TIMEOUT_SECONDS``), no retry. Any failure (down, slow, an error
  status, bad JSON) is logged once, and that answer is ranked by BM25 alone; for
  :data:`COOL_DOWN` seconds afterwards queries do not wait on the endpoint again.
* **Fusion** is reciprocal-rank fusion (``1 / (60 + rank)`` summed over the BM25 and the
  cosine ranking). The products most similar to the question (top :data:`CANDIDATES`,
  cosine ≥ ``CHATBOT_EMBEDDINGS_MIN_SIMILARITY``) join the BM25 hits even when they share
  no word with it, marked ``Hit.semantic``, so "something to keep my feet warm at night"
  can find the alpaca bed socks. The callers' filters (price, stock, category,
  colours, exclusions) apply to the fused list as to BM25's.

Similarity is computed with numpy (:mod:`chatbot.knowledge.similarity`: the index's vectors
as one float32 matrix, one matrix-vector product per question), imported only here and only
when a question is fused: without ``CHATBOT_EMBEDDINGS_URL`` numpy is never loaded.
"""

from __future__ import annotations

import array
import hashlib
import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from .. import conf

if TYPE_CHECKING:
    from ..adapters import ProductInfo
    from .index import Hit, ShopIndex

logger = logging.getLogger("chatbot.knowledge.embeddings")

BATCH = 64  # texts per request when embedding the catalog
CATALOG_TIMEOUT = 30.0  # seconds per catalog batch: off the reply path, a model may be loading
RRF_K = 60  # the usual constant of reciprocal-rank fusion
CANDIDATES = 20  # the most similar products that may join the BM25 hits
COOL_DOWN = 30.0  # seconds after a failure during which queries skip the endpoint
CACHE_SECONDS = 30 * 24 * 3600  # vectors in Django's cache
_MEMORY_VECTORS = 50_000  # vectors kept in process memory (~3 KB each at 768 dimensions)
_QUERY_VECTORS = 1024  # recent questions' vectors (chips and repeats ask again)

Vector = array.array  # unit length, float32


class EmbeddingError(Exception):
    """The endpoint did not give usable vectors."""


@dataclass(frozen=True)
class Endpoint:
    """The embeddings settings as read now (``chatbot.conf``)."""

    url: str
    model: str
    api_key: str = field(repr=False)
    timeout: float
    min_similarity: float

    @classmethod
    def from_settings(cls) -> Endpoint | None:
        base = str(conf.get("CHATBOT_EMBEDDINGS_URL") or "").strip()
        if not base:
            return None
        parts = urlsplit(base)
        path = parts.path.rstrip("/")
        if not path.endswith("/embeddings"):
            path += "/embeddings"
        return cls(
            url=urlunsplit(parts._replace(path=path)),
            model=str(conf.get("CHATBOT_EMBEDDINGS_MODEL") or ""),
            api_key=str(conf.get("CHATBOT_EMBEDDINGS_API_KEY") or ""),
            timeout=float(conf.get("CHATBOT_EMBEDDINGS_TIMEOUT_SECONDS")),
            min_similarity=float(conf.get("CHATBOT_EMBEDDINGS_MIN_SIMILARITY")),
        )

    @property
    def shown(self) -> str:
        """The URL for logs: no user, password or query string (they may hold a key)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def enabled() -> bool:
    return bool(str(conf.get("CHATBOT_EMBEDDINGS_URL") or "").strip())


# --- the endpoint ----------------------------------------------------------------------


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One client per process for the questions: a new one per request would build its
    TLS context and connection again every answer (tens of ms)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client()
        return _client


def request_vectors(
    endpoint: Endpoint, texts: Sequence[str], timeout: float, client: httpx.Client | None = None
) -> list[Vector]:
    """One request: unit vectors for ``texts``, in order. Raises :class:`EmbeddingError`."""
    headers = {"Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    payload = {"model": endpoint.model, "input": list(texts)}
    try:
        response = (client or _shared_client()).post(
            endpoint.url, json=payload, headers=headers, timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise EmbeddingError(f"no answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise EmbeddingError(type(exc).__name__) from exc
    if response.status_code != 200:
        raise EmbeddingError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise EmbeddingError("the answer is not JSON") from exc
    return _parse(body, len(texts))


def _parse(body: Any, count: int) -> list[Vector]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise EmbeddingError(f"expected {count} embeddings in data")
    vectors: list[Vector | None] = [None] * count
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            raise EmbeddingError("an item of data is not an object")
        where = item.get("index", position)
        numbers = item.get("embedding")
        if not isinstance(where, int) or not 0 <= where < count or vectors[where] is not None:
            raise EmbeddingError("bad index in data")
        if not isinstance(numbers, list) or not numbers:
            raise EmbeddingError("an embedding is not a list of numbers")
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
            raise EmbeddingError("an embedding is not a list of numbers")
        vectors[where] = _unit(numbers)
    if len({len(v) for v in vectors if v is not None}) != 1:
        raise EmbeddingError("embeddings of different lengths")
    return [v for v in vectors if v is not None]


def _unit(numbers: list[float]) -> Vector:
    norm = math.sqrt(math.fsum(x * x for x in numbers))
    if not math.isfinite(norm):
        raise EmbeddingError("an embedding has a non-finite number")
    # A zero vector (a text the model has nothing for) stays zero: similar to nothing.
    return array.array("f", (x / norm for x in numbers) if norm else numbers)


class _Health:
    """Logs a failing endpoint once (and once when it answers again), and keeps queries
    from waiting on it for :data:`COOL_DOWN` seconds after a failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failing = False
        self.retry_at = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self, endpoint: Endpoint, error: EmbeddingError) -> None:
        with self._lock:
            self.retry_at = time.monotonic() + COOL_DOWN
            if self.failing:
                return
            self.failing = True
        logger.warning(
            "Embeddings endpoint %s failed (%s): products are ranked by their words only "
            "until it answers again.",
            endpoint.shown,
            error,
        )

    def answered(self, endpoint: Endpoint) -> None:
        with self._lock:
            self.retry_at = 0.0
            if not self.failing:
                return
            self.failing = False
        logger.info("Embeddings endpoint %s answers again.", endpoint.shown)


_health = _Health()


# --- where vectors are kept ---------------------------------------------------------------


def product_text(product: ProductInfo) -> str:
    """What is embedded for a product: the fields the BM25 index reads."""
    return "\n".join(part for part in (product.name, product.category, product.description) if part)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


class VectorStore:
    """Vectors by (model, text digest): process memory first, then Django's cache."""

    def __init__(self, limit: int = _MEMORY_VECTORS) -> None:
        self.limit = limit
        self._memory: OrderedDict[tuple[str, str], Vector] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(model: str, digest: str) -> str:
        return f"chatbot:embedding:{hashlib.sha256(model.encode()).hexdigest()[:16]}:{digest}"

    def in_memory(self, model: str, digests: Sequence[str]) -> dict[str, Vector]:
        with self._lock:
            return {d: v for d in digests if (v := self._memory.get((model, d))) is not None}

    def get_many(self, model: str, digests: Sequence[str]) -> dict[str, Vector]:
        found = self.in_memory(model, digests)
        wanted = {self._key(model, d): d for d in digests if d not in found}
        if wanted:
            from django.core.cache import cache

            try:
                cached = cache.get_many(list(wanted))
            except Exception:  # the cache is an optimisation: down means "embed again"
                logger.debug("Embedding vectors could not be read from the cache", exc_info=True)
                cached = {}
            loaded = {}
            for key, raw in cached.items():
                if isinstance(raw, bytes) and raw and len(raw) % 4 == 0:
                    vector = array.array("f")
                    vector.frombytes(raw)
                    loaded[wanted[key]] = vector
            self._remember(model, loaded)
            found.update(loaded)
        return found

    def put_many(self, model: str, vectors: dict[str, Vector]) -> None:
        self._remember(model, vectors)
        from django.core.cache import cache

        try:
            cache.set_many({self._key(model, d): v.tobytes() for d, v in vectors.items()}, CACHE_SECONDS)
        except Exception:
            logger.debug("Embedding vectors could not be written to the cache", exc_info=True)

    def _remember(self, model: str, vectors: dict[str, Vector]) -> None:
        with self._lock:
            for digest, vector in vectors.items():
                self._memory[(model, digest)] = vector
                self._memory.move_to_end((model, digest))
            while len(self._memory) > self.limit:
                self._memory.popitem(last=False)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()


store = VectorStore()


@dataclass
class ProductVectors:
    """One shop index's product vectors, by the product's position in the index."""

    model: str
    digests: list[str]
    vectors: list[Vector | None]
    filling: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Counts the vectors added since the index was built: the similarity matrix
    # (knowledge.similarity, kept in ``matrix``) is stacked again only when it changed.
    generation: int = 0
    matrix: object = field(default=None, repr=False)
    # How many products have their vector: every question asks whether all or none have
    # one, and a scan of the list costs ~1 ms at 10,000 products.
    present: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.present = sum(vector is not None for vector in self.vectors)

    def missing(self) -> list[int]:
        return [pos for pos, vector in enumerate(self.vectors) if vector is None]

    def complete(self) -> bool:
        return self.present == len(self.vectors)

    def put(self, pos: int, vector: Vector) -> None:
        if self.vectors[pos] is None:
            self.present += 1
        self.vectors[pos] = vector
        self.generation += 1  # after the vector: a matrix stamped with it holds the vector


# --- embedding the catalog, off the reply path ----------------------------------------

_jobs: queue.SimpleQueue[tuple[ShopIndex, Endpoint]] = queue.SimpleQueue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def _in_background(index: ShopIndex, endpoint: Endpoint) -> None:
    """Queue a fill for the one embedding thread: catalog batches wait for each other
    instead of competing with the replies. A daemon thread, so a shutting-down process
    does not wait for a catalog (what was stored stays stored)."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="chatbot-embed", daemon=True)
            _worker.start()
    _jobs.put((index, endpoint))


def _work() -> None:
    while True:
        index, endpoint = _jobs.get()
        fill(index, endpoint)
        del index  # a superseded index is not kept alive while the thread waits


def attach(index: ShopIndex) -> None:
    """Give a freshly built index its product vectors: those already in this process at
    once, the others from the cache or the endpoint in the background."""
    endpoint = Endpoint.from_settings()
    if endpoint is None:
        return
    digests = [text_digest(product_text(p)) for p in index.products]
    known = store.in_memory(endpoint.model, digests)
    index.semantic = ProductVectors(endpoint.model, digests, [known.get(d) for d in digests])
    schedule(index, endpoint)


def schedule(index: ShopIndex, endpoint: Endpoint) -> None:
    """Start filling the index's missing vectors unless that is running or the endpoint
    failed a moment ago."""
    vectors = index.semantic
    if vectors is None or vectors.model != endpoint.model or not _health.usable():
        return
    with vectors.lock:
        if vectors.filling or vectors.complete():
            return
        vectors.filling = True
    if conf.get("CHATBOT_REPLY_MODE") == "inline":
        fill(index, endpoint)
    else:
        _in_background(index, endpoint)


def fill(index: ShopIndex, endpoint: Endpoint) -> None:
    """Vectors for the index's products that have none: from the store, else embedded in
    batches of :data:`BATCH`, then stacked for the questions. Stops at the first failure
    (the next build or query after the cool-down tries again)."""
    vectors = index.semantic
    assert vectors is not None
    try:
        _fetch_missing(index, vectors, endpoint)
        _stack(vectors)
    except EmbeddingError as exc:
        _health.failed(endpoint, exc)
    except Exception:
        logger.exception("Embedding the catalog of shop %s failed", index.shop_id)
    finally:
        with vectors.lock:
            vectors.filling = False


def _fetch_missing(index: ShopIndex, vectors: ProductVectors, endpoint: Endpoint) -> None:
    missing = vectors.missing()
    found = store.get_many(endpoint.model, [vectors.digests[pos] for pos in missing])
    for pos in missing:
        if (vector := found.get(vectors.digests[pos])) is not None:
            vectors.put(pos, vector)
    # Products with the same text share one vector and one request.
    todo: dict[str, list[int]] = {}
    for pos in vectors.missing():
        todo.setdefault(vectors.digests[pos], []).append(pos)
    if not todo:
        return
    pending = list(todo)
    with httpx.Client() as client:  # the catalog's own connection, off the questions' pool
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            texts = [product_text(index.products[todo[digest][0]]) for digest in batch]
            got = request_vectors(endpoint, texts, max(CATALOG_TIMEOUT, endpoint.timeout), client)
            embedded = dict(zip(batch, got, strict=True))
            store.put_many(endpoint.model, embedded)
            for digest, vector in embedded.items():
                for pos in todo[digest]:
                    vectors.put(pos, vector)
    _health.answered(endpoint)


def _stack(vectors: ProductVectors) -> None:
    """Stack the vectors into the similarity matrix here, off the reply path (~50 ms at
    10,000 products), rather than in the first question after the catalog changed."""
    size = next((len(vector) for vector in vectors.vectors if vector is not None), 0)
    if size:
        from . import similarity

        similarity.matrix(vectors, size)


# --- the question --------------------------------------------------------------------------

_queries: OrderedDict[tuple[str, str], Vector] = OrderedDict()
_queries_lock = threading.Lock()


def query_vector(endpoint: Endpoint, text: str) -> Vector | None:
    """The question's vector, or ``None`` when the endpoint fails or failed just now."""
    key = (endpoint.model, text)
    with _queries_lock:
        cached = _queries.get(key)
        if cached is not None:
            _queries.move_to_end(key)
            return cached
    if not _health.usable():
        return None
    try:
        vector = request_vectors(endpoint, [text], endpoint.timeout)[0]
    except EmbeddingError as exc:
        _health.failed(endpoint, exc)
        return None
    _health.answered(endpoint)
    with _queries_lock:
        _queries[key] = vector
        while len(_queries) > _QUERY_VECTORS:
            _queries.popitem(last=False)
    return vector


def fuse(index: ShopIndex, hits: list[Hit], text: str) -> list[Hit]:
    """The BM25 ``hits`` re-ranked with the question's similarity to each product, plus
    the most similar products BM25 missed. ``hits`` unchanged when anything is missing."""
    vectors = index.semantic
    endpoint = Endpoint.from_settings()
    if vectors is None or endpoint is None or vectors.model != endpoint.model or not text.strip():
        return hits
    schedule(index, endpoint)  # after an outage, catalog filling resumes here
    if not vectors.present:
        return hits  # no product has its vector yet: no need to ask for the question's
    query = query_vector(endpoint, text)
    if query is None:
        return hits
    from . import similarity  # numpy: loaded by the first question fused, never without the setting

    ranking = similarity.rank(vectors, query)
    if ranking is None:
        return hits
    candidates = ranking.top(CANDIDATES)
    close = {doc for doc, closeness in candidates if closeness >= endpoint.min_similarity}
    words = len(hits)  # BM25's hits first, then the close products BM25 missed
    found = {hit.doc for hit in hits}
    docs = [hit.doc for hit in hits] + [doc for doc, _ in candidates if doc in close and doc not in found]
    similarities, cosine_rank = ranking.lookup(docs)

    # Reciprocal-rank fusion over arrays (the same float64 sums as in plain Python): a
    # common word matches thousands of products at 10,000.
    import numpy as np

    score = np.zeros(len(docs))
    score[:words] = 1.0 / (RRF_K + 1 + np.arange(words))
    ranked = cosine_rank >= 0
    score[ranked] += 1.0 / (RRF_K + 1 + cosine_rank[ranked])
    order = np.lexsort((np.asarray(docs), -score))  # by score, ties by position

    from .index import Hit

    similarity_of = similarities.tolist()
    fused = [
        Hit(h.doc, h.score, h.matched, h.name_matched, similarity_of[at], h.doc in close)
        for at, h in enumerate(hits)
    ]
    fused.extend(Hit(doc, 0.0, 0, 0, similarity_of[at], True) for at, doc in enumerate(docs[words:], words))
    return [fused[at] for at in order.tolist()]


def forget_questions() -> None:
    """Forget the recent questions' vectors (benchmarks time the request)."""
    with _queries_lock:
        _queries.clear()


def reset() -> None:
    """Forget vectors, recent questions and the endpoint's health (tests)."""
    store.clear_memory()
    with _queries_lock:
        _queries.clear()
    global _health
    _health = _Health()
