"""The context layer: retrieval quality, search latency, ingest speed, size, read overhead.

    python benchmarks/bench_context.py [--chunks 10000] [--quick] [--embedder minilm|static]

For each built-in embedder (MiniLM-L6 int8, the default; WordLlama's static vectors):

1. Retrieval quality: recall@5 (a relevant passage among the first five) of BM25 alone,
   dense alone, and hybrid (reciprocal-rank fusion, and the convex mix at several
   alphas) on the two labelled query sets of benchmarks/context/queries.py (questions,
   and paraphrases sharing no content word with their answer), over the examples'
   documents: the content style guide and research notes, the film briefs and their
   characters, the claims policy table and the 48 claim documents.
2. Ingest: chunks per second through `ContextStore.add` (chunking, embedding, writing),
   and the SQLite file's size per 1,000 chunks.
3. Search over `--chunks` chunks (default 10,000), every query new to the store (the
   query-vector cache emptied before each): p50 / p95 of `search()` in each mode, for
   short queries drawn from the documents' vocabulary and for the labelled questions
   as people write them (with "the", "is", "which": the words BM25 weighs at ~0).
4. The overhead a recorded read adds to a step: a step calling `ctx.search` against the
   same step calling the store's `search` directly (pinning, the ContextRead event).

Everything runs in this one process; figures are wall clock, with each search's CPU
time beside it (searches run on one thread, so on a loaded machine their CPU time is
the better estimate of a quiet machine's wall time). The floor printed first and last
is a trivial SQLite query, to read the figures against the machine's state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from context.queries import PARAPHRASES, QUERIES, Query  # noqa: E402

import seamline as sl  # noqa: E402
from seamline.context import ContextStore, make_document, open_context  # noqa: E402
from seamline.context.documents import MARKDOWN  # noqa: E402


def corpus() -> list[sl.Document]:
    """The examples' documents, read as they are (never edited)."""
    ex = ROOT / "examples"
    docs = [
        make_document(
            "content/style_guide.md",
            (ex / "content" / "style_guide.md").read_text(),
            media_type=MARKDOWN,
        ),
        make_document(
            "claims/policies.csv",
            (ex / "claims" / "policies.csv").read_text(),
            media_type="text/csv",
        ),
    ]
    for line in (ex / "content" / "briefs.jsonl").read_text().splitlines():
        task = json.loads(line)
        for note in task["notes"]["notes"]:
            docs.append(
                make_document(
                    f"notes/{task['id']}/{note['id']}",
                    f"{note['title']}\n\n{note['text']}",
                    metadata={"kind": "note", "brief": task["id"]},
                )
            )
    for line in (ex / "film" / "briefs.jsonl").read_text().splitlines():
        task = json.loads(line)
        docs.append(make_document(f"film/{task['id']}", task["brief"]["text"]))
        for c in task["expected"]["scene_graph"]["characters"]:
            text = f"{c['name']}: {c['eye_color']} eyes, {c['hair']}, wears a {c['wardrobe']}."
            docs.append(make_document(f"characters/{c['name']}", text))
    for line in (ex / "claims" / "claims.jsonl").read_text().splitlines():
        task = json.loads(line)
        docs.append(make_document(f"claims/{task['id']}", task["doc"]["text"]))
    return docs


def relevant(q: Query, passage: sl.Passage) -> bool:
    if q.document.endswith("*"):
        if not passage.document.startswith(q.document[:-1]):
            return False
    elif passage.document != q.document:
        return False
    return q.marker is None or q.marker.lower() in passage.text.lower()


async def quality(store: ContextStore, queries: list[Query]) -> dict[str, float]:
    out: dict[str, float] = {}
    variants: list[tuple[str, str, str, float]] = [
        ("BM25 alone", "keyword", "rrf", 0.5),
        ("dense alone", "dense", "rrf", 0.5),
        ("hybrid, RRF", "hybrid", "rrf", 0.5),
    ]
    variants += [(f"hybrid, convex a={a}", "hybrid", "convex", a) for a in (0.3, 0.5, 0.7)]
    for label, mode, fusion, alpha in variants:
        store.fusion, store.alpha = fusion, alpha  # type: ignore[assignment]
        hits = 0
        for q in queries:
            found = await store.search(q.text, collection="examples", k=5, mode=mode)  # type: ignore[arg-type]
            hits += any(relevant(q, p) for p in found)
        out[label] = hits / len(queries)
    store.fusion, store.alpha = "convex", 0.7  # the default
    return out


def vocabulary() -> list[str]:
    """The words of the examples' documents, most frequent first."""
    counts: dict[str, int] = {}
    for doc in corpus():
        for word in re.findall(r"[A-Za-z]+", doc.text.lower()):
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])


def synthetic(n: int, words: list[str], seed: int = 7) -> list[sl.Document]:
    """n one-chunk documents of ~45 words, drawn Zipf-like from the examples' vocabulary
    (so, as in real text, a few words are everywhere and most are rare), each with an id."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    docs = []
    for i in range(n):
        drawn = rng.choices(words, weights, k=45)
        drawn[rng.randrange(45)] = f"ref{i:05d}"
        docs.append(make_document(f"syn/{i:05d}", " ".join(drawn) + "."))
    return docs


def file_size(folder: Path, name: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(f"{name}.db*"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Doc(BaseModel):
    text: str


class Found(BaseModel):
    n: int


async def read_overhead(store: ContextStore, repeats: int) -> tuple[float, float, float]:
    """µs per step: a recorded ctx.search, the same search called directly, no read.
    Keyword searches, so the difference is not lost in the embedding's noise."""
    reading = sl.Pipeline("reads", inputs={"doc": Doc})

    @reading.step
    async def read(doc: Doc, ctx: sl.StepContext) -> Found:
        found = await ctx.search(doc.text, collection="examples", k=5, mode="keyword")
        return Found(n=len(found))

    direct = sl.Pipeline("direct", inputs={"doc": Doc})

    @direct.step
    async def lookup(doc: Doc, ctx: sl.StepContext) -> Found:
        found = await store.search(doc.text, collection="examples", k=5, mode="keyword")
        return Found(n=len(found))

    nothing = sl.Pipeline("nothing", inputs={"doc": Doc})

    @nothing.step
    async def noop(doc: Doc, ctx: sl.StepContext) -> Found:
        return Found(n=0)

    inputs = {"doc": Doc(text="which words are banned")}
    times: dict[str, list[float]] = {"read": [], "direct": [], "none": []}
    for _ in range(repeats):  # interleaved, so drift hits all three alike
        for key, pipe in (("read", reading), ("direct", direct), ("none", nothing)):
            started = time.perf_counter()
            await pipe.run(inputs, context=store)
            times[key].append(time.perf_counter() - started)
    med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    return med["read"], med["direct"], med["none"]


async def timed_searches(
    store: ContextStore, queries: list[str], modes: tuple[str, ...]
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds of each search, per mode, interleaved; every query new to the
    store (its cache of query vectors is emptied first: the goal is for a new query)."""
    out: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in modes}
    big = (await store._collection("big")).id  # type: ignore[attr-defined]
    indexes = getattr(store, "_indexes", None)  # the SQLite store's (bm25.py)
    for q in queries:
        for mode in modes:
            store._query_vectors.clear()  # type: ignore[attr-defined]
            started, cpu = time.perf_counter(), time.process_time()
            await store.search(q, collection="big", k=5, mode=mode)  # type: ignore[arg-type]
            out[mode][0].append(time.perf_counter() - started)
            out[mode][1].append(time.process_time() - cpu)
            if mode != "dense" and indexes is not None and big not in indexes:
                FTS_RANKED[0] += 1
    return out


FTS_RANKED = [0]  # timed searches ranked by FTS5: before the in-memory index was built


async def keyword_index_cost(store: ContextStore) -> None:
    """Build time and memory of the SQLite store's in-memory keyword index of "big"
    (bm25.py): one build timed, then one under tracemalloc (which slows it) for memory."""
    import tracemalloc

    if not hasattr(store, "_indexes"):
        return
    row = await store._collection("big")  # type: ignore[attr-defined]
    held = store._indexes.pop(row.id, None)
    store._fts_seconds[row.id] = float("inf")  # build now
    started = time.perf_counter()
    index = store._keyword_index(row.id, row.revision)
    seconds = time.perf_counter() - started
    store._indexes.pop(row.id)
    store._fts_seconds[row.id] = float("inf")
    tracemalloc.start()
    index = store._keyword_index(row.id, row.revision)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"   keyword index in memory ({len(index)} chunks): built in {seconds * 1e3:.0f} ms "
        f"({seconds / len(index) * 1e6:.1f} µs per chunk); {retained / len(index):.0f} bytes "
        f"per chunk held (peak while building {peak / 1e6:.1f} MB)"
    )
    print(
        f"   {FTS_RANKED[0]} of the timed keyword and hybrid searches above were ranked by "
        f"FTS5 (before the index was built{'' if held is not None else '; it never was'})"
    )


async def bench_embedder(
    name: str, tmp: Path, n_chunks: int, words: list[str], queries: dict[str, list[str]]
) -> ContextStore:
    url = f"sqlite:///{tmp}/{name}.db"
    store = await open_context(url, embedder=name)
    docs = corpus()
    added = await store.add("examples", docs)
    embedder = store.embedder
    assert embedder is not None
    print(f"\n== embedder {name!r} ({embedder.name}, {embedder.dim} dimensions)")
    print(f"1. retrieval quality over {len(docs)} documents, {added.chunks} chunks")
    for label, labelled in (("labelled queries", QUERIES), ("paraphrases", PARAPHRASES)):
        print(f"   {len(labelled)} {label}:")
        for variant, recall in (await quality(store, labelled)).items():
            print(f"     recall@5 {variant:24s} {recall:6.1%}")

    big = synthetic(n_chunks, words)
    started, cpu = time.perf_counter(), time.process_time()
    result = await store.add("big", big)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    size = file_size(tmp, name)
    print(
        f"2. ingest: {result.chunks} chunks (~45 words each) in {seconds:.1f} s = "
        f"{result.chunks / seconds:.0f} chunks/s (chunk + embed + write); "
        f"{cpu / result.chunks * 1e3:.2f} ms of CPU per chunk (all threads)"
    )
    texts = [d.text for d in big[:256]]
    started = time.perf_counter()
    await embedder.embed(texts, kind="document")
    print(
        f"   of which embedding alone: {len(texts) / (time.perf_counter() - started):.0f} chunks/s"
    )
    print(
        f"   SQLite size: {size / result.chunks * 1000 / 1e6:.2f} MB per 1,000 chunks "
        f"(each: a float16 vector of {embedder.dim * 2} bytes, ~300 bytes of text, "
        "its FTS5 postings)"
    )

    await store.search("warm up", collection="big")  # loads the vectors once
    print(f"3. search over {result.chunks} chunks, k=5, every query new (not cached):")
    for label, texts in queries.items():
        modes = ("hybrid", "keyword", "dense")
        measured = await timed_searches(store, texts, modes)
        print(f"   {len(texts)} {label}:")
        for mode in modes:
            wall = [t * 1e3 for t in measured[mode][0]]
            cpu_ms = [t * 1e3 for t in measured[mode][1]]
            print(
                f"     {mode:8s} p50 {percentile(wall, 0.5):6.2f} ms   p95 "
                f"{percentile(wall, 0.95):6.2f} ms   (CPU p50 {percentile(cpu_ms, 0.5):6.2f} "
                f"ms, p95 {percentile(cpu_ms, 0.95):6.2f} ms)"
            )
    await keyword_index_cost(store)
    embed_wall, embed_cpu = [], []
    for q in queries["vocabulary queries"]:
        started, cpu = time.perf_counter(), time.process_time()
        await embedder.embed([q], kind="query")
        embed_wall.append((time.perf_counter() - started) * 1e3)
        embed_cpu.append((time.process_time() - cpu) * 1e3)
    print(
        f"   embedding a query alone: p50 {percentile(embed_wall, 0.5):.2f} ms "
        f"(CPU {percentile(embed_cpu, 0.5):.2f} ms)"
    )
    return store


async def floor(repeats: int = 2000) -> float:
    """µs of a trivial SQLite round trip in this process now: the machine's speed at
    this moment, to read the figures above against (they are taken under load)."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        times.append(time.perf_counter() - started)
    conn.close()
    return statistics.median(times) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 chunks, fewer repeats")
    parser.add_argument(
        "--embedder",
        action="append",
        choices=["minilm", "static"],
        help="which built-in embedder(s) to measure (default: both, one after the other)",
    )
    args = parser.parse_args()
    n_chunks = 1000 if args.quick else args.chunks
    tmp = Path(tempfile.mkdtemp(prefix="bench_context_"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"floor: a trivial SQLite query takes {await floor():.1f} µs here now")
    words = vocabulary()
    rng = random.Random(11)
    # Queries of 2 to 6 words from the vocabulary's middle band: words a person asks with;
    # and the labelled questions as people write them ("which words are banned?").
    band = words[20:600]
    n_queries = 100 if args.quick else 300
    queries = {
        "vocabulary queries": [
            " ".join(rng.choice(band) for _ in range(rng.randint(2, 6))) for _ in range(n_queries)
        ],
        "questions as written (the labelled sets' texts)": [
            q.text for q in [*QUERIES, *PARAPHRASES]
        ],
    }
    stores = []
    try:
        for name in args.embedder or ["minilm", "static"]:
            stores.append(await bench_embedder(name, tmp, n_chunks, words, queries))
        plain = await open_context(f"sqlite:///{tmp}/keyword.db", embedder=None)
        big = synthetic(n_chunks, words)
        started = time.perf_counter()
        kw = await plain.add("big", big)
        print(f"\nkeyword-only ingest: {kw.chunks / (time.perf_counter() - started):.0f} chunks/s")
        await plain.close()

        repeats = 50 if args.quick else 200
        read, direct, none = await read_overhead(stores[0], repeats)
        print(
            f"\n4. a step with a recorded ctx.search (keyword): {read:.0f} µs; the same search "
            f"called directly: {direct:.0f} µs; no read: {none:.0f} µs (whole runs)"
        )
        print(
            f"   the recording adds {read - direct:.0f} µs per read (pin, ContextRead with "
            f"5 passages); medians of {repeats} interleaved runs each"
        )
        print(f"\nfloor again: {await floor():.1f} µs; load average {os.getloadavg()[0]:.1f}")
    finally:
        for store in stores:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
