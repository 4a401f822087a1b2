"""The SQLite context store: by default in the same file as the runs, in tables of its own.

Keyword search is FTS5 (BM25, Porter stemming); once FTS5's ranking of a collection has
cost what copying its postings would, the collection is ranked in memory instead, with
FTS5's ids, order and scores (bm25.py; `_keyword_index`). Vectors are float16 blobs (768 bytes
for 384 dimensions: one 1 KB page, where float32 would need an overflow page; the
rounding moves cosine similarities by about 1e-3), scored in memory as float32. Calls run on the event loop's thread, like the run
store's: each is a few indexed queries. Embedding, the slow part of an add, runs on a
worker thread before the write transaction, which therefore stays short.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seamline.context import bm25
from seamline.context.documents import Document
from seamline.context.migrations import SQLITE as MIGRATIONS
from seamline.context.records import (
    CollectionInfo,
    CollectionRow,
    NewVersion,
    VersionInfo,
    dump_metadata,
    now,
)
from seamline.context.store import ContextStore
from seamline.exceptions import SchemaMismatch, StoreError

SCHEMA_VERSION = MIGRATIONS[-1].version
_META_KEY = "context_schema_version"

_COLLECTION = "SELECT id, name, embedder, dim, revision FROM ctx_collections WHERE name = ?"
_LIVE = """
    SELECT doc_id, version FROM ctx_versions
    WHERE collection = ? AND removed_rev IS NULL AND doc_id = ?
"""
_REUSABLE = """
    SELECT c.ordinal, c.heading, c.text, c.vector FROM ctx_chunks AS c
    WHERE c.version = (
        SELECT id FROM ctx_versions WHERE collection = ? AND doc_id = ? AND version = ?
        ORDER BY id LIMIT 1
    )
    ORDER BY c.ordinal
"""
_KEYWORD = """
    SELECT c.id, -bm25(ctx_fts, 1.0, 0.0) AS score
    FROM ctx_fts JOIN ctx_chunks AS c ON c.id = ctx_fts.rowid
    JOIN ctx_versions AS v ON v.id = c.version
    WHERE ctx_fts MATCH ? AND v.collection = ? AND v.added_rev <= ?
      AND (v.removed_rev IS NULL OR v.removed_rev > ?) {where}
    ORDER BY score DESC, c.id
    LIMIT ?
"""
_FTS_ONLY = "SELECT rowid, -rank FROM ctx_fts WHERE ctx_fts MATCH ? ORDER BY rank LIMIT ?"
# The query: within the collection's token, any of the terms (each quoted, so nothing in
# a query is FTS5 syntax).
_MATCH = 'coll:"c{collection}" AND text:({terms})'
# The same without the collection's token: for a collection that holds most of the index,
# where matching that token (a posting for every chunk) costs a third of the search and
# filters out little; the snapshot's mask in memory does the filtering instead.
_MATCH_ANY = "text:({terms})"
_MAJORITY = 0.5  # of the index's chunks
_VERSIONS_OF = "SELECT id, version FROM ctx_chunks WHERE id IN ({marks})"
_ADDED = """
    FROM ctx_chunks AS c JOIN ctx_versions AS v ON v.id = c.version
    WHERE v.collection = ? AND v.added_rev > ? AND v.added_rev <= ?
"""
_ADDED_COUNT = "SELECT count(*) FROM (SELECT 1" + _ADDED + " LIMIT ?)"
_ADDED_TEXTS = "SELECT c.id, c.version, c.text" + _ADDED + " ORDER BY c.id"
# When keyword ranking moves into memory (bm25.py): once FTS5's ranking has cost, since
# the collection last changed, what tokenizing its new chunks would (a one-off search
# never pays ~200 ms to build an index for 10,000 chunks; a pipeline's hundredth does);
# at once for a few new chunks (less than one FTS5 search costs). _IN_MEMORY_MAX is the
# store's budget over all its collections (~410 bytes a chunk in memory: ~100 MB at the
# limit): the least recently searched indexes make room for a new one, and a collection
# past it alone stays with FTS5.
_BUILD_SECONDS = 20e-6  # per chunk, until a build in this process measures it
_BUILD_NOW = 64  # chunks
_IN_MEMORY_MAX = 250_000
_CHUNK_ROWS = """
    SELECT c.id, c.ordinal, c.heading, c.text, v.doc_id, v.version, v.source, v.title, v.metadata
    FROM ctx_chunks AS c JOIN ctx_versions AS v ON v.id = c.version
    WHERE c.id IN ({marks})
"""


class SQLiteContextStore(ContextStore):
    """Context collections in an SQLite file. Open with `open_context("sqlite:///path")`."""

    def __init__(self, url: str, conn: sqlite3.Connection, **options: Any) -> None:
        super().__init__(**options)
        self.url = url
        self._conn = conn
        # Counts for the keyword shortcuts, as of the sum of the collections' revisions:
        self._counted_at = -1
        self._rows = 0  # chunks in the index
        self._frequencies: dict[str, int] = {}  # term -> chunks it is in
        self._shares: dict[int, bool] = {}  # collection -> holds most chunks
        self._averages: tuple[int, int] | None = None  # FTS5's (rows, tokens), read lazily
        self._same_tokenizer: bool | None = None  # ctx_fts's is bm25.TOKENIZE, read once
        # Keyword ranking in memory (bm25.py), per collection, and when to build it:
        self._tokenizer: bm25.Tokenizer | None = None
        self._indexes: OrderedDict[int, bm25.KeywordIndex] = OrderedDict()  # LRU first
        self._fts_seconds: dict[int, float] = {}  # FTS5 ranking since the last build
        self._added: dict[int, tuple[int, int, int]] = {}  # (from, to, chunks) counted
        self._build_seconds = _BUILD_SECONDS

    @classmethod
    async def open(cls, url: str, **options: Any) -> SQLiteContextStore:
        from seamline.store import open_store
        from seamline.store.sqlite_file import parse_url

        # The run store first: it creates (or checks) the file and its seamline_meta.
        runs = await open_store(url)
        await runs.close()
        path = parse_url(url).path
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn, url)
        except BaseException:
            conn.close()
            raise
        return cls(url, conn, **options)

    @classmethod
    async def open_memory(cls, url: str, **options: Any) -> SQLiteContextStore:
        """An in-process store (`memory://name`): for tests and one-off scripts."""
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.execute("CREATE TABLE seamline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        _migrate(conn, url)
        return cls(url, conn, **options)

    async def close(self) -> None:
        self._conn.close()
        if self._tokenizer is not None:
            self._tokenizer.close()

    # -- hooks --------------------------------------------------------------------------------

    async def _collection(
        self, name: str, create: tuple[str | None, int | None] | None = None
    ) -> CollectionRow | None:
        found = self._conn.execute(_COLLECTION, (name,)).fetchone()
        if found is None and create is not None:
            self._conn.execute(
                "INSERT INTO ctx_collections (name, embedder, dim, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, create[0], create[1], now()),
            )
            found = self._conn.execute(_COLLECTION, (name,)).fetchone()
        return CollectionRow(*found) if found else None

    async def _live(self, collection: int, doc_ids: Sequence[str]) -> dict[str, str]:
        out = {}
        for doc_id in doc_ids:
            row = self._conn.execute(_LIVE, (collection, doc_id)).fetchone()
            if row:
                out[row[0]] = row[1]
        return out

    async def _reusable(
        self, collection: int, doc_id: str, version: str
    ) -> list[tuple[int, str | None, str, Any]] | None:
        rows = self._conn.execute(_REUSABLE, (collection, doc_id, version)).fetchall()
        if not rows:
            return None
        if all(v is None for *_, v in rows):  # keyword only: works without numpy
            return [(o, h, t, None) for o, h, t, _ in rows]
        import numpy as np

        return [
            (o, h, t, np.frombuffer(v, np.float16).astype(np.float32) if v is not None else None)
            for o, h, t, v in rows
        ]

    async def _commit(
        self, collection: int, versions: Sequence[NewVersion], removed: Sequence[str]
    ) -> tuple[int, int, int, list[tuple[int, Any]]]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            (revision,) = conn.execute(
                "SELECT revision FROM ctx_collections WHERE id = ?", (collection,)
            ).fetchone()
            new = revision + 1
            added = dropped = 0
            written: list[tuple[int, Any]] = []
            for version in versions:
                doc = version.document
                current = conn.execute(
                    "SELECT id, version FROM ctx_versions WHERE collection = ? AND doc_id = ? "
                    "AND removed_rev IS NULL",
                    (collection, doc.id),
                ).fetchone()
                if current is not None and current[1] == doc.version:
                    continue  # someone added this very version meanwhile
                if current is not None:
                    conn.execute(
                        "UPDATE ctx_versions SET removed_rev = ? WHERE id = ?", (new, current[0])
                    )
                written.extend(_insert_version(conn, collection, new, version))
                added += 1
            for doc_id in removed:
                cur = conn.execute(
                    "UPDATE ctx_versions SET removed_rev = ? WHERE collection = ? AND doc_id = ? "
                    "AND removed_rev IS NULL",
                    (new, collection, doc_id),
                )
                dropped += cur.rowcount
            if not added and not dropped:
                conn.execute("ROLLBACK")
                return revision, 0, 0, []
            conn.execute("UPDATE ctx_collections SET revision = ? WHERE id = ?", (new, collection))
            conn.execute(
                "INSERT INTO ctx_revisions (collection, revision, created_at) VALUES (?, ?, ?)",
                (collection, new, now()),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return new, added, dropped, written

    async def _revision_at(self, collection: int, at: float) -> int:
        row = self._conn.execute(
            "SELECT coalesce(max(revision), 0) FROM ctx_revisions "
            "WHERE collection = ? AND created_at <= ?",
            (collection, at),
        ).fetchone()
        return int(row[0])

    async def _keyword(
        self,
        collection: int,
        terms: Sequence[str],
        revision: int,
        where: Mapping[str, list[Any]],
        limit: int,
        live: Any,
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        terms = self._informative(terms)
        ranked = self._in_memory(collection, terms, revision, limit, live)
        if ranked is not None:
            return ranked
        started = time.perf_counter()
        try:
            return self._fts_ranked(collection, terms, revision, where, limit, live)
        finally:
            spent = time.perf_counter() - started
            self._fts_seconds[collection] = self._fts_seconds.get(collection, 0.0) + spent

    def _fts_ranked(
        self,
        collection: int,
        terms: Sequence[str],
        revision: int,
        where: Mapping[str, list[Any]],
        limit: int,
        live: Any,
    ) -> list[tuple[int, float]]:
        quoted = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        match = _MATCH.format(collection=int(collection), terms=quoted)
        # Fast path: FTS5's own ranking over the index alone, then the snapshot's mask in
        # memory. Joining every match to its version costs more than scoring it (a
        # common word matches most chunks), so the join below runs only when the best
        # matches are mostly from other collections or revisions.
        fetch = limit * 4
        fast = _MATCH_ANY.format(terms=quoted) if self._majority(collection) else match
        rows = self._conn.execute(_FTS_ONLY, (fast, fetch)).fetchall()
        if rows:
            ids = [cid for cid, _ in rows]
            versions = dict(
                self._conn.execute(
                    _VERSIONS_OF.format(marks=",".join("?" * len(ids))), ids
                ).fetchall()
            )
            kept = [
                (int(cid), float(score))
                for cid, score in rows
                if (v := versions.get(cid)) is not None and v < len(live) and live[v]
            ]
            if len(kept) >= limit or len(rows) < fetch:
                return kept[:limit]
        clauses, params = _where_sql(where)
        sql = _KEYWORD.format(where=clauses)
        rows = self._conn.execute(
            sql, (match, collection, revision, revision, *params, limit)
        ).fetchall()
        return [(int(cid), float(score)) for cid, score in rows]

    def _in_memory(
        self, collection: int, terms: Sequence[str], revision: int, limit: int, live: Any
    ) -> list[tuple[int, float]] | None:
        """FTS5's ranking computed in memory (bm25.py); None where FTS5 must rank: a term
        FTS5 splits into a phrase ("snake_case"), or no index yet (see _BUILD_NOW)."""
        tokens = [self._fts_tokenizer().tokens(t) for t in terms]
        if any(len(t) != 1 for t in tokens):
            return None
        totals = self._fts_averages()  # first: no index is built that could not be used
        if totals is None or totals[0] == 0:
            return None
        index = self._keyword_index(collection, revision)
        if index is None:
            return None
        rows, total = totals
        phrases = [
            (t[0], bm25.idf(rows, self._hits(term))) for term, t in zip(terms, tokens, strict=True)
        ]
        return index.top(phrases, total / rows, live, limit)

    def _keyword_index(self, collection: int, revision: int) -> bm25.KeywordIndex | None:
        """The collection's index, holding every chunk added up to `revision`, if it is
        worth having (see _BUILD_NOW)."""
        index = self._indexes.get(collection)
        if index is not None:
            self._indexes.move_to_end(collection)  # most recently searched
        held = index.revision if index is not None else 0
        if index is not None and held >= revision:
            return index
        # Counted up to _BUILD_NOW + 1 first (microseconds: the count of 10,000 chunks
        # takes 2 ms, which a one-off search should not pay), in full once FTS5's
        # ranking has cost more than tokenizing that many would.
        spent = self._fts_seconds.get(collection, 0.0)
        added = self._added_chunks(collection, held, revision, _BUILD_NOW + 1)
        if added > _BUILD_NOW:
            if spent < added * self._build_seconds:
                return None
            added = self._added_chunks(collection, held, revision, None)
            if spent < added * self._build_seconds:
                return None
        size = (len(index) if index is not None else 0) + added
        if size > _IN_MEMORY_MAX:
            # Past the budget alone: FTS5 ranks it from now on, and the stale index (of
            # older revisions only) would hold memory for nothing.
            self._indexes.pop(collection, None)
            return None
        self._make_room(collection, size)
        tokenizer = self._fts_tokenizer()
        started = time.perf_counter()
        fresh = bm25.KeywordIndex() if index is None else index
        coll = len(tokenizer.tokens(f"c{collection}"))  # the row's `coll` token
        try:
            fresh.extend(
                tokenizer,
                self._conn.execute(_ADDED_TEXTS, (collection, held, revision)),
                coll,
                revision,
            )
        except ValueError:  # ids out of order (never seen): FTS5 ranks, from scratch later
            self._indexes.pop(collection, None)
            return None
        if added > _BUILD_NOW:
            self._build_seconds = (time.perf_counter() - started) / added
        self._indexes[collection] = fresh
        self._fts_seconds[collection] = 0.0
        return fresh

    def _make_room(self, collection: int, size: int) -> None:
        """Drop the least recently searched other indexes until `collection`'s `size`
        chunks fit in _IN_MEMORY_MAX with the rest (before building: the peak counts)."""
        others = sum(len(i) for c, i in self._indexes.items() if c != collection)
        for victim in [c for c in self._indexes if c != collection]:
            if others + size <= _IN_MEMORY_MAX:
                break
            others -= len(self._indexes.pop(victim))
            self._fts_seconds[victim] = 0.0  # to be earned again before a rebuild

    def _added_chunks(self, collection: int, after: int, upto: int, most: int | None) -> int:
        """Chunks of versions added in revisions (after, upto], counting up to `most`."""
        counted = self._added.get(collection)
        if counted is not None and counted[:2] == (after, upto):
            return counted[2] if most is None else min(counted[2], most)
        params = (collection, after, upto, -1 if most is None else most)  # -1: no limit
        (n,) = self._conn.execute(_ADDED_COUNT, params).fetchone()
        if most is None:
            self._added[collection] = (after, upto, n)
        return int(n)

    def _fts_tokenizer(self) -> bm25.Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = bm25.Tokenizer()
        return self._tokenizer

    def _fts_averages(self) -> tuple[int, int] | None:
        """FTS5's (rows, tokens) over the whole index, read once until the index changes
        (as `_hits`). None (FTS5 ranks) if ctx_fts's tokenizer is not bm25.TOKENIZE, or
        if the record's row count is not the store's own count of chunks (one FTS5 row
        each): FTS5 has changed the private record `bm25.averages` reads."""
        if self._same_tokenizer is None:
            self._same_tokenizer = bm25.same_tokenizer(self._conn)
        if not self._same_tokenizer:
            return None
        if self._averages is None:
            self._averages = bm25.averages(self._conn)
        if self._averages is None or self._averages[0] != self._rows:
            return None
        return self._averages

    def _refresh_counts(self) -> None:
        """Forget the term and collection counts below once the index has changed (any
        add or remove, by any process, raises a collection's revision)."""
        (generation,) = self._conn.execute(
            "SELECT coalesce(sum(revision), 0) FROM ctx_collections"
        ).fetchone()
        if generation != self._counted_at:
            self._frequencies.clear()
            self._shares.clear()
            self._averages = None
            (self._rows,) = self._conn.execute("SELECT count(*) FROM ctx_chunks").fetchone()
            self._counted_at = generation

    def _informative(self, terms: Sequence[str]) -> Sequence[str]:
        """The terms that can move a BM25 score: FTS5's bm25() clamps the IDF of a term
        found in more than half the index's rows to 1e-6, so "the", "is" or "of" add
        nothing to any score, yet scoring their matches is most of a search's time
        (13-22 ms against 1.5 ms at 10,000 chunks). They are dropped from the query, so
        a chunk that has only such words is no keyword match (its score would be ~0),
        unless no term is left that the index has. Document frequencies are counted
        once per term (a count over the term's postings) until the index changes."""
        self._refresh_counts()
        if self._rows < 8:  # too few rows for frequencies to mean anything
            return terms
        kept = []
        for term in terms:
            hits = self._hits(term)
            if 0 < hits <= self._rows / 2:
                kept.append(term)
        return kept or terms

    def _hits(self, term: str) -> int:
        """Rows of the whole index with `term` in their text: what FTS5's IDF counts (as
        of the last `_refresh_counts`, which each search's `_informative` calls)."""
        hits = self._frequencies.get(term)
        if hits is None:
            if len(self._frequencies) >= 4096:
                self._frequencies.clear()
            (hits,) = self._conn.execute(
                "SELECT count(*) FROM ctx_fts WHERE ctx_fts MATCH ?",
                ('text:"' + term.replace('"', '""') + '"',),
            ).fetchone()
            self._frequencies[term] = hits
        return int(hits)

    def _majority(self, collection: int) -> bool:
        """Whether the collection holds most of the keyword index's chunks (counted once
        until the index changes; a wrong answer would cost time, never correctness)."""
        self._refresh_counts()
        known = self._shares.get(collection)
        if known is None:
            (mine,) = self._conn.execute(
                "SELECT count(*) FROM ctx_chunks AS c JOIN ctx_versions AS v "
                "ON v.id = c.version WHERE v.collection = ?",
                (collection,),
            ).fetchone()
            known = self._shares[collection] = self._rows > 0 and mine / self._rows > _MAJORITY
        return known

    async def _chunk_rows(self, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        if not ids:
            return {}
        sql = _CHUNK_ROWS.format(marks=",".join("?" * len(ids)))
        return {
            row[0]: (*row[1:8], json.loads(row[8]))
            for row in self._conn.execute(sql, tuple(ids)).fetchall()
        }

    async def _version_rows(
        self, collection: int
    ) -> list[tuple[int, int, int | None, dict[str, Any]]]:
        rows = self._conn.execute(
            "SELECT id, added_rev, removed_rev, metadata FROM ctx_versions WHERE collection = ? "
            "ORDER BY id",
            (collection,),
        ).fetchall()
        return [(i, a, r, json.loads(m)) for i, a, r, m in rows]

    async def _vector_rows(
        self, collection: int, after: int, upto: int
    ) -> list[tuple[int, int, Any]]:
        import numpy as np

        rows = self._conn.execute(
            "SELECT c.id, c.version, c.vector FROM ctx_chunks AS c "
            "JOIN ctx_versions AS v ON v.id = c.version "
            "WHERE v.collection = ? AND v.added_rev > ? AND v.added_rev <= ? "
            "AND c.vector IS NOT NULL ORDER BY c.id",
            (collection, after, upto),
        ).fetchall()
        return [(cid, vid, np.frombuffer(blob, np.float16)) for cid, vid, blob in rows]

    async def collections(self) -> list[CollectionInfo]:
        rows = self._conn.execute(
            """
            SELECT c.name, c.revision, c.embedder,
                (SELECT count(*) FROM ctx_versions AS v
                 WHERE v.collection = c.id AND v.removed_rev IS NULL),
                (SELECT count(*) FROM ctx_chunks AS k JOIN ctx_versions AS v ON v.id = k.version
                 WHERE v.collection = c.id AND v.removed_rev IS NULL),
                (SELECT max(created_at) FROM ctx_revisions AS r WHERE r.collection = c.id)
            FROM ctx_collections AS c ORDER BY c.name
            """
        ).fetchall()
        return [
            CollectionInfo(name, docs, chunks, revision, embedder, updated)
            for name, revision, embedder, docs, chunks, updated in rows
        ]

    async def history(self, collection: str, document: str) -> list[VersionInfo]:
        rows = self._conn.execute(
            "SELECT v.doc_id, v.version, v.added_rev, v.removed_rev, v.added_at "
            "FROM ctx_versions AS v JOIN ctx_collections AS c ON c.id = v.collection "
            "WHERE c.name = ? AND v.doc_id = ? ORDER BY v.added_rev",
            (collection, document),
        ).fetchall()
        return [VersionInfo(*row) for row in rows]


def _insert_version(
    conn: sqlite3.Connection, collection: int, revision: int, version: NewVersion
) -> list[tuple[int, Any]]:
    doc: Document = version.document
    (row_id,) = conn.execute(
        "INSERT INTO ctx_versions (collection, doc_id, version, media_type, title, source, "
        "metadata, added_rev, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            collection,
            doc.id,
            doc.version,
            doc.media_type,
            doc.title,
            doc.source,
            dump_metadata(doc.metadata),
            revision,
            now(),
        ),
    ).fetchone()
    written = []
    vectors = version.vectors
    for i, chunk in enumerate(version.chunks):
        vector = vectors[i] if vectors is not None else None
        (chunk_id,) = conn.execute(
            "INSERT INTO ctx_chunks (version, ordinal, heading, text, vector) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (
                row_id,
                chunk.ordinal,
                chunk.heading,
                chunk.text,
                vector.astype("<f2").tobytes() if vector is not None else None,
            ),
        ).fetchone()
        conn.execute(
            "INSERT INTO ctx_fts (rowid, text, coll) VALUES (?, ?, ?)",
            (chunk_id, chunk.text, f"c{collection}"),
        )
        written.append((chunk_id, vector))
    return written


# A `where` value's kind -> the json_type()s of metadata values it can equal (records.py
# `matches`): json_extract() alone gives an array or object as its JSON text, which a
# string would equal, and a JSON true as 1, which the number 1 would.
_WHERE_TYPES = {"text": "'text'", "number": "'integer','real'", "boolean": "'true','false'"}


def _json_kind(value: str | bool | float) -> str:
    """A `where` value's key in _WHERE_TYPES (check_where lets only these through)."""
    if isinstance(value, bool):  # before the numbers: a bool is an int to Python
        return "boolean"
    return "text" if isinstance(value, str) else "number"


def _where_sql(where: Mapping[str, list[Any]]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for key, values in where.items():
        path = f'$."{key}"'  # the key was checked against [A-Za-z_][A-Za-z0-9_]*
        kinds: dict[str, list[Any]] = {}
        for value in values:
            kinds.setdefault(_json_kind(value), []).append(value)
        alternatives = []
        for kind, same in kinds.items():
            marks = ",".join("?" * len(same))
            alternatives.append(
                f"(json_type(v.metadata, ?) IN ({_WHERE_TYPES[kind]})"
                f" AND json_extract(v.metadata, ?) IN ({marks}))"
            )
            params.extend([path, path, *same])
        clauses.append("AND (" + " OR ".join(alternatives) + ")")
    return " ".join(clauses), params


def _migrate(conn: sqlite3.Connection, url: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM seamline_meta WHERE key = ?", (_META_KEY,)).fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{url}: its context tables are schema {version}, newer than this seamline "
                f"knows ({SCHEMA_VERSION}); upgrade seamline"
            )
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(
                "INSERT OR REPLACE INTO seamline_meta (key, value) VALUES (?, ?)",
                (_META_KEY, str(SCHEMA_VERSION)),
            )
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(f"{url}: cannot set up the context tables ({e})") from e
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def sqlite_path(url: str) -> Path:
    from seamline.store.sqlite_file import parse_url

    return parse_url(url).path
