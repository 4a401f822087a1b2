"""Dense scoring over a snapshot, and the fusion of keyword and dense rankings.

`VectorIndex` is the protocol a hosted vector database plugs into; `CollectionVectors`,
the default, keeps a collection's vectors in memory (loaded from the store once, then
incrementally) and scores a query against all of them with one matrix product: at
10,000 chunks of 384 floats that is a fraction of a millisecond, and exact.

Fusion. Reciprocal-rank fusion (RRF, Cormack et al. 2009) sums 1 / (k + rank) over
the two rankings; it needs no calibration between BM25 scores and cosine similarities.
The convex mix (`alpha` × dense + (1 - alpha) × keyword, each min-max scaled within
the candidates) can do better when tuned; benchmarks/bench_context.py measures both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    pass

Fusion = Literal["rrf", "convex"]
RRF_K = 60


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest-neighbour search over chunk vectors, e.g. a hosted vector database.

    Chunk ids are the store's; the store filters what the index returns to the run's
    snapshot and the search's `where`, so ask for more than you need (`k` is already
    several times the passages wanted).
    """

    async def add(
        self, collection: str, ids: Sequence[int], vectors: Sequence[Sequence[float]]
    ) -> None:
        """Index these chunks' vectors (unit length). Called once per new chunk."""
        ...

    async def query(
        self, collection: str, vector: Sequence[float], k: int
    ) -> Sequence[tuple[int, float]]:
        """The `k` nearest chunk ids with their cosine similarity, nearest first."""
        ...


@dataclass(slots=True)
class CollectionVectors:
    """One collection's chunk vectors in memory, with each chunk's version row."""

    ids: Any = None  # int64[n] chunk ids
    versions: Any = None  # int64[n] version row of each chunk
    matrix: Any = None  # float32[n, dim]
    revision: int = 0  # loaded up to and including this revision
    # The last snapshot's chunk mask: (its `live` array, chunks then, bias or None when
    # every chunk is live). A run searches one snapshot many times, and the mask's gather
    # over every chunk cost as much as the matrix product; `live` arrays are cached and
    # never change, so the same object means the same mask.
    _masked: Any = None

    def extend(self, rows: Sequence[tuple[int, int, Any]]) -> None:
        import numpy as np

        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        versions = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        matrix = np.stack([np.asarray(r[2], np.float32) for r in rows])
        if self.ids is None:
            self.ids, self.versions, self.matrix = ids, versions, matrix
        else:
            self.ids = np.concatenate([self.ids, ids])
            self.versions = np.concatenate([self.versions, versions])
            self.matrix = np.concatenate([self.matrix, matrix])

    def top(self, query: Any, live: Any, k: int) -> list[tuple[int, float]]:
        """The `k` best (chunk id, cosine) among chunks whose version row `v` has
        `live[v]` true (`live`: a boolean array indexed by version row id)."""
        import numpy as np

        if self.ids is None or k <= 0:
            return []
        n, bias = self._mask(live)
        if n == 0:
            return []
        with _one_blas_thread():
            scores = self.matrix @ np.asarray(query, np.float32)
        if bias is not None:
            scores += bias
        k = min(k, n)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in best]

    def _mask(self, live: Any) -> tuple[int, Any]:
        """(chunks live in `live`, float32 bias: 0 where live, -inf elsewhere; None when
        all are live), for the last `live` seen."""
        import numpy as np

        cached = self._masked
        if cached is not None and cached[0] is live and cached[1] == len(self.ids):
            return cached[2], cached[3]
        mask = chunk_mask(self.versions, live)
        n = int(mask.sum())
        bias = None if n == len(mask) else np.where(mask, np.float32(0), np.float32(-np.inf))
        self._masked = (live, len(self.ids), n, bias)
        return n, bias


def chunk_mask(versions: Any, live: Any) -> Any:
    """Which chunks are in a snapshot: `live[v]` for each chunk's version row `v` (a version
    row added after the snapshot's mask was made is past its end: not live)."""
    import numpy as np

    mask = np.zeros(len(versions), bool)
    inside = versions < len(live)
    mask[inside] = live[versions[inside]]
    return mask


_blas: Any = None


def _one_blas_thread() -> Any:
    """A matrix-vector product is memory-bound: a second BLAS thread does not speed it
    up, and when other processes busy the cores, OpenBLAS's spinning threads made it 25x
    slower (42 ms against 1.6 ms over 10,000 vectors). So it runs on one thread."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # without the context extra: numpy's own threads
            _blas = False
        else:
            _blas = ThreadpoolController()
    if _blas is False:
        return contextlib.nullcontext()
    return _blas.limit(limits=1, user_api="blas")


def fuse(
    keyword: Sequence[tuple[int, float]],
    dense: Sequence[tuple[int, float]],
    *,
    method: Fusion = "rrf",
    alpha: float = 0.5,
) -> list[tuple[int, float]]:
    """Fuse two rankings of chunk ids (best first) into one, best first.

    Ties break by the keyword ranking, then the dense one, so results are deterministic.
    """
    order: dict[int, int] = {}
    for position, (cid, _) in enumerate([*keyword, *dense]):
        order.setdefault(cid, position)
    if method == "rrf":
        fused: dict[int, float] = {}
        for ranking in (keyword, dense):
            for rank, (cid, _) in enumerate(ranking, 1):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    elif method == "convex":
        kw, dn = _scaled(keyword), _scaled(dense)
        fused = {cid: alpha * dn.get(cid, 0.0) + (1 - alpha) * kw.get(cid, 0.0) for cid in order}
    else:
        raise ValueError(f"fusion {method!r}: use 'rrf' or 'convex'")
    return sorted(fused.items(), key=lambda item: (-item[1], order[item[0]]))


def _scaled(ranking: Sequence[tuple[int, float]]) -> Mapping[int, float]:
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    low, high = min(scores), max(scores)
    span = high - low
    return {cid: (s - low) / span if span > 0 else 1.0 for cid, s in ranking}
