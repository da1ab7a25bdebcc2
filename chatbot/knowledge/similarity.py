"""The cosine ranking of a shop's products for one question, with numpy.

Only :mod:`chatbot.knowledge.embeddings` imports this module, and only when a question is
fused with embeddings (``CHATBOT_EMBEDDINGS_URL`` set): a shop without the setting never
loads numpy.

A shop index's product vectors are stacked once into a float32 matrix, one row per
product that has a vector (rows in the products' order, each the stored unit vector), and
rebuilt only when vectors were added since (the catalog is being embedded). A question is
then one matrix-vector product (``numpy.vecdot``: a dot product per row, on the calling
thread, not BLAS's thread pool, which would compete with the other replies of a 2-core
server), ``argpartition`` for the most similar products and a sort of the scores for the
rank of the words-only hits. The order is the one the pure-Python dot product gave: most
similar first, ties by position. Scores are summed in float32, so they can differ from
a float64 sum in the 7th digit (tests/assistant/test_semantic_search.py compares the two).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .embeddings import ProductVectors, Vector

Floats = npt.NDArray[np.float32]
Positions = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Matrix:
    """The product vectors of one dimension, stacked: row ``r`` is product ``docs[r]``."""

    generation: int  # ProductVectors.generation when it was built
    size: int  # the vectors' dimension
    docs: Positions  # ascending
    rows: Floats  # len(docs) x size
    row_of: dict[int, int]  # product position -> row


_build_lock = threading.Lock()


def matrix(vectors: ProductVectors, size: int) -> Matrix:
    """The index's vectors of ``size`` dimensions as a matrix, built again only when
    vectors were added since the last one (and by one thread at a time)."""
    built = vectors.matrix
    if isinstance(built, Matrix) and built.generation == vectors.generation and built.size == size:
        return built
    with _build_lock:
        built = vectors.matrix
        generation = vectors.generation  # read before the vectors: a newer one rebuilds
        if isinstance(built, Matrix) and built.generation == generation and built.size == size:
            return built
        ready = [(pos, v) for pos, v in enumerate(list(vectors.vectors)) if v is not None and len(v) == size]
        docs = [pos for pos, _ in ready]
        # One copy of the stored float32 bytes; array("f") is a C float, numpy's float32.
        flat = np.frombuffer(b"".join(vector for _, vector in ready), dtype=np.float32)
        built = Matrix(
            generation=generation,
            size=size,
            docs=np.asarray(docs, dtype=np.intp),
            rows=flat.reshape(len(docs), size),
            row_of={pos: row for row, pos in enumerate(docs)},
        )
        vectors.matrix = built
        return built


class Ranking:
    """The question's similarity to every product with a vector, and their order: most
    similar first, ties by the product's position."""

    def __init__(self, table: Matrix, query: Vector) -> None:
        self.table = table
        self.scores: Floats = np.vecdot(table.rows, np.frombuffer(query, dtype=np.float32))
        self._sorted: Floats | None = None

    def top(self, count: int) -> list[tuple[int, float]]:
        """The ``count`` most similar products, ``(position, similarity)``, in order."""
        scores = self.scores
        count = min(count, len(scores))
        if count <= 0:
            return []
        if count < len(scores):
            chosen = np.argpartition(-scores, count - 1)[:count]
            # argpartition picks any of the rows tied at the boundary: take the first ones,
            # as the order "by similarity, then position" does.
            edge = scores[chosen].min()
            above = np.flatnonzero(scores > edge)
            chosen = np.concatenate((above, np.flatnonzero(scores == edge)[: count - len(above)]))
        else:
            chosen = np.arange(len(scores))
        chosen = chosen[np.lexsort((chosen, -scores[chosen]))]  # rows ascend with positions
        return [(int(self.table.docs[row]), float(scores[row])) for row in chosen]

    def lookup(self, docs: list[int]) -> tuple[Floats, Positions]:
        """Each of ``docs``'s similarity and 0-based rank in the full order (0.0 and -1
        for a product without a vector), in numpy steps: a score at a time costs
        microseconds, and a common word can match thousands of products."""
        row_of = self.table.row_of
        rows = np.fromiter((row_of.get(doc, -1) for doc in docs), dtype=np.intp, count=len(docs))
        has = rows >= 0
        similarity = np.where(has, self.scores[rows], np.float32(0.0))
        ranks = np.full(len(docs), -1, dtype=np.intp)
        if has.any():
            if self._sorted is None:
                self._sorted = np.sort(self.scores)
            ascending = self._sorted
            rows, values = rows[has], similarity[has]
            above = np.searchsorted(ascending, values, side="right")
            tied = above - np.searchsorted(ascending, values, side="left")
            found = len(ascending) - above  # strictly more similar
            for at in np.flatnonzero(tied > 1).tolist():
                # The same similarity as other products: those before it come first.
                found[at] += np.count_nonzero(self.scores[: rows[at]] == values[at])
            ranks[has] = found
        return similarity, ranks


def rank(vectors: ProductVectors, query: Vector) -> Ranking | None:
    """The ranking of the products whose vector has the query's dimension (``None`` when
    there is none)."""
    table = matrix(vectors, len(query))
    return Ranking(table, query) if len(table.docs) else None
