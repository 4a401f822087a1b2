"""The PostgreSQL store's pgvector path ranks as its fallback does, on the same rows.

Runs against $SEAMLINE_TEST_PGVECTOR_URL (tests/context/pgvector/server.mjs): the store
searches with pgvector's `<=>`; then the extension is dropped from the same database and
a new store, taking the fallback (vectors scored in memory), answers the same searches
over the same chunk rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from seamline.context import Passage, make_document, open_context

pytestmark = pytest.mark.pgvector

ANIMALS = [
    ("cat", "The feline dozed on the rug all afternoon.", "pet"),
    ("dog", "The puppy chewed a slipper and hid under the bed.", "pet"),
    ("parrot", "The parrot repeated every word the visitors said.", "pet"),
    ("wolf", "A wolf pack hunted elk across the frozen valley.", "wild"),
    ("eagle", "An eagle circled high above the cliffs at dawn.", "wild"),
    ("salmon", "Salmon swim upstream to the river where they hatched.", "wild"),
    ("revenue", "Quarterly revenue grew twelve percent on strong sales.", "finance"),
    ("brakes", "The mechanic replaced the worn brake pads and rotors.", "car"),
    ("tyres", "Winter tyres grip better on ice and packed snow.", "car"),
    ("bread", "Knead the dough, let it rise, then bake until golden.", "food"),
]
QUERIES = ["kitty napping", "animals in the wild", "fixing a car", "money", "baking at home"]
# Fewer candidates than documents: pgvector's LIMIT, not only its ORDER BY, decides.
OPTIONS: dict[str, Any] = {"embedder": "local", "candidates": 4}


def documents(kinds: dict[str, str] | None = None) -> list[Any]:
    return [
        make_document(doc_id, text, metadata={"kind": kind})
        for doc_id, text, kind in ANIMALS
        if kinds is None or doc_id in kinds
    ]


async def searches(url: str, *, pgvector: bool) -> dict[tuple[Any, ...], list[Passage]]:
    """Every query, dense and hybrid, now, at revision 1 and filtered; by its arguments."""
    store = await open_context(url, **OPTIONS)
    try:
        assert getattr(store, "pgvector", None) is pgvector  # the path under test was taken
        found = {}
        for query in QUERIES:
            for mode in ("dense", "hybrid"):
                for extra in ({}, {"revision": 1}, {"where": {"kind": ["pet", "wild"]}}):
                    key = (query, mode, tuple(sorted((k, str(v)) for k, v in extra.items())))
                    found[key] = await store.search(
                        query, collection="animals", k=3, mode=mode, **extra
                    )
        return found
    finally:
        await store.close()


async def test_pgvector_and_the_fallback_find_the_same_passages(pgvector_url: str) -> None:
    import psycopg

    store = await open_context(pgvector_url, **OPTIONS)
    try:
        await store.add("animals", documents())
        # Revision 2 replaces one document and removes another: revision 1 still has both.
        await store.add("animals", [make_document("cat", "A lion slept in the savanna sun.")])
        await store.remove("animals", ["revenue"])
    finally:
        await store.close()
    async with await psycopg.AsyncConnection.connect(pgvector_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*), count(embedding), count(vector) FROM ctx_chunks")
        chunks, embeddings, vectors = await cur.fetchone() or (0, 0, 0)
    assert chunks == len(ANIMALS) + 1 and embeddings == vectors == chunks

    with_pgvector = await searches(pgvector_url, pgvector=True)
    async with await psycopg.AsyncConnection.connect(pgvector_url, autocommit=True) as conn:
        await conn.execute("DROP EXTENSION vector CASCADE")  # and the embedding column
    fallback = await searches(pgvector_url, pgvector=False)

    assert with_pgvector.keys() == fallback.keys()
    for key, passages in with_pgvector.items():
        expected = fallback[key]
        assert [(p.document, p.version, p.chunk) for p in passages] == [
            (p.document, p.version, p.chunk) for p in expected
        ], key
        # float32 dot products in numpy against pgvector's sums: equal within rounding.
        assert [p.score for p in passages] == pytest.approx(
            [p.score for p in expected], abs=1e-5
        ), key
    # The searches said something: revision 1 and the filter changed what was found.
    dense_now = [p.document for p in with_pgvector[("kitty napping", "dense", ())]]
    dense_then = [
        p.document for p in with_pgvector[("kitty napping", "dense", (("revision", "1"),))]
    ]
    assert dense_then[0] == "cat" and dense_now != dense_then
    money = with_pgvector[("money", "dense", (("where", "{'kind': ['pet', 'wild']}"),))]
    assert money and {p.metadata["kind"] for p in money} <= {"pet", "wild"}
