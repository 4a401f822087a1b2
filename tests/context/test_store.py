"""The context store, on SQLite and PostgreSQL alike: versions, snapshots, filters, search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from seamline.context import ContextStore, make_document, open_context
from seamline.context.embedders import get_embedder
from seamline.exceptions import ConfigError

POLICIES = [
    make_document(
        "p1",
        "Storm damage to the roof is covered up to the limit.",
        metadata={"kind": "policy", "line": "home"},
    ),
    make_document(
        "p2",
        "Water damage from a burst pipe is covered after the deductible.",
        metadata={"kind": "policy", "line": "home"},
    ),
    make_document("n1", "The adjuster visited the house on Tuesday.", metadata={"kind": "note"}),
]


async def test_add_is_idempotent_and_a_change_is_a_new_revision(
    keyword_store: ContextStore,
) -> None:
    first = await keyword_store.add("policies", POLICIES)
    assert (first.revision, first.added, first.unchanged, first.chunks) == (1, 3, 0, 3)
    again = await keyword_store.add("policies", POLICIES)
    assert (again.revision, again.added, again.unchanged) == (1, 0, 3)
    changed = make_document(
        "p1", "Storm damage to the roof is excluded since 2025.", metadata={"kind": "policy"}
    )
    third = await keyword_store.add("policies", [changed])
    assert (third.revision, third.added) == (2, 1)
    history = await keyword_store.history("policies", "p1")
    assert [(v.added_revision, v.removed_revision) for v in history] == [(1, 2), (2, None)]
    assert history[1].version == changed.version


async def test_a_search_at_an_old_revision_returns_what_it_returned_then(
    keyword_store: ContextStore,
) -> None:
    await keyword_store.add("policies", POLICIES)
    await keyword_store.add("policies", [make_document("p1", "Storm cover was withdrawn.")])
    await keyword_store.remove("policies", ["p2"])
    now = await keyword_store.search("storm damage roof", collection="policies", mode="keyword")
    then = await keyword_store.search(
        "storm damage roof", collection="policies", revision=1, mode="keyword"
    )
    assert now[0].text == "Storm cover was withdrawn."
    assert then[0].text == POLICIES[0].text and then[0].version == POLICIES[0].version
    assert [
        p.document for p in await keyword_store.search("burst pipe", collection="policies")
    ] == []
    assert [
        p.document
        for p in await keyword_store.search("burst pipe", collection="policies", revision=2)
    ] == ["p2"]


async def test_where_filters_on_metadata(keyword_store: ContextStore) -> None:
    await keyword_store.add("policies", POLICIES)
    found = await keyword_store.search(
        "damage house", collection="policies", where={"kind": "note"}
    )
    assert [p.document for p in found] == ["n1"]
    found = await keyword_store.search(
        "damage house", collection="policies", where={"kind": ["note", "policy"], "line": "home"}
    )
    assert {p.document for p in found} == {"p1", "p2"}
    with pytest.raises(ConfigError, match="where key"):
        await keyword_store.search("x", collection="policies", where={"a.b": 1})
    with pytest.raises(ConfigError, match="string, number or boolean"):
        await keyword_store.search("x", collection="policies", where={"kind": {"nested": 1}})


async def test_mistakes_get_errors_that_say_what_to_do(keyword_store: ContextStore) -> None:
    with pytest.raises(ConfigError, match=r"no collection 'nope'.*seamline context add"):
        await keyword_store.search("x", collection="nope")
    await keyword_store.add("policies", POLICIES)
    with pytest.raises(ConfigError, match="no vectors"):
        await keyword_store.search("x", collection="policies", mode="dense")
    with pytest.raises(ConfigError, match="empty"):
        await keyword_store.search("  ", collection="policies")
    listed = await keyword_store.collections()
    assert [(c.name, c.documents, c.chunks, c.revision, c.embedder) for c in listed] == [
        ("policies", 3, 3, 1, None)
    ]


async def test_dense_search_finds_what_no_keyword_matches(hybrid_store: ContextStore) -> None:
    await hybrid_store.add(
        "pets",
        [
            make_document("cat", "The feline dozed on the rug all afternoon."),
            make_document("revenue", "Quarterly revenue grew twelve percent."),
            make_document("car", "The mechanic replaced the brake pads."),
        ],
    )
    assert await hybrid_store.search("kitty napping", collection="pets", mode="keyword") == []
    dense = await hybrid_store.search("kitty napping", collection="pets", mode="dense", k=1)
    assert dense[0].document == "cat"
    hybrid = await hybrid_store.search("kitty napping", collection="pets", k=3)
    assert hybrid[0].document == "cat"
    assert hybrid[0].score > hybrid[-1].score


async def test_a_collection_keeps_its_embedder(
    context_url: str, hybrid_store: ContextStore
) -> None:
    await hybrid_store.add("pets", [make_document("cat", "A cat.")])
    plain = await open_context(context_url, embedder=None)
    try:
        with pytest.raises(ConfigError, match="minilm"):
            await plain.add("pets", [make_document("dog", "A dog.")])
        with pytest.raises(ConfigError, match="minilm"):
            await plain.search("cat", collection="pets")
        assert [
            p.document for p in await plain.search("cat", collection="pets", mode="keyword")
        ] == ["cat"]
    finally:
        await plain.close()


class CountingEmbedder:
    """The real local embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        self.inner = get_embedder("local")
        assert self.inner is not None
        self.name, self.dim, self.texts = self.inner.name, self.inner.dim, 0

    async def embed(self, texts: Sequence[str], *, kind: Any) -> Any:
        self.texts += len(texts)
        assert self.inner is not None
        return await self.inner.embed(texts, kind=kind)


async def test_a_reverted_document_reuses_its_vectors(context_url: str) -> None:
    embedder = CountingEmbedder()
    store = await open_context(context_url, embedder=embedder)
    try:
        a, b = make_document("d", "Version A of the text."), make_document("d", "Version B.")
        await store.add("c", [a])
        await store.add("c", [b])
        counted = embedder.texts
        back = await store.add("c", [a])
        assert back.added == 1 and back.revision == 3
        assert embedder.texts == counted  # chunks and vectors copied, not recomputed
        assert (await store.search("version", collection="c", k=1, mode="dense"))[
            0
        ].version == a.version
    finally:
        await store.close()


async def test_a_repeated_query_is_embedded_once(context_url: str) -> None:
    embedder = CountingEmbedder()
    store = await open_context(context_url, embedder=embedder)
    try:
        await store.add("c", [make_document("d", "The ferry leaves at noon.")])
        counted = embedder.texts
        first = await store.search("when does the ferry leave", collection="c", k=1)
        again = await store.search("when does the ferry leave", collection="c", k=1)
        assert first == again and embedder.texts == counted + 1
        await store.search("another question", collection="c", k=1)
        assert embedder.texts == counted + 2
    finally:
        await store.close()


class DictIndex:
    """A stand-in for a hosted vector database: brute force over what it was given."""

    def __init__(self) -> None:
        self.items: dict[int, list[float]] = {}

    async def add(
        self, collection: str, ids: Sequence[int], vectors: Sequence[Sequence[float]]
    ) -> None:
        self.items.update(zip(ids, (list(v) for v in vectors), strict=True))

    async def query(
        self, collection: str, vector: Sequence[float], k: int
    ) -> list[tuple[int, float]]:
        scored = [
            (cid, sum(a * b for a, b in zip(v, vector, strict=True)))
            for cid, v in self.items.items()
        ]
        return sorted(scored, key=lambda x: -x[1])[:k]


async def test_a_vector_index_plugs_in_and_its_results_follow_the_snapshot(
    context_url: str,
) -> None:
    index = DictIndex()
    store = await open_context(context_url, embedder="local", vector_index=index)
    try:
        await store.add("pets", [make_document("cat", "The feline dozed on the rug.")])
        await store.add("pets", [make_document("cat", "The dog barked at the mailman.")])
        assert len(index.items) == 2
        old = await store.search("kitty napping", collection="pets", mode="dense", revision=1)
        new = await store.search("kitty napping", collection="pets", mode="dense")
        assert old[0].text.startswith("The feline") and new[0].text.startswith("The dog")
        assert len(new) == 1  # the replaced version is not live any more
    finally:
        await store.close()


async def test_memory_stores_are_one_per_name() -> None:
    a = await open_context("memory://ctx-test", embedder=None)
    await a.add("c", [make_document("x", "hello world")])
    b = await open_context("memory://ctx-test")
    assert b is a
    assert (await b.search("hello", collection="c"))[0].document == "x"
    with pytest.raises(ConfigError, match="unknown context store URL"):
        await open_context("redis://x")


async def test_a_busy_collection_does_not_crowd_out_a_small_one(
    keyword_store: ContextStore,
) -> None:
    await keyword_store.add(
        "big", [make_document(f"b{i}", f"storm storm storm report {i}") for i in range(300)]
    )
    await keyword_store.add("small", [make_document("only", "storm damage to a shed")])
    found = await keyword_store.search("storm", collection="small", k=5)
    assert [p.document for p in found] == ["only"]
    assert len(await keyword_store.search("storm", collection="big", k=5)) == 5


# Metadata of every JSON kind, and filters that a loose comparison would get wrong: a
# list or object by its JSON text, True as 1, "1" as 1.
SHAPES: list[dict[str, Any]] = [
    {"tags": ["a", "b"]},
    {"tags": "a"},
    {"n": 1},
    {"n": True},
    {"n": "1"},
    {"n": 1.5},
    {"o": {"k": 1}},
    {"o": "x"},
]
FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({"tags": '["a","b"]'}, set()),
    ({"tags": '["a", "b"]'}, set()),
    ({"tags": "a"}, {"s1"}),
    ({"tags": ["a", "b"]}, {"s1"}),  # a list of allowed values, not a list value
    ({"o": '{"k":1}'}, set()),
    ({"o": '{"k": 1}'}, set()),
    ({"o": "x"}, {"s7"}),
    ({"n": 1}, {"s2"}),
    ({"n": 1.0}, {"s2"}),
    ({"n": True}, {"s3"}),
    ({"n": "1"}, {"s4"}),
    ({"n": [1, "1"]}, {"s2", "s4"}),
    ({"n": 1.5}, {"s5"}),
    ({"n": 2**63 - 1}, set()),
]


async def test_where_matches_scalar_values_only(keyword_store: ContextStore) -> None:
    docs = [
        make_document(f"s{i}", f"copper lantern number {i}", metadata=m)
        for i, m in enumerate(SHAPES)
    ]
    await keyword_store.add("shapes", docs)
    for where, expected in FILTERS:
        found = await keyword_store.search(
            "copper lantern", collection="shapes", where=where, k=20, mode="keyword"
        )
        assert {p.document for p in found} == expected, where


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, float("nan"), float("inf")])
async def test_where_rejects_numbers_no_store_can_match(
    keyword_store: ContextStore, value: Any
) -> None:
    await keyword_store.add("policies", POLICIES)
    with pytest.raises(ConfigError, match=r"where\['n'\]"):
        await keyword_store.search("house", collection="policies", where={"n": value})
