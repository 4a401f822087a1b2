"""The static embedder: WordLlama's token vectors, read from the wheel's files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.context import StaticEmbedder, make_document, open_context
from seamline.context import static_embedder as module
from seamline.context.embedders import get_embedder, local_available
from seamline.exceptions import ConfigError

pytestmark = pytest.mark.skipif(
    not local_available("static"), reason="needs the context extra (wordllama's files)"
)


async def test_vectors_are_unit_length_deterministic_and_semantic() -> None:
    embedder = StaticEmbedder()
    texts = [
        "The cat sat on the mat.",
        "A kitten was resting on the rug.",
        "Quarterly revenue grew by four percent.",
    ]
    first = np.asarray(await embedder.embed(texts, kind="document"))
    again = np.asarray(await embedder.embed(texts, kind="query"))
    assert first.shape == (3, 256) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, again)  # symmetric: queries and documents alike
    similar, unrelated = float(first[0] @ first[1]), float(first[0] @ first[2])
    assert similar > unrelated + 0.1


async def test_prefix_dimensions_and_empty_inputs() -> None:
    small = StaticEmbedder(dim=64)
    assert small.name == "wordllama-l2-supercat-64"
    vectors = np.asarray(await small.embed(["red", ""], kind="document"))
    assert vectors.shape == (2, 64)
    assert np.allclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert not vectors[1].any()  # no tokens: a zero vector, never NaN
    assert np.asarray(await small.embed([], kind="document")).shape == (0, 64)
    with pytest.raises(ConfigError, match="use 64, 128 or 256"):
        StaticEmbedder(dim=100)


def test_get_embedder_names_and_sharing() -> None:
    assert get_embedder("static") is get_embedder("static")
    assert get_embedder("local") is get_embedder("minilm")
    assert get_embedder("static").name == "wordllama-l2-supercat-256"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="'static'"):
        get_embedder("bert")


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"seamline\[context\]"):
        module.static_files()


async def test_a_different_weights_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    weights, tokenizer = module.static_files()
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(weights.read_bytes()[:-2] + b"\x00\x00")
    monkeypatch.setattr(module, "static_files", lambda: (fake, tokenizer))
    with pytest.raises(ConfigError, match="force-reinstall wordllama"):
        await StaticEmbedder().embed(["anything"], kind="query")


def test_read_safetensor(tmp_path: Path) -> None:
    table = np.arange(6, dtype=np.float16).reshape(2, 3)
    header = json.dumps(
        {"t": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, table.nbytes]}}
    ).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + table.tobytes())
    read = module.read_safetensor(path, "t")
    assert read.dtype == np.float32 and read.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ConfigError, match="no float tensor 'missing'"):
        module.read_safetensor(path, "missing")


async def test_a_collection_is_searched_only_with_its_embedder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    fast = await open_context(url, embedder="static")
    try:
        await fast.add("notes", [make_document("a", "Invoices are paid within thirty days.")])
        found = await fast.search("when are bills settled", collection="notes", mode="dense")
        assert [p.document for p in found] == ["a"]
    finally:
        await fast.close()
    other = await open_context(url, embedder="minilm")
    try:
        with pytest.raises(ConfigError, match=r"embedder='static' \(`--embedder static`"):
            await other.search("bills", collection="notes")
        with pytest.raises(ConfigError, match=r"open the context store with embedder='static'"):
            await other.add("notes", [make_document("b", "Late fees apply.")])
        keyword = await other.search("invoices", collection="notes", mode="keyword")
        assert [p.document for p in keyword] == ["a"]
    finally:
        await other.close()


class Question(BaseModel):
    text: str


class Found(BaseModel):
    documents: list[str]


async def test_a_run_reads_a_static_collection_through_a_store_opened_with_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    pipe = sl.Pipeline("static-reads", inputs={"question": Question})

    @pipe.step
    async def look(question: Question, ctx: sl.StepContext) -> Found:
        found = await ctx.search(question.text, collection="notes", k=1)
        return Found(documents=[p.document for p in found])

    store = await open_context(url, embedder="static")
    try:
        await store.add("notes", [make_document("a", "Invoices are paid within thirty days.")])
        ran = await pipe.run({"question": Question(text="when are invoices paid")}, context=store)
        assert ran["look"].documents == ["a"]
    finally:
        await store.close()
    # The run store's own context store has the default embedder: refused, with the fix.
    with pytest.raises(ConfigError, match=r"open the context store with embedder='static'"):
        await pipe.run({"question": Question(text="when are invoices paid")}, store=url)
