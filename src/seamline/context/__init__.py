"""The context layer: shared, versioned documents that steps search, with provenance.

```python
import seamline as sl

store = await sl.open_context("sqlite:///.seamline/runs.db")
await store.add("style-guide", sl.load_paths(["style_guide.md"]))

@pipe.step
async def draft(brief: Brief, ctx: sl.StepContext) -> Draft:
    rules = await ctx.search("banned words", collection="style-guide", k=3)
    ...
```

Every `ctx.search` and `ctx.examples` is a `ContextRead` event in the run log: the query,
the collection's revision, and every passage returned (document, version, text, score).
So a replay answers reads from the log, offline; `seamline show RUN` lists what each
step read; and a gate check can take the attempt's reads (a parameter annotated
`sl.Reads`) to test that an artifact is grounded in them.
"""

from __future__ import annotations

from typing import Any

from seamline.context.documents import Document, Example, Passage, load_paths, make_document
from seamline.context.embedders import Embedder, LocalEmbedder
from seamline.context.ranking import VectorIndex
from seamline.context.records import AddResult, CollectionInfo, VersionInfo
from seamline.context.static_embedder import StaticEmbedder
from seamline.context.store import ContextStore
from seamline.exceptions import ConfigError

__all__ = [
    "AddResult",
    "CollectionInfo",
    "ContextStore",
    "Document",
    "Embedder",
    "Example",
    "LocalEmbedder",
    "Passage",
    "StaticEmbedder",
    "VectorIndex",
    "VersionInfo",
    "load_paths",
    "make_document",
    "open_context",
]

_memory: dict[str, ContextStore] = {}


async def open_context(url: str | ContextStore, **options: Any) -> ContextStore:
    """Open the context store at `url` (or return a store as is).

    `sqlite:///path.db` (the runs' file works: the context has tables of its own),
    `postgresql://...`, or `memory://name` (in this process only, one store per name).

    Args:
        options: `ContextStore`'s: embedder ("local"/"minilm", "static", an `Embedder`, or None for keyword
            search only), vector_index, fusion, alpha, candidates.
    """
    if isinstance(url, ContextStore):
        return url
    if not isinstance(url, str):
        raise ConfigError(f"context store {url!r}: give a URL or a ContextStore")
    if url.startswith("memory://"):
        from seamline.context.sqlite import SQLiteContextStore

        if url == "memory://":
            return await SQLiteContextStore.open_memory(url, **options)
        store = _memory.get(url)
        if store is None:
            store = _memory[url] = await SQLiteContextStore.open_memory(url, **options)
        return store
    if url.startswith("sqlite:///"):
        from seamline.context.sqlite import SQLiteContextStore

        return await SQLiteContextStore.open(url, **options)
    if url.startswith(("postgresql://", "postgres://")):
        from seamline.context.postgres import PostgresContextStore

        return await PostgresContextStore.open(url, **options)
    raise ConfigError(
        f"unknown context store URL {url!r}: use sqlite:///path.db, postgresql://... "
        "or memory://name"
    )
