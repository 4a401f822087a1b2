"""Reads from inside a run: `ctx.search` and `ctx.examples`, pinned, recorded, replayable.

Each run reads a collection at one revision: the one current when the run started
(`RunStarted.at`), pinned at its first read of that collection and kept for the rest of
the run. The pins and what each attempt read are run state (`RunState.context_pins`,
`RunState.reads`, folded from the run's `ContextRead` events), so they come back on resume
like everything else. So a run sees one consistent snapshot, whatever is added meanwhile
and however long it waits for a human.

Every read is a `ContextRead` event with the passages' text; a replay answers the same
read from it without opening a store or loading an embedder, and a changed query is a
`ReplayDivergence` like a changed prompt.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from seamline.context.documents import Example, Passage, Where, inputs_text
from seamline.context.provenance import Reads
from seamline.events import ContextRead
from seamline.exceptions import ConfigError

if TYPE_CHECKING:
    from seamline.context.store import ContextStore, Mode
    from seamline.runtime.executor import Execution
    from seamline.steps import StepContext

_PASSAGES: TypeAdapter[list[Passage]] = TypeAdapter(list[Passage])

# Stores opened by URL for runs, shared by every run in the process (SQLite: one
# connection each; PostgreSQL connections belong to an event loop: keyed by loop too).
_shared: dict[tuple[str, int], ContextStore] = {}


def examples_collection(pipeline: str, step: str) -> str:
    """The collection approved artifacts of a step are written to."""
    return f"examples/{pipeline}/{step}"


class RunContext:
    """One run's context store, opened on its first read."""

    __slots__ = ("_source", "started_at", "store")

    def __init__(self, source: Any, started_at: float) -> None:
        self._source = source
        self.store: ContextStore | None = None
        self.started_at = started_at

    async def opened(self, execution: Execution) -> ContextStore:
        if self.store is None:
            self.store = await _open_for(execution, self._source)
        return self.store


def run_context(execution: Execution) -> RunContext:
    """The run's reading state, created on its first read."""
    current = execution.context
    if isinstance(current, RunContext):
        return current
    state = RunContext(current, _started_at(execution))
    execution.context = state
    return state


def attempt_reads(execution: Execution, step: str, index: int | None, attempt: int) -> Reads:
    """What one attempt read (from the run's state), for the gate checks that ask for it."""
    raw = execution.state.reads.get((step, index, attempt)) if execution.state.reads else None
    return Reads(_PASSAGES.validate_python(raw)) if raw else Reads()


def _started_at(execution: Execution) -> float:
    started = execution.started_at  # RunStarted.at, from the run's state
    return started if started is not None else time.time()


async def _open_for(execution: Execution, source: Any) -> ContextStore:
    from seamline.context import ContextStore

    if isinstance(source, ContextStore):
        return source
    url = source
    if url is None:
        # The URL the run store was opened with (a PostgreSQL store's own `url` hides
        # its password), else the store's.
        given = execution.opened_with
        url = context_url_for(given or (getattr(execution, "store", None) and execution.store.url))
        if url is None:
            raise ConfigError(
                "ctx.search needs a context store: run with a SQLite or PostgreSQL store "
                "(its file holds the context too), or pass context='sqlite:///context.db' "
                "(or a ContextStore) to sl.Pipeline(...) or pipe.run(...)"
            )
    if not isinstance(url, str):
        raise ConfigError(f"context={url!r}: give a store URL or a ContextStore")
    return await shared_store(url)


async def shared_store(url: str) -> ContextStore:
    """The process's context store for `url`, opened on first use (with the local
    embedder when it is installed, else keyword-only for new collections)."""
    import asyncio

    from seamline.context import open_context
    from seamline.context.embedders import local_available

    key = (url, id(asyncio.get_running_loop()) if url.startswith("postgres") else 0)
    store = _shared.get(key)
    if store is None:
        store = await open_context(url, embedder="local" if local_available() else None)
        _shared[key] = store
    return store


async def close_shared() -> None:
    """Close the stores `shared_store` opened (e.g. at the end of a test or a worker)."""
    while _shared:
        _, store = _shared.popitem()
        await store.close()


def context_url_for(run_store_url: object) -> str | None:
    """The context store that goes with a run store: its own file or database."""
    if isinstance(run_store_url, str) and run_store_url.startswith(
        ("sqlite:///", "postgresql://", "postgres://")
    ):
        return run_store_url
    return None


async def search(
    execution: Execution,
    ctx: StepContext[Any],
    query: str,
    collection: str,
    k: int,
    where: Where | None,
    mode: Mode,
) -> list[Passage]:
    request = {
        "collection": collection,
        "query": query,
        "k": k,
        "where": _plain(where),
        "mode": mode,
    }
    return await _read(execution, ctx, request, "search")


async def examples(
    execution: Execution, ctx: StepContext[Any], k: int, query: str | None
) -> list[Example]:
    step = execution.plan.steps[ctx.step]
    if query is None:
        inputs = {p.name: execution.artifacts.get(p.name) for p in step.params}
        if step.map is not None and ctx.index is not None:
            items = execution.artifacts.get(step.map) or []
            inputs[step.map] = items[ctx.index] if ctx.index < len(items) else None
        query = inputs_text(inputs)
    collection = examples_collection(execution.plan.pipeline, ctx.step)
    request = {"collection": collection, "query": query, "k": k, "where": None, "mode": "hybrid"}
    passages = await _read(execution, ctx, request, "examples")
    out = []
    for p in passages:
        meta = p.metadata
        out.append(
            Example(
                step=ctx.step,
                inputs=meta.get("inputs", {}),
                artifact=meta.get("artifact"),
                decision=meta.get("decision", "approve"),
                reviewer=meta.get("reviewer"),
                run_id=meta.get("run_id", ""),
                approval_id=meta.get("approval_id", p.document),
                taught_by=meta.get("taught_by"),
                score=p.score,
            )
        )
    return out


async def _read(
    execution: Execution, ctx: StepContext[Any], request: dict[str, Any], kind: str
) -> list[Passage]:
    state = run_context(execution)
    started = time.perf_counter()
    collection = request["collection"]
    if execution.recording is not None:  # a replay: the log answers
        recorded = execution.recording.context(
            ctx.step, ctx.index, ctx.attempt, {**request, "kind": kind}
        )
        revision, passages = recorded.revision, _PASSAGES.validate_python(recorded.passages)
    else:
        store = await state.opened(execution)
        pins = execution.state.context_pins
        pinned = pins.get(collection) if pins else None
        if pinned is None:  # the first read: the revision current when the run started
            pinned = await store.revision(collection, at=state.started_at)
        revision = pinned
        if revision == 0 and kind == "examples":
            passages = []  # no approved example yet (as of the run's start)
        elif revision == 0 and not await store.exists(collection):
            raise ConfigError(
                f"step {ctx.step!r} searched collection {collection!r}, which does not exist; "
                f"add documents with `seamline context add PATH --collection {collection}` "
                "(`seamline context list` shows the collections)"
            )
        else:
            passages = await store.search(
                request["query"],
                collection=collection,
                k=request["k"],
                where=request["where"],
                revision=revision,
                mode=request["mode"],
            )
    execution.record(  # its state keeps the pin and the passages (runtime/state.py)
        ContextRead(
            seq=execution.next_seq(),
            step=ctx.step,
            attempt=ctx.attempt,
            index=ctx.index,
            collection=collection,
            query=request["query"],
            k=request["k"],
            where=request["where"],
            mode=request["mode"],
            kind=kind,
            revision=revision,
            passages=[p.model_dump() for p in passages],
            seconds=time.perf_counter() - started,
        )
    )
    return passages


def _plain(where: Where | None) -> dict[str, Any] | None:
    if not where:
        return None
    if not isinstance(where, Mapping):
        raise ConfigError(f"where={where!r}: give a mapping of metadata field to value(s)")
    return {
        k: list(v) if isinstance(v, list | tuple | set | frozenset) else v for k, v in where.items()
    }
