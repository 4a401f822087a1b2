"""The context layer: retrieval quality, search latency, ingest speed, size, read overhead.

    python benchmarks/bench_context.py [--chunks 10000] [--quick]

1. Retrieval quality: recall@5 (a relevant passage among the first five) of BM25 alone,
   dense alone, and hybrid (reciprocal-rank fusion, and the convex mix at several
   alphas) on the two labelled query sets of benchmarks/context/queries.py (questions,
   and paraphrases sharing no content word with their answer), over the examples'
   documents: the content style guide and research notes, the film briefs and their
   characters, the claims policy table and the 48 claim documents.
2. Ingest: chunks per second through `ContextStore.add` (chunking, embedding with the
   local MiniLM, writing), and the SQLite file's size per 1,000 chunks.
3. Search over `--chunks` chunks (default 10,000): p50 / p95 of `search()` (hybrid:
   query embedding, FTS5, dense scoring, fusion), and of its parts.
4. The overhead a recorded read adds to a step: a step calling `ctx.search` against the
   same step calling the store's `search` directly (pinning, the ContextRead event).

Everything runs in this one process on the local embedder; the figures are wall clock.
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


def file_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("runs.db*"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Doc(BaseModel):
    text: str


class Found(BaseModel):
    n: int


async def read_overhead(url: str, store: ContextStore, repeats: int) -> tuple[float, float, float]:
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 chunks, fewer repeats")
    args = parser.parse_args()
    n_chunks = 1000 if args.quick else args.chunks
    tmp = Path(tempfile.mkdtemp(prefix="bench_context_"))
    url = f"sqlite:///{tmp}/runs.db"
    store = await open_context(url, embedder="local")
    try:
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        docs = corpus()
        added = await store.add("examples", docs)
        print(f"\n1. retrieval quality over {len(docs)} documents, {added.chunks} chunks")
        for name, queries in (("labelled queries", QUERIES), ("paraphrases", PARAPHRASES)):
            print(f"   {len(queries)} {name}:")
            for label, recall in (await quality(store, queries)).items():
                print(f"     recall@5 {label:24s} {recall:6.1%}")

        words = vocabulary()
        big = synthetic(n_chunks, words)
        started, cpu = time.perf_counter(), time.process_time()
        result = await store.add("big", big)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
        size = file_size(tmp)
        print(
            f"\n2. ingest: {result.chunks} chunks (~45 words each) in {seconds:.1f} s = "
            f"{result.chunks / seconds:.0f} chunks/s (chunk + embed + write); "
            f"{cpu / result.chunks * 1e3:.1f} ms of CPU per chunk (all threads)"
        )
        embedder = store.embedder
        assert embedder is not None
        texts = [d.text for d in big[:256]]
        started = time.perf_counter()
        await embedder.embed(texts, kind="document")
        embed_rate = len(texts) / (time.perf_counter() - started)
        print(
            f"   of which embedding alone: {embed_rate:.0f} chunks/s; keyword-only "
            f"collections skip it"
        )
        plain = await open_context(f"sqlite:///{tmp}/keyword.db", embedder=None)
        started = time.perf_counter()
        kw = await plain.add("big", big)
        print(f"   keyword-only ingest: {kw.chunks / (time.perf_counter() - started):.0f} chunks/s")
        await plain.close()
        print(
            f"   SQLite size: {size / result.chunks * 1000 / 1e6:.2f} MB per 1,000 chunks "
            f"(each: a 768-byte float16 vector, ~300 bytes of text, its FTS5 postings)"
        )

        rng = random.Random(11)
        # Queries of 2 to 6 words from the vocabulary's middle band: words a person asks with.
        band = words[20:600]
        queries = [" ".join(rng.choice(band) for _ in range(rng.randint(2, 6))) for _ in range(300)]
        await store.search(queries[0], collection="big")  # loads the vectors once
        timings: dict[str, list[float]] = {"hybrid": [], "keyword": [], "dense": [], "embed": []}
        # CPU time too: searches run on one thread, so on a busy machine their CPU time
        # is what their wall time would be on a quiet one.
        cpu_times: dict[str, list[float]] = {key: [] for key in timings}
        for q in queries:
            for mode in ("hybrid", "keyword", "dense"):
                started, cpu = time.perf_counter(), time.process_time()
                await store.search(q, collection="big", k=5, mode=mode)  # type: ignore[arg-type]
                timings[mode].append(time.perf_counter() - started)
                cpu_times[mode].append(time.process_time() - cpu)
            started, cpu = time.perf_counter(), time.process_time()
            await embedder.embed([q], kind="query")
            timings["embed"].append(time.perf_counter() - started)
            cpu_times["embed"].append(time.process_time() - cpu)
        print(f"\n3. search over {result.chunks} chunks, {len(queries)} queries, k=5:")
        for key, label in (
            ("hybrid", "hybrid search"),
            ("keyword", "BM25 only (FTS5)"),
            ("dense", "dense only (embed + score)"),
            ("embed", "embedding the query alone"),
        ):
            ms = [t * 1e3 for t in timings[key]]
            cpu_ms = [t * 1e3 for t in cpu_times[key]]
            print(
                f"   {label:28s} p50 {percentile(ms, 0.5):6.2f} ms   p95 {percentile(ms, 0.95):6.2f} ms"
                f"   (CPU p50 {percentile(cpu_ms, 0.5):6.2f} ms, p95 {percentile(cpu_ms, 0.95):6.2f} ms)"
            )
        for label, source in (("wall", timings), ("CPU", cpu_times)):
            hybrid_ms = [t * 1e3 for t in source["hybrid"]]
            embed_ms = [t * 1e3 for t in source["embed"]]
            print(
                f"   hybrid without the query embedding ({label}): p50 "
                f"~{percentile(hybrid_ms, 0.5) - percentile(embed_ms, 0.5):.2f} ms"
            )

        repeats = 50 if args.quick else 200
        read, direct, none = await read_overhead(url, store, repeats)
        print(
            f"\n4. a step with a recorded ctx.search (keyword): {read:.0f} µs; the same search "
            f"called directly: {direct:.0f} µs; no read: {none:.0f} µs (whole runs)"
        )
        print(
            f"   the recording adds {read - direct:.0f} µs per read (pin, ContextRead with "
            f"5 passages); medians of {repeats} interleaved runs each"
        )
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
