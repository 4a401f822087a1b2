"""The SQLite context store's keyword shortcuts give the answers of the plain query."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from test_store import FILTERS, SHAPES

from seamline.context import make_document, open_context
from seamline.context.records import check_where, matches
from seamline.context.sqlite import SQLiteContextStore, _where_sql

WORDS = [
    "ledger",
    "invoice",
    "parcel",
    "harbour",
    "signal",
    "copper",
    "meadow",
    "lantern",
    "orchard",
    "quarry",
]


def corpus(prefix: str, n: int, seed: int) -> list:
    rng = random.Random(seed)
    return [
        make_document(
            f"{prefix}/{i}",
            # "the" and "is" are in every chunk: BM25 gives them no weight.
            f"the {' '.join(rng.choices(WORDS, k=12))} is {prefix}{i}",
        )
        for i in range(n)
    ]


@pytest.fixture
async def store(tmp_path: Path) -> SQLiteContextStore:
    opened = await open_context(f"sqlite:///{tmp_path}/runs.db", embedder=None)
    assert isinstance(opened, SQLiteContextStore)
    await opened.add("big", corpus("big", 120, 1))
    await opened.add("small", corpus("small", 10, 2))
    return opened


async def plain(store: SQLiteContextStore, query: str, collection: str) -> list[tuple[str, float]]:
    """The same search with both shortcuts turned off."""
    informative, majority = store._informative, store._majority
    store._informative = lambda terms: terms  # type: ignore[method-assign]
    store._majority = lambda collection: False  # type: ignore[method-assign]
    try:
        found = await store.search(query, collection=collection, k=8, mode="keyword")
    finally:
        store._informative, store._majority = informative, majority  # type: ignore[method-assign]
    return [(p.document, p.score) for p in found]


@pytest.mark.parametrize(
    "query", ["the copper lantern", "is the", "meadow", "what is the quarry of the harbour"]
)
@pytest.mark.parametrize("collection", ["big", "small"])
async def test_shortcuts_keep_the_ranking(
    store: SQLiteContextStore, query: str, collection: str
) -> None:
    try:
        found = await store.search(query, collection=collection, k=8, mode="keyword")
        # The plain query's matches that have a word BM25 weighs (a score above ~0).
        expected = [(d, s) for d, s in await plain(store, query, collection) if s > 1e-4]
        if not expected:  # only words in most chunks: then the plain query is run
            expected = await plain(store, query, collection)
        assert [p.document for p in found] == [d for d, _ in expected]
        # A dropped word's weight is FTS5's clamped 1e-6 per occurrence: scores agree.
        for passage, (_, score) in zip(found, expected, strict=True):
            assert passage.score == pytest.approx(score, abs=1e-4)
        assert all(p.document.startswith(collection) for p in found)
    finally:
        await store.close()


async def test_common_words_are_dropped_and_recounted_after_an_add(
    store: SQLiteContextStore,
) -> None:
    try:
        assert store._informative(["the", "small3", "is", "absent"]) == ["small3"]
        assert store._informative(["the", "is"]) == ["the", "is"]  # nothing else to go on
        # Counts are taken again after an add: "ore" is new, then in most chunks.
        big = store._conn.execute("SELECT id FROM ctx_collections WHERE name = 'big'").fetchone()[0]
        assert store._informative(["the", "ore", "small3"]) == ["small3"]
        await store.add("small", [make_document(f"ore/{i}", "ore the") for i in range(100)])
        assert store._informative(["the", "ore", "small3"]) == ["ore", "small3"]
        assert store._majority(big)  # 120 of 230 chunks
        await store.add("small", [make_document(f"ore/{i}", "ore the") for i in range(100, 400)])
        assert store._informative(["the", "ore", "small3"]) == ["small3"]
        assert not store._majority(big)  # 120 of 530
    finally:
        await store.close()


def test_a_keyword_only_store_takes_documents_without_the_context_extra(tmp_path: Path) -> None:
    """`pip install seamline[local]` has no numpy: adding and re-adding documents to a
    keyword-only store (what learning from approvals does in the demo) must not need it
    (searching does: its masks are numpy arrays)."""
    import subprocess
    import sys

    script = f"""
import asyncio, sys
sys.modules["numpy"] = None  # as if the `context` extra were not installed
from seamline.context import make_document, open_context

async def main():
    store = await open_context("sqlite:///{tmp_path}/kw.db", embedder=None)
    for _ in range(2):  # the second add finds the version already stored
        await store.add("notes", [make_document("a", "the harbour lantern is lit")])
    print(len(await store.history("notes", "a")))
    await store.close()

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"  # one version: the second add changed nothing


async def test_where_sql_agrees_with_the_in_memory_filter(store: SQLiteContextStore) -> None:
    """The FTS5 path filters with `_where_sql`, the in-memory path with `matches`: the
    same version rows pass both, for every filter of the conformance test."""
    docs = [make_document(f"s{i}", f"copper {i}", metadata=m) for i, m in enumerate(SHAPES)]
    await store.add("shapes", docs)
    rows = store._conn.execute("SELECT id, doc_id, metadata FROM ctx_versions").fetchall()
    for where, expected in FILTERS:
        checked = check_where(where)
        clauses, params = _where_sql(checked)
        in_sql = {
            doc
            for (doc,) in store._conn.execute(
                f"SELECT v.doc_id FROM ctx_versions AS v WHERE 1 {clauses}", params
            )
        }
        in_memory = {doc for _, doc, m in rows if matches(json.loads(m), checked)}
        assert in_sql == in_memory == expected, where
