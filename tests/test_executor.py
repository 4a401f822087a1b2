"""The executor: data-flow scheduling, concurrency, map=, when=, step policies,
failures that keep what was produced, and cancellation."""

from __future__ import annotations

import asyncio
import inspect
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import seamline as sl
from seamline.events import RunFinished, StepErrored, StepFinished, StepSkipped, StepStarted


class Doc(BaseModel):
    text: str


class Part(BaseModel):
    name: str
    started: float = 0.0
    ended: float = 0.0


class Item(BaseModel):
    n: int


class Total(BaseModel):
    ns: list[int]


async def test_independent_steps_overlap_in_time() -> None:
    pipe = sl.Pipeline("overlap", inputs={"doc": Doc})

    async def slow(name: str) -> Part:
        started = time.perf_counter()
        await asyncio.sleep(0.2)
        return Part(name=name, started=started, ended=time.perf_counter())

    @pipe.step
    async def left(doc: Doc) -> Part:
        return await slow("left")

    @pipe.step
    async def right(doc: Doc) -> Part:
        return await slow("right")

    @pipe.step
    async def both(left: Part, right: Part) -> Doc:
        return Doc(text=f"{left.name}+{right.name}")

    result = await pipe.run({"doc": Doc(text="x")})
    left_part, right_part = result["left"], result["right"]
    # Each started before the other ended: they ran at the same time.
    assert left_part.started < right_part.ended and right_part.started < left_part.ended
    assert result["both"].text == "left+right"


async def test_map_keeps_input_order_and_respects_the_concurrency_limit() -> None:
    pipe = sl.Pipeline("fan", inputs={"items": list[Item]})
    in_flight = 0
    peak = 0

    @pipe.step(map="items", concurrency=3)
    async def double(items: Item) -> Item:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (10 - items.n))  # later items finish first
        in_flight -= 1
        return Item(n=items.n * 2)

    @pipe.step
    async def total(double: list[Item]) -> Total:
        return Total(ns=[i.n for i in double])

    result = await pipe.run({"items": [Item(n=i) for i in range(10)]})
    assert result["total"].ns == [i * 2 for i in range(10)]
    assert peak == 3
    finished = [
        e.index for e in result.events if isinstance(e, StepFinished) and e.step == "double"
    ]
    assert sorted(finished) == list(range(10)) and finished != list(range(10))  # ran out of order


async def test_map_over_an_empty_list_collects_an_empty_list() -> None:
    pipe = sl.Pipeline("fan", inputs={"items": list[Item]})

    @pipe.step(map="items")
    async def double(items: Item) -> Item:
        return Item(n=items.n * 2)

    result = await pipe.run({"items": []})
    assert result["double"] == []


async def test_when_false_skips_the_step_and_readers_get_none() -> None:
    pipe = sl.Pipeline("cond", inputs={"doc": Doc})

    @pipe.step(when=lambda doc: "fire" in doc.text)
    async def vfx(doc: Doc) -> Part:
        return Part(name="vfx")

    @pipe.step
    async def edit(doc: Doc, vfx: Part | None) -> Doc:
        return Doc(text="with vfx" if vfx else "plain")

    calm = await pipe.run({"doc": Doc(text="a calm lake")})
    assert calm["vfx"] is None and calm["edit"].text == "plain"
    assert any(isinstance(e, StepSkipped) and e.step == "vfx" for e in calm.events)
    fiery = await pipe.run({"doc": Doc(text="fire everywhere")})
    assert fiery["edit"].text == "with vfx"


async def test_a_raising_step_is_retried_with_backoff_then_succeeds() -> None:
    pipe = sl.Pipeline("flaky", inputs={"doc": Doc})
    calls: list[float] = []

    @pipe.step(attempts=3, backoff=0.05)
    async def flaky(doc: Doc) -> Doc:
        calls.append(time.perf_counter())
        if len(calls) < 3:
            raise ConnectionError("upstream hiccup")
        return doc

    result = await pipe.run({"doc": Doc(text="x")})
    assert result.ok and len(calls) == 3
    errors = [e for e in result.events if isinstance(e, StepErrored)]
    assert [(e.attempt, e.kind) for e in errors] == [(1, "exception"), (2, "exception")]
    assert "ConnectionError: upstream hiccup" in errors[0].error
    # Backoff doubles, with jitter in [0.5, 1.0] x: waits of >= 0.025 s then >= 0.05 s.
    assert calls[1] - calls[0] >= 0.025 and calls[2] - calls[1] >= 0.05


async def test_step_failed_carries_step_attempt_cause_and_keeps_earlier_artifacts() -> None:
    pipe = sl.Pipeline("breaks", inputs={"doc": Doc})

    @pipe.step
    async def first(doc: Doc) -> Part:
        return Part(name="first")

    @pipe.step(attempts=2, backoff=0)
    async def second(first: Part) -> Part:
        raise ValueError("bad data")

    @pipe.step
    async def third(second: Part) -> Part:
        return second

    with pytest.raises(sl.StepFailed) as err:
        await pipe.run({"doc": Doc(text="x")})
    failure = err.value
    assert failure.step == "second" and failure.attempt == 2
    assert isinstance(failure.cause, ValueError)
    assert str(failure) == "step 'second' failed on attempt 2: ValueError: bad data"
    result = failure.result  # type: ignore[attr-defined]
    assert result.status is sl.RunStatus.FAILED
    assert result.artifacts == {"first": Part(name="first")}
    assert (
        isinstance(result.events[-1], RunFinished) and result.events[-1].error_type == "StepFailed"
    )


async def test_failure_can_be_returned_instead_of_raised() -> None:
    pipe = sl.Pipeline("breaks", inputs={"doc": Doc})

    @pipe.step
    async def boom(doc: Doc) -> Doc:
        raise RuntimeError("no")

    result = await pipe.run({"doc": Doc(text="x")}, raise_on_failure=False)
    assert result.status is sl.RunStatus.FAILED and isinstance(result.error, sl.StepFailed)


async def test_wrong_return_type_is_a_failed_step_naming_both_types() -> None:
    pipe = sl.Pipeline("types", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc) -> Part:
        return {"name": "not a model"}  # type: ignore[return-value]

    with pytest.raises(sl.StepFailed, match=r"returned dict, but its annotation says .*Part"):
        await pipe.run({"doc": Doc(text="x")})


async def test_timeout_fails_the_attempt() -> None:
    pipe = sl.Pipeline("slow", inputs={"doc": Doc})

    @pipe.step(timeout=0.05)
    async def hangs(doc: Doc) -> Doc:
        await asyncio.sleep(5)
        return doc

    with pytest.raises(sl.StepFailed, match=r"timed out after 0\.05 s") as err:
        await pipe.run({"doc": Doc(text="x")})
    kinds = [e.kind for e in err.value.result.events if isinstance(e, StepErrored)]  # type: ignore[attr-defined]
    assert kinds == ["timeout"]


async def test_cancelling_a_run_cancels_in_flight_steps_cleanly() -> None:
    pipe = sl.Pipeline("cancel", inputs={"doc": Doc})
    started = asyncio.Event()
    cleaned_up: list[str] = []

    async def long(name: str) -> Part:
        started.set()
        try:
            await asyncio.sleep(10)
        finally:
            cleaned_up.append(name)
        return Part(name=name)

    @pipe.step
    async def a(doc: Doc) -> Part:
        return await long("a")

    @pipe.step
    async def b(doc: Doc) -> Part:
        return await long("b")

    store = sl.open_store("memory://cancel-test")
    store = await store
    task = asyncio.create_task(pipe.run({"doc": Doc(text="x")}, store=store, run_id="r1"))
    await started.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cleaned_up) == ["a", "b"]
    (summary,) = await store.runs()
    assert summary.status is sl.RunStatus.CANCELLED


async def test_context_gives_attempt_key_feedback_and_deps_and_sync_steps_work() -> None:
    pipe = sl.Pipeline("ctx", inputs={"doc": Doc})
    seen: list[tuple[str, int, str, object]] = []

    @pipe.step
    def upper(doc: Doc) -> Doc:  # a plain function is a step too
        return Doc(text=doc.text.upper())

    @pipe.step
    async def look(upper: Doc, ctx: sl.StepContext[dict[str, int]]) -> Doc:
        seen.append((ctx.step, ctx.attempt, ctx.idempotency_key, ctx.deps))
        return upper

    result = await pipe.run({"doc": Doc(text="x")}, run_id="run-1", deps={"k": 1})
    assert result["look"].text == "X"
    assert seen == [("look", 1, "run-1/look/1", {"k": 1})]


async def test_retry_signal_without_a_gate_uses_the_step_attempts() -> None:
    pipe = sl.Pipeline("signal", inputs={"doc": Doc})
    tries = 0

    @pipe.step(attempts=2, backoff=0)
    async def picky(doc: Doc) -> Doc:
        nonlocal tries
        tries += 1
        if tries == 1:
            raise sl.Retry("not good enough yet")
        return doc

    result = await pipe.run({"doc": Doc(text="x")})
    assert result.ok and tries == 2


# -- property: random DAGs run every step exactly once, after its inputs ---------------


class Node(BaseModel):
    seen: list[str]


def _node_step(name: str, reads: list[str], log: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    async def fn(*args: Node) -> Node:
        log.append(("start", name))
        await asyncio.sleep(0)
        seen = sorted({s for a in args for s in a.seen} | {name})
        log.append(("end", name))
        return Node(seen=seen)

    fn.__name__ = name
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(r, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Node)
            for r in reads
        ]
    )
    fn.__annotations__ = {**{r: Node for r in reads}, "return": Node}
    return fn


@st.composite
def dags(draw: st.DrawFn) -> list[list[int]]:
    n = draw(st.integers(1, 12))
    return [sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(dags())
def test_random_dags_run_every_step_once_after_its_inputs(edges: list[list[int]]) -> None:
    log: list[tuple[str, str]] = []
    pipe = sl.Pipeline("dag", inputs={"root": Node})
    names = [f"s{i}" for i in range(len(edges))]
    for i, ups in enumerate(edges):
        reads = [names[u] for u in ups] or ["root"]
        pipe.step(_node_step(names[i], reads, log))

    result = pipe.run_sync({"root": Node(seen=[])})

    starts = [n for kind, n in log if kind == "start"]
    assert sorted(starts) == sorted(names)  # every step exactly once
    ended_at = {n: i for i, (kind, n) in enumerate(log) if kind == "end"}
    started_at = {n: i for i, (kind, n) in enumerate(log) if kind == "start"}
    for i, ups in enumerate(edges):
        for u in ups:
            assert ended_at[names[u]] < started_at[names[i]]
    # The data flowed along the edges: each artifact saw exactly its ancestors.
    for i in range(len(edges)):
        ancestors, stack = set(), list(edges[i])
        while stack:
            u = stack.pop()
            if u not in ancestors:
                ancestors.add(u)
                stack.extend(edges[u])
        assert result[names[i]].seen == sorted({names[a] for a in ancestors} | {names[i]})
    assert sum(isinstance(e, StepStarted) for e in result.events) == len(names)


async def test_a_timeout_error_the_step_raises_itself_is_an_ordinary_failure() -> None:
    pipe = sl.Pipeline("http", inputs={"doc": Doc})

    @pipe.step(attempts=2, backoff=0)
    async def fetch(doc: Doc) -> Doc:
        raise TimeoutError("the upstream API timed out")

    with pytest.raises(sl.StepFailed, match="TimeoutError: the upstream API timed out") as err:
        await pipe.run({"doc": Doc(text="x")})
    errors = [e for e in err.value.result.events if isinstance(e, StepErrored)]  # type: ignore[attr-defined]
    assert [(e.attempt, e.kind) for e in errors] == [(1, "exception"), (2, "exception")]


class SpecialDoc(Doc):
    pass


async def test_an_instance_of_a_subclass_of_the_artifact_type_is_accepted() -> None:
    pipe = sl.Pipeline("subclass", inputs={"doc": Doc})

    @pipe.step
    async def refine(doc: Doc) -> Doc:
        return SpecialDoc(text=doc.text)

    result = await pipe.run({"doc": Doc(text="x")})
    assert type(result["refine"]) is SpecialDoc
    assert [type(e).__name__ for e in result.events] == [
        "RunStarted",
        "StepStarted",
        "StepFinished",
        "RunFinished",
    ]


async def test_the_log_in_the_result_is_the_log_the_store_keeps() -> None:
    # Attempts are kept compactly while the run goes (runtime/log.py): however they are
    # read back, they are the same events, in seq order.
    pipe = sl.Pipeline("logged", inputs={"items": list[Item]})
    failures = iter([ValueError("once")])

    @pipe.step(attempts=2, backoff=0)
    async def flaky(items: list[Item]) -> Total:
        for failure in failures:
            raise failure
        return Total(ns=[i.n for i in items])

    @pipe.step(map="items")
    async def each(items: Item) -> Item:
        return Item(n=items.n * 2)

    @pipe.step
    async def total(flaky: Total, each: list[Item]) -> Total:
        return Total(ns=flaky.ns + [i.n for i in each])

    inputs = {"items": [Item(n=1), Item(n=2)]}
    result = await pipe.run(inputs)
    assert result["total"] == Total(ns=[1, 2, 2, 4])
    events = result.events
    assert [e.seq for e in events] == list(range(len(events)))
    attempts = [
        (type(e).__name__, e.step, e.attempt, e.index)
        for e in events
        if isinstance(e, StepStarted | StepFinished | StepErrored)
    ]
    assert sorted(attempts, key=str) == sorted(
        [
            ("StepStarted", "flaky", 1, None),
            ("StepErrored", "flaky", 1, None),
            ("StepStarted", "flaky", 2, None),
            ("StepFinished", "flaky", 2, None),
            ("StepStarted", "each", 1, 0),
            ("StepFinished", "each", 1, 0),
            ("StepStarted", "each", 1, 1),
            ("StepFinished", "each", 1, 1),
            ("StepStarted", "total", 1, None),
            ("StepFinished", "total", 1, None),
        ],
        key=str,
    )
    assert all(e.at > 0 for e in events)

    failures = iter([ValueError("once")])
    stored = await pipe.run(inputs, store="memory://logged", run_id="stored-run")
    store = await sl.open_store("memory://logged")
    kept = await store.load("stored-run")
    assert [(type(e).__name__, e.seq) for e in kept] == [
        (type(e).__name__, e.seq) for e in stored.events
    ]
    assert sorted(type(e).__name__ for e in kept) == sorted(type(e).__name__ for e in events)
