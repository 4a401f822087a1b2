"""Keyword ranking in memory (bm25.py) gives FTS5's `bm25()` answers: ids, order, scores."""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from seamline.context import bm25, make_document, open_context
from seamline.context import sqlite as sqlite_store
from seamline.context.bm25 import Tokenizer, averages
from seamline.context.records import query_terms
from seamline.context.sqlite import SQLiteContextStore

WORDS = ["ledger", "invoice", "parcel", "harbour", "signal", "copper", "meadow", "lantern"]
STEMS = ["run", "runs", "running", "runner", "connect", "connected", "connection"]
QUERIES = [
    "copper lantern",
    "the copper lantern is lit",  # "the", "is" in every chunk: dropped
    "the is",  # only words in every chunk: kept, weighed at FTS5's 1e-6 floor
    "running",  # stems to "run": matches "runs" and "run" too
    "run running runs",  # three phrases of one token: each adds its share
    "connection harbour ledger invoice",
    "quarry",  # in no chunk
    "tie",  # identical chunks: equal scores, ordered by id
    "big7 big8 small3 meadow",  # terms of one chunk (big7: a replaced version) and a common one
    "snake_case",  # FTS5 makes this the phrase "snake case": FTS5 ranks it
]


def corpus(prefix: str, n: int, seed: int, **metadata: Any) -> list:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        words = rng.choices(WORDS, k=rng.randint(3, 14)) + rng.choices(STEMS, k=rng.randint(0, 3))
        text = f"the {' '.join(words)} is {prefix}{i}"
        if i % 17 == 0:
            text += " snake case"
        docs.append(make_document(f"{prefix}/{i}", text, metadata={"part": i % 3, **metadata}))
    docs += [make_document(f"{prefix}/tie{i}", "the tie is a copper tie") for i in range(4)]
    return docs


async def opened(path: Path) -> SQLiteContextStore:
    store = await open_context(f"sqlite:///{path}", embedder=None)
    assert isinstance(store, SQLiteContextStore)
    store._build_seconds = 0.0  # build at the first search: these tests compare the two
    return store


@pytest.fixture
async def store(tmp_path: Path) -> SQLiteContextStore:
    """Three collections: "big" most of the index, "small" a minority, and "gone", whose
    documents are all replaced or removed (their chunks stay in the FTS5 index)."""
    s = await opened(tmp_path / "runs.db")
    await s.add("big", corpus("big", 150, 1))
    await s.add("small", corpus("small", 20, 2))
    await s.add("gone", corpus("gone", 30, 3))
    await s.add("gone", corpus("gone2", 10, 4))
    await s.remove("gone", [f"gone/{i}" for i in range(30)])
    await s.remove("big", [f"big/{i}" for i in range(0, 150, 5)])  # revision 2 of "big"
    await s.add("big", [make_document("big/7", "the running lantern is copper, copper")])
    return s


def reference(
    conn: sqlite3.Connection,
    collection: int,
    terms: list[str],
    revision: int,
    where: Mapping[str, list[Any]],
    limit: int,
) -> list[tuple[int, float]]:
    """FTS5's own ranking: bm25() over the match, joined to the versions live at
    `revision`, ties by chunk id."""
    match = f'coll:"c{collection}" AND text:(' + " OR ".join(f'"{t}"' for t in terms) + ")"
    filters = "".join(
        f" AND json_extract(v.metadata, ?) IN ({','.join('?' * len(vs))})" for vs in where.values()
    )
    values = [x for key, vs in where.items() for x in (f"$.{key}", *vs)]
    rows = conn.execute(
        "SELECT c.id, -bm25(ctx_fts, 1.0, 0.0) AS score FROM ctx_fts "
        "JOIN ctx_chunks AS c ON c.id = ctx_fts.rowid JOIN ctx_versions AS v ON v.id = c.version "
        "WHERE ctx_fts MATCH ? AND v.collection = ? AND v.added_rev <= ? "
        f"AND (v.removed_rev IS NULL OR v.removed_rev > ?){filters} "
        "ORDER BY score DESC, c.id LIMIT ?",
        (match, collection, revision, revision, *values, limit),
    ).fetchall()
    return [(int(i), float(s)) for i, s in rows]


async def ranked(
    store: SQLiteContextStore,
    name: str,
    query: str,
    *,
    revision: int | None = None,
    where: Mapping[str, list[Any]] | None = None,
    limit: int = 12,
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(the store's keyword ranking, FTS5's) for the same terms and snapshot."""
    row = await store._collection(name)
    assert row is not None
    at = row.revision if revision is None else revision
    where = dict(where or {})
    live = await store._live_mask(row, at, where)
    found = await store._keyword(row.id, query_terms(query), at, where, limit, live)
    terms = list(store._informative(query_terms(query)))
    return found, reference(store._conn, row.id, terms, at, where, limit)


def assert_same(found: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [cid for cid, _ in found] == [cid for cid, _ in expected]
    for (_, score), (_, want) in zip(found, expected, strict=True):
        assert score == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", ["big", "small", "gone"])
async def test_the_ranking_is_fts5s(store: SQLiteContextStore, name: str, query: str) -> None:
    try:
        found, expected = await ranked(store, name, query)
        assert_same(found, expected)
        row = await store._collection(name)
        assert row is not None
        # Ranked in memory, except the one query FTS5 reads as a phrase.
        assert (row.id in store._indexes) == (query != "snake_case")
        if query == "tie":
            assert len(found) >= 4 and len({s for _, s in found[:4]}) == 1  # a real tie
    finally:
        await store.close()


async def test_phrases_fall_back_to_fts5(store: SQLiteContextStore) -> None:
    try:
        found, expected = await ranked(store, "small", "snake_case")
        assert expected
        assert_same(found, expected)
        assert not store._indexes  # nothing was built for it
    finally:
        await store.close()


@pytest.mark.parametrize("query", ["copper lantern", "running ledger", "tie"])
async def test_snapshots_and_filters(store: SQLiteContextStore, query: str) -> None:
    try:
        for revision in (1, 2, 3):  # before the removal, after it, after the new big/7
            for where in ({}, {"part": [0]}, {"part": [1, 2]}):
                found, expected = await ranked(store, "big", query, revision=revision, where=where)
                assert_same(found, expected)
        # Gone's first 30 documents, live at revision 1 only.
        found, expected = await ranked(store, "gone", query, revision=1)
        assert_same(found, expected)
        assert any(cid for cid, _ in found)
    finally:
        await store.close()


async def test_another_process_adding_documents(store: SQLiteContextStore, tmp_path: Path) -> None:
    other = await opened(tmp_path / "runs.db")
    try:
        before, _ = await ranked(store, "small", "copper meadow")
        small = await store._collection("small")
        assert small is not None and store._indexes[small.id].revision == 1
        # A few chunks to "small" (taken into its index as they are), and many to another
        # collection (which moves every score: N, avgdl and the terms' counts change).
        await other.add("small", [make_document("late/1", "copper copper meadow")])
        await other.add("third", corpus("third", 200, 5))
        found, expected = await ranked(store, "small", "copper meadow")
        assert_same(found, expected)
        assert found != before
        assert store._indexes[small.id].revision == 2
        assert len(store._indexes[small.id].segments) == 2  # added to, not rebuilt
        for name in ("big", "third"):
            assert_same(*await ranked(store, name, "copper meadow"))
    finally:
        await other.close()
        await store.close()


async def test_many_small_adds_are_merged(tmp_path: Path) -> None:
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("notes", corpus("n", 40, 6))
        assert_same(*await ranked(store, "notes", "lantern running"))
        for i in range(20):
            await store.add("notes", corpus(f"more{i}-", 3, 10 + i))
            assert_same(*await ranked(store, "notes", "lantern running tie"))
        row = await store._collection("notes")
        assert row is not None
        index = store._indexes[row.id]
        assert len(index) == 44 + 20 * 7  # each add: 3 documents and 4 ties
        assert len(index.segments) <= 2 + math.log2(len(index))  # 21 adds, merged
    finally:
        await store.close()


async def test_a_large_collection_is_tokenized_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bm25, "_BATCH", 16)  # as 32,768 would at 2 million chunks
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("big", corpus("big", 100, 8))
        assert_same(*await ranked(store, "big", "copper running tie"))
        row = await store._collection("big")
        assert row is not None
        index = store._indexes[row.id]
        assert len(index) == 104 and [s.chunks for s in index.segments] == [16] * 6 + [8]
    finally:
        await store.close()


async def test_the_index_is_built_once_fts5_has_cost_as_much(tmp_path: Path) -> None:
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("big", corpus("big", 100, 7))  # more chunks than are taken at once
        row = await store._collection("big")
        assert row is not None
        store._build_seconds = 1.0  # a build "costs" 100 s: FTS5 ranks meanwhile
        assert_same(*await ranked(store, "big", "copper lantern"))
        assert row.id not in store._indexes and store._fts_seconds[row.id] > 0
        store._fts_seconds[row.id] = 104.0  # FTS5 has now cost that much (104 chunks)
        assert_same(*await ranked(store, "big", "copper lantern"))
        assert store._indexes[row.id].revision == row.revision
        assert store._fts_seconds[row.id] == 0.0
    finally:
        await store.close()


async def test_a_collection_past_the_limit_stays_with_fts5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "_IN_MEMORY_MAX", 100)  # as 250,000 would
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("big", corpus("big", 100, 9))  # 104 chunks
        await store.add("small", corpus("small", 10, 9))
        for name in ("big", "small"):
            assert_same(*await ranked(store, name, "copper lantern"))
        small = await store._collection("small")
        assert small is not None and list(store._indexes) == [small.id]
        # "small" grows past the limit: its index (of revision 1) goes, FTS5 ranks.
        await store.add("small", corpus("more", 90, 10))
        assert_same(*await ranked(store, "small", "copper lantern"))
        assert not store._indexes
    finally:
        await store.close()


async def test_indexes_share_one_budget_least_recently_searched_go_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "_IN_MEMORY_MAX", 100)  # chunks over all collections
    store = await opened(tmp_path / "runs.db")
    try:
        ids = {}
        for name in ("a", "b", "c"):
            await store.add(name, corpus(name, 36, 11))  # 40 chunks each: two fit
            row = await store._collection(name)
            assert row is not None
            ids[name] = row.id
        for name in ("a", "b"):
            assert_same(*await ranked(store, name, "copper lantern"))
        assert list(store._indexes) == [ids["a"], ids["b"]]
        assert_same(*await ranked(store, "a", "meadow"))  # "a" searched last: "b" is older
        assert_same(*await ranked(store, "c", "copper lantern"))
        assert list(store._indexes) == [ids["a"], ids["c"]]
        assert_same(*await ranked(store, "b", "copper lantern"))  # built again, "a" goes
        assert list(store._indexes) == [ids["c"], ids["b"]]
        assert sum(len(index) for index in store._indexes.values()) <= 100
    finally:
        await store.close()


async def test_averages_are_fts5s_row_and_token_counts(store: SQLiteContextStore) -> None:
    try:
        for name in ("big", "small", "gone"):
            await ranked(store, name, "copper")
        totals = averages(store._conn)
        (chunks,) = store._conn.execute("SELECT count(*) FROM ctx_chunks").fetchone()
        tokens = sum(float(index.lengths.sum()) for index in store._indexes.values())
        assert totals == (chunks, tokens)  # every chunk of the three collections is held
    finally:
        await store.close()


def test_tokens_are_fts5s() -> None:
    tokenizer = Tokenizer()
    try:
        assert tokenizer.tokens("running") == ("run",)
        assert tokenizer.tokens("Connections") == ("connect",)
        assert tokenizer.tokens("café") == ("cafe",)  # unicode61 drops diacritics
        assert tokenizer.tokens("snake_case") == ("snake", "case")
        assert tokenizer.tokens("_") == ()
    finally:
        tokenizer.close()


async def test_search_passages_are_unchanged(
    store: SQLiteContextStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a user sees: the same passages and scores with ranking in memory or in FTS5."""
    try:
        for name in ("big", "small"):
            for query in QUERIES:
                memory = await store.search(query, collection=name, k=8, mode="keyword")
                with monkeypatch.context() as m:
                    m.setattr(store, "_in_memory", lambda *args: None)  # FTS5 ranks
                    fts = await store.search(query, collection=name, k=8, mode="keyword")
                assert [(p.document, p.chunk, p.score) for p in memory] == [
                    (p.document, p.chunk, p.score) for p in fts
                ]
                assert memory or query == "quarry"  # in no chunk
    finally:
        await store.close()


async def test_ranking_stays_with_fts5_if_its_tokenizer_is_another(tmp_path: Path) -> None:
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("notes", corpus("n", 30, 12))
        assert bm25.same_tokenizer(store._conn)
        other = sqlite3.connect(":memory:")
        other.execute('CREATE VIRTUAL TABLE ctx_fts USING fts5(text, tokenize = "unicode61")')
        assert not bm25.same_tokenizer(other)
        other.close()
        store._same_tokenizer = False  # as read from such a file
        assert_same(*await ranked(store, "notes", "copper running"))
        assert not store._indexes
    finally:
        await store.close()


async def test_ranking_stays_with_fts5_if_the_row_count_disagrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`averages` reads FTS5's private record: a count that is not the store's own means
    its layout changed, and FTS5's own ranking is used."""
    store = await opened(tmp_path / "runs.db")
    try:
        await store.add("notes", corpus("n", 30, 12))
        assert_same(*await ranked(store, "notes", "copper running"))
        assert store._indexes  # ranked in memory
        store._indexes.clear()
        store._averages = None
        real = bm25.averages
        monkeypatch.setattr(
            bm25, "averages", lambda conn: (lambda t: (t[0] + 1, t[1]) if t else t)(real(conn))
        )
        row = await store._collection("notes")
        assert row is not None
        live = await store._live_mask(row, row.revision, {})
        assert store._in_memory(row.id, ["copper"], row.revision, 8, live) is None
        assert_same(*await ranked(store, "notes", "copper running"))
    finally:
        await store.close()
