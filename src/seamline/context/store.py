"""`ContextStore`: named, versioned collections of documents, searched by hybrid retrieval.

```python
store = await open_context("sqlite:///.seamline/runs.db")   # the runs' file, own tables
await store.add("style-guide", load_paths(["docs/style_guide.md"]))
passages = await store.search("which words are banned?", collection="style-guide", k=3)
```

Versions and snapshots. Every `add` or `remove` that changes a collection commits one new
*revision*. A document version is live from the revision that added it until the one
that replaced or removed it; nothing is overwritten, so a search at an old revision
returns exactly what it returned then. A run searches each collection at the revision
that was current when the run started (see `seamline.context.reads`), however long it
runs and whatever is added meanwhile.

Search. Keyword (BM25: SQLite FTS5, PostgreSQL full-text) and dense (cosine over the
embedder's vectors) candidates, each `candidates` deep, fused (a convex mix weighted 0.7
to dense by default, see `ranking.py`). A collection added without an embedder is keyword-only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from seamline.context.chunking import Chunk, chunk_document
from seamline.context.documents import Document, Passage, Where, check_collection
from seamline.context.embedders import Embedder, get_embedder, how_to_open
from seamline.context.ranking import CollectionVectors, Fusion, VectorIndex, fuse
from seamline.context.records import (
    AddResult,
    CollectionInfo,
    CollectionRow,
    NewVersion,
    VersionInfo,
    check_where,
    matches,
    query_terms,
)
from seamline.exceptions import ConfigError

Mode = Literal["hybrid", "keyword", "dense"]
Progress = Callable[[int, int], None]  # (documents done, documents in all)
_EMBED_BATCH = 64  # chunks embedded per call: progress is reported between batches
# Query vectors kept per store: a pipeline asks the same questions run after run (the
# content example searches its style guide for the same three sections every run), and
# embedding the query is most of a hybrid search's time.
_QUERY_CACHE = 1024


@dataclass(slots=True)
class _Versions:
    """A collection's version rows in memory: liveness per revision, metadata for `where`."""

    ids: Any = None  # int64[n] version row ids
    added: Any = None  # int64[n], indexed like ids
    removed: Any = None  # int64[n]; 0 = still live
    metadata: list[dict[str, Any]] = field(default_factory=list)


class ContextStore:
    """Collections of versioned documents with hybrid search. Open one with `open_context`.

    Args:
        embedder: "local" or "minilm" (the embedded MiniLM, the default), "static"
            (WordLlama's static vectors: meets the latency and ingest goals, recalls fewer
            paraphrases; see the README), any `Embedder`, or None (keyword only).
            Used for new collections and for queries; a collection keeps the embedder
            it was created with.
        vector_index: a hosted vector database (`VectorIndex`); default: exact search
            over the vectors in memory.
        fusion: "convex" (`alpha` × dense + (1 - `alpha`) × keyword, each scaled to
            [0, 1] within its candidates) or "rrf" (reciprocal-rank fusion). The default,
            convex at 0.7, recalled the most on benchmarks/bench_context.py's 78 queries
            (RRF lost paraphrases to keyword matches on common words).
        candidates: how deep each ranking goes before fusion.
    """

    url: str

    def __init__(
        self,
        *,
        embedder: str | Embedder | None = "local",
        vector_index: VectorIndex | None = None,
        fusion: Fusion = "convex",
        alpha: float = 0.7,
        candidates: int = 50,
    ) -> None:
        if fusion not in ("rrf", "convex"):
            raise ConfigError(f"fusion={fusion!r}: use 'rrf' or 'convex'")
        self.embedder = get_embedder(embedder)
        self.vector_index = vector_index
        self.fusion: Fusion = fusion
        self.alpha = alpha
        self.candidates = candidates
        self._vectors: dict[int, CollectionVectors] = {}
        self._versions: dict[int, tuple[int, _Versions]] = {}  # collection -> (revision, rows)
        self._where_masks: dict[tuple[int, int, str], Any] = {}
        self._query_vectors: dict[tuple[str, str], Any] = {}  # (embedder, query) -> vector

    # -- backend hooks (SQLite, PostgreSQL) ---------------------------------------------------

    async def _collection(
        self, name: str, create: tuple[str | None, int | None] | None = None
    ) -> CollectionRow | None:
        raise NotImplementedError

    async def _live(self, collection: int, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc id -> live version hash, for those of `doc_ids` that are live now."""
        raise NotImplementedError

    async def _reusable(
        self, collection: int, doc_id: str, version: str
    ) -> list[tuple[int, str | None, str, Any]] | None:
        """The chunks (ordinal, heading, text, vector) of an earlier identical version."""
        raise NotImplementedError

    async def _commit(
        self, collection: int, versions: Sequence[NewVersion], removed: Sequence[str]
    ) -> tuple[int, int, int, list[tuple[int, Any]]]:
        """Write new versions and removals as one new revision, if anything changed
        (checked again inside the transaction). Returns (revision, documents added,
        documents removed, (chunk id, vector) of every chunk written)."""
        raise NotImplementedError

    async def _revision_at(self, collection: int, at: float) -> int:
        raise NotImplementedError

    async def _keyword(
        self,
        collection: int,
        terms: Sequence[str],
        revision: int,
        where: Mapping[str, list[Any]],
        limit: int,
        live: Any,
    ) -> list[tuple[int, float]]:
        """BM25 candidates live at `revision` that match `where`, best first. `live` is
        the snapshot's version mask (see `_live_mask`), for backends that filter in memory."""
        raise NotImplementedError

    async def _chunk_rows(self, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        """chunk id -> (ordinal, heading, text, doc_id, version, source, title, metadata)."""
        raise NotImplementedError

    async def _version_rows(
        self, collection: int
    ) -> list[tuple[int, int, int | None, dict[str, Any]]]:
        """(row id, added_rev, removed_rev, metadata) of every version of the collection."""
        raise NotImplementedError

    async def _vector_rows(
        self, collection: int, after: int, upto: int
    ) -> list[tuple[int, int, Any]]:
        """(chunk id, version row, vector) of chunks added in revisions (after, upto]."""
        raise NotImplementedError

    async def _dense_index(
        self, collection: int, vector: Any, revision: int, where: Mapping[str, list[Any]], k: int
    ) -> list[tuple[int, float]] | None:
        """A backend's own nearest-neighbour search (pgvector), or None to use the default."""
        return None

    async def collections(self) -> list[CollectionInfo]:
        """Every collection, by name."""
        raise NotImplementedError

    async def history(self, collection: str, document: str) -> list[VersionInfo]:
        """Every version of a document, oldest first."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # -- writing --------------------------------------------------------------------------------

    async def add(
        self,
        collection: str,
        documents: Iterable[Document],
        *,
        chunk: bool = True,
        max_chars: int = 800,
        overlap: int = 120,
        progress: Progress | None = None,
    ) -> AddResult:
        """Add documents (new ones, or new versions of existing ones) as one new revision.

        A document whose content equals its live version changes nothing, so adding the
        same files twice is harmless. Runs that already started keep reading the revision
        they started with.

        Args:
            chunk: False keeps each document one passage (e.g. approved examples).
            progress: called with (documents done, documents in all) while embedding.
        """
        check_collection(collection)
        docs = _unique(list(documents))
        embedder = self.embedder
        row = await self._collection(
            collection, (embedder.name if embedder else None, embedder.dim if embedder else None)
        )
        assert row is not None
        if row.embedder is not None and (embedder is None or embedder.name != row.embedder):
            raise ConfigError(
                f"collection {collection!r} holds vectors from the {row.embedder!r} embedder; "
                f"open the context store with {how_to_open(row.embedder)} to add to it "
                f"(this one has {embedder.name if embedder else 'none'!r}), or add to a "
                "new collection"
            )
        live = await self._live(row.id, [d.id for d in docs])
        changed = [d for d in docs if live.get(d.id) != d.version]
        versions: list[NewVersion] = []
        to_embed: list[tuple[NewVersion, list[str]]] = []
        for doc in changed:
            reused = await self._reusable(row.id, doc.id, doc.version)
            if reused is not None:
                chunks = [Chunk(o, text, heading) for o, heading, text, _ in reused]
                vectors = _stack([v for *_, v in reused]) if row.embedder else None
                versions.append(NewVersion(doc, chunks, vectors))
                continue
            if chunk:
                chunks = chunk_document(
                    doc.text, doc.media_type, max_chars=max_chars, overlap=overlap
                )
            else:
                chunks = [Chunk(0, doc.text, None)] if doc.text.strip() else []
            version = NewVersion(doc, chunks, None)
            versions.append(version)
            if row.embedder is not None and chunks:
                to_embed.append((version, [c.text for c in chunks]))
        await self._embed_all(to_embed, len(docs), progress)
        if versions:
            revision, added, _, written = await self._commit(row.id, versions, ())
        else:
            revision, added, written = row.revision, 0, []
        if self.vector_index is not None and row.embedder is not None and written:
            await self.vector_index.add(
                collection,
                [cid for cid, v in written if v is not None],
                [v.tolist() for _, v in written if v is not None],
            )
        if progress is not None:
            progress(len(docs), len(docs))
        return AddResult(
            collection,
            revision,
            added,
            len(docs) - added,
            0,
            len(written),
        )

    async def _embed_all(
        self, work: list[tuple[NewVersion, list[str]]], total: int, progress: Progress | None
    ) -> None:
        embedder = self.embedder
        if not work or embedder is None:
            return
        import numpy as np  # only here: a keyword-only store takes documents without it

        done = 0
        pending: list[tuple[NewVersion, list[str]]] = []
        size = 0
        for i, item in enumerate(work):
            pending.append(item)
            size += len(item[1])
            if size >= _EMBED_BATCH or i == len(work) - 1:
                texts = [t for _, ts in pending for t in ts]
                vectors = np.asarray(await embedder.embed(texts, kind="document"), np.float32)
                if vectors.shape != (len(texts), embedder.dim):
                    raise ConfigError(
                        f"embedder {embedder.name!r} returned vectors of shape {vectors.shape} "
                        f"for {len(texts)} texts; expected ({len(texts)}, {embedder.dim})"
                    )
                at = 0
                for version, ts in pending:
                    version.vectors = vectors[at : at + len(ts)]
                    at += len(ts)
                done += len(pending)
                pending, size = [], 0
                if progress is not None:
                    progress(done, total)

    async def remove(self, collection: str, documents: Sequence[str]) -> AddResult:
        """Remove documents from the next revision on (earlier revisions keep them)."""
        row = await self._collection(check_collection(collection))
        if row is None:
            raise ConfigError(f"no collection {collection!r}; `seamline context list` shows them")
        revision, _, removed, _ = await self._commit(row.id, (), list(documents))
        return AddResult(collection, revision, 0, 0, removed, 0)

    # -- reading -----------------------------------------------------------------------------

    async def live_versions(self, collection: str, documents: Sequence[str]) -> dict[str, str]:
        """document -> its live version now, for those of `documents` that are live."""
        row = await self._collection(check_collection(collection))
        return {} if row is None else await self._live(row.id, list(documents))

    async def exists(self, collection: str) -> bool:
        """Whether the collection was ever created (by an add)."""
        return await self._collection(check_collection(collection)) is not None

    async def revision(self, collection: str, *, at: float | None = None) -> int:
        """The collection's revision now, or the one current at time `at` (0: empty)."""
        row = await self._collection(check_collection(collection))
        if row is None:
            return 0
        if at is None:
            return row.revision
        return await self._revision_at(row.id, at)

    async def search(
        self,
        query: str,
        *,
        collection: str,
        k: int = 5,
        where: Where | None = None,
        revision: int | None = None,
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        """The `k` passages of `collection` that best match `query`, best first.

        Args:
            where: metadata filters: {"field": value} or {"field": [values, ...]}, each
                a string, boolean or number (64-bit if an integer) that a scalar metadata
                value must equal; a list or object value matches nothing, True is not 1.
            revision: search the collection as it was at this revision (default: now).
            mode: "hybrid", "keyword" (BM25 only) or "dense" (vectors only).

        Raises:
            ConfigError: an unknown collection, a bad filter, or a dense search without
                the collection's embedder.
        """
        if not isinstance(query, str) or not query.strip():
            raise ConfigError("search query is empty; say what to look for")
        if k < 1:
            raise ConfigError(f"k={k}: ask for at least one passage")
        if mode not in ("hybrid", "keyword", "dense"):
            raise ConfigError(f"mode={mode!r}: use 'hybrid', 'keyword' or 'dense'")
        filters = check_where(where)
        row = await self._collection(check_collection(collection))
        if row is None:
            raise ConfigError(
                f"no collection {collection!r}; add documents with "
                f"`seamline context add PATH --collection {collection}`"
            )
        at = row.revision if revision is None else min(revision, row.revision)
        depth = max(self.candidates, k)
        keyword: list[tuple[int, float]] = []
        dense: list[tuple[int, float]] = []
        if mode != "dense":
            live = await self._live_mask(row, at, filters)
            keyword = await self._keyword(row.id, query_terms(query), at, filters, depth, live)
        if mode != "keyword":
            if row.embedder is None:
                if mode == "dense":
                    raise ConfigError(
                        f"collection {collection!r} has no vectors (it was added without an "
                        "embedder); search it with mode='keyword'"
                    )
            else:
                dense = await self._dense(row, query, at, filters, depth)
        if mode == "hybrid" and dense:
            ranked = fuse(keyword, dense, method=self.fusion, alpha=self.alpha)
        else:
            ranked = keyword or dense
        best = ranked[:k]
        rows = await self._chunk_rows([cid for cid, _ in best])
        passages = []
        for cid, score in best:
            ordinal, heading, text, doc_id, version, source, title, metadata = rows[cid]
            passages.append(
                Passage(
                    collection=collection,
                    document=doc_id,
                    version=version,
                    chunk=ordinal,
                    text=text,
                    score=round(score, 6),
                    source=source,
                    title=title,
                    heading=heading,
                    metadata=metadata,
                )
            )
        return passages

    async def _dense(
        self,
        row: CollectionRow,
        query: str,
        revision: int,
        where: Mapping[str, list[Any]],
        depth: int,
    ) -> list[tuple[int, float]]:

        embedder = self.embedder
        if embedder is None or embedder.name != row.embedder:
            raise ConfigError(
                f"collection {row.name!r} was embedded with {row.embedder!r}: its vectors "
                f"cannot be compared with another model's; open the context store with "
                f"{how_to_open(row.embedder)} to search it (this one has "
                f"{embedder.name if embedder else 'none'!r}), or search with mode='keyword'"
            )
        vector = await self._query_vector(embedder, query)
        own = await self._dense_index(row.id, vector, revision, where, depth)
        if own is not None:
            return own
        live = await self._live_mask(row, revision, where)
        if self.vector_index is not None:
            found = await self.vector_index.query(row.name, vector.tolist(), depth * 4)
            versions = await self._chunk_versions(row, [cid for cid, _ in found])
            return [
                (cid, s)
                for cid, s in found
                if versions.get(cid, -1) < len(live) and live[versions[cid]]
            ][:depth]
        vectors = await self._loaded_vectors(row)
        return vectors.top(vector, live, depth)

    async def _query_vector(self, embedder: Embedder, query: str) -> Any:
        """The query's vector, embedded once per store (least recently used dropped first)."""
        import numpy as np

        key = (embedder.name, query)
        cache = self._query_vectors
        vector = cache.pop(key, None)
        if vector is None:
            vector = np.asarray((await embedder.embed([query], kind="query"))[0], np.float32)
            vector.setflags(write=False)  # shared by every search with this query
            if len(cache) >= _QUERY_CACHE:
                del cache[next(iter(cache))]
        cache[key] = vector  # (re)inserted last: dicts keep insertion order
        return vector

    async def _chunk_versions(self, row: CollectionRow, ids: Sequence[int]) -> dict[int, int]:
        vectors = await self._loaded_vectors(row)
        if vectors.ids is None:
            return {}
        index = {int(c): int(v) for c, v in zip(vectors.ids, vectors.versions, strict=True)}
        return {cid: index[cid] for cid in ids if cid in index}

    async def _loaded_vectors(self, row: CollectionRow) -> CollectionVectors:
        """The collection's vectors in memory, brought up to its current revision."""
        vectors = self._vectors.get(row.id)
        if vectors is None:
            vectors = self._vectors[row.id] = CollectionVectors()
        if vectors.revision < row.revision:
            rows = await self._vector_rows(row.id, vectors.revision, row.revision)
            vectors.extend(rows)
            vectors.revision = row.revision
        return vectors

    async def _live_mask(
        self, row: CollectionRow, revision: int, where: Mapping[str, list[Any]]
    ) -> Any:
        """Which version rows are live at `revision` and match `where`, by row id."""
        import numpy as np

        cached = self._versions.get(row.id)
        if cached is None or cached[0] < row.revision:
            rows = await self._version_rows(row.id)
            table = _Versions(
                ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
                added=np.fromiter((r[1] for r in rows), np.int64, len(rows)),
                removed=np.fromiter((r[2] or 0 for r in rows), np.int64, len(rows)),
                metadata=[r[3] for r in rows],
            )
            self._versions[row.id] = cached = (row.revision, table)
            self._where_masks = {k: v for k, v in self._where_masks.items() if k[0] != row.id}
        # A snapshot's mask never changes: computed once per (revision, where).
        key = (row.id, cached[0], f"{revision}:{json.dumps(where, sort_keys=True)}")
        live = self._where_masks.get(key)
        if live is not None:
            return live
        table = cached[1]
        alive = (table.added <= revision) & ((table.removed == 0) | (table.removed > revision))
        if where:
            alive &= np.fromiter(
                (matches(m, where) for m in table.metadata), bool, len(table.metadata)
            )
        live = np.zeros(int(table.ids.max()) + 1 if len(table.ids) else 0, bool)
        live[table.ids[alive]] = True
        if len(self._where_masks) > 256:  # many filters: start over rather than grow
            self._where_masks.clear()
        self._where_masks[key] = live
        return live


def _unique(docs: list[Document]) -> list[Document]:
    """The last of each id: a batch that names a document twice keeps the later text."""
    by_id: dict[str, Document] = {}
    for doc in docs:
        if not isinstance(doc, Document):
            raise ConfigError(
                f"add() takes Document objects (make_document(...) or load_paths(...)), "
                f"got {type(doc).__name__}"
            )
        by_id.pop(doc.id, None)
        by_id[doc.id] = doc
    return list(by_id.values())


def _stack(vectors: Sequence[Any]) -> Any:
    import numpy as np

    return np.stack([np.asarray(v, np.float32) for v in vectors]) if vectors else None
