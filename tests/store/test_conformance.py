"""The RunStore contract (`seamline.store.base`), run against every store.

Every test here runs on memory://, SQLite and PostgreSQL through the `store` fixture
(conftest.py); `connect` opens another handle on the same store, like another process.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_runs import Claim, Connect, as_json, every_event, six_step_run

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    GateEvaluated,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepFinished,
    StepStarted,
)
from seamline.exceptions import ApprovalError, StoreError
from seamline.store import MemoryStore, RunStore

T0 = 1_760_000_000.0


def started(seq: int = 0, at: float = T0, pipeline: str = "claims") -> RunStarted:
    return RunStarted(seq=seq, at=at, pipeline=pipeline, inputs={"doc": {"text": "x"}})


def step(seq: int, name: str = "claim", at: float = T0) -> StepStarted:
    return StepStarted(seq=seq, at=at, step=name, attempt=1)


def requested(seq: int, approval_id: str, at: float = T0) -> ApprovalRequested:
    return ApprovalRequested(
        seq=seq, at=at, approval_id=approval_id, step="decision", artifact={"ok": True}
    )


def decided(seq: int, approval_id: str, at: float = T0 + 60) -> ApprovalDecided:
    return ApprovalDecided(seq=seq, at=at, approval_id=approval_id, decision="approve")


# -- the log ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 100])
async def test_every_event_kind_round_trips(store: RunStore, backend: str, batch_size: int) -> None:
    events = every_event()
    for i in range(0, len(events), batch_size):
        await store.append("run-1", events[i : i + batch_size])

    loaded = await store.load("run-1")

    assert as_json(loaded) == as_json(events)
    assert [type(e) for e in loaded] == [type(e) for e in events]
    assert [e.at for e in loaded] == [e.at for e in events]  # whole ms: exactly everywhere
    gate = next(e for e in loaded if isinstance(e, GateEvaluated))
    assert gate.verdict == next(e for e in events if isinstance(e, GateEvaluated)).verdict
    assert gate.verdict.reasons == ["policy id is in the document: P-77 absent"]
    finished = next(e for e in loaded if isinstance(e, StepFinished))
    if backend == "memory":
        assert isinstance(finished.artifact, Claim)
    else:
        # Durable stores hand artifacts back as raw JSON; the executor revalidates them.
        assert finished.artifact == Claim.model_validate(finished.artifact).model_dump()
        assert isinstance(finished.artifact, dict)


async def test_times_come_back_exactly_or_to_the_millisecond(store: RunStore, backend: str) -> None:
    """SQLite keeps event times to the millisecond (`round(at * 1000) / 1000`); the
    other stores keep them exactly. The run index keeps them exactly everywhere."""
    t0 = 1_760_000_000.123456
    events: list[Event] = [started(at=t0), step(1, at=t0 + 0.0004), step(2, at=t0 + 7.0006)]
    await store.append("run-1", events[:2])
    await store.append("run-1", events[2:])

    loaded = await store.load("run-1")

    if backend == "sqlite":
        assert [e.at for e in loaded] == [round(e.at * 1000) / 1000 for e in events]
    else:
        assert [e.at for e in loaded] == [e.at for e in events]
    (summary,) = await store.runs()
    assert (summary.created_at, summary.updated_at) == (t0, t0)


async def test_load_of_an_unknown_run_raises(store: RunStore) -> None:
    with pytest.raises(StoreError, match="no run 'nope'"):
        await store.load("nope")


async def test_empty_append_is_a_no_op(store: RunStore) -> None:
    await store.append("run-1", [])
    with pytest.raises(StoreError):
        await store.load("run-1")


async def test_seq_conflict_raises_and_writes_nothing(connect: Connect) -> None:
    first, second = await connect(), await connect()
    await first.append("run-1", [started(), step(1)])
    await second.append("run-1", [step(2, "policy")])

    for stale in ([step(2, "other"), step(3)], [step(1)], [step(7)]):
        with pytest.raises(StoreError, match="expected seq 3"):
            await first.append("run-1", stale)

    assert as_json(await first.load("run-1")) == as_json([started(), step(1), step(2, "policy")])
    await first.append("run-1", [step(3)])  # the right seq still works


async def test_two_starts_of_one_run_conflict(connect: Connect) -> None:
    first, second = await connect(), await connect()
    await first.append("run-1", [started(pipeline="a")])
    with pytest.raises(StoreError, match="run id 'run-1' is already taken"):
        await second.append("run-1", [started(pipeline="b"), step(1)])
    assert [s.pipeline for s in await first.runs()] == ["a"]
    assert len(await second.load("run-1")) == 1


async def test_a_log_starts_with_run_started(store: RunStore) -> None:
    with pytest.raises(StoreError, match="seq"):
        await store.append("run-1", [step(1)])
    with pytest.raises(StoreError, match="RunStarted"):
        await store.append("run-1", [step(0)])
    await store.append("run-1", [started()])
    with pytest.raises(StoreError, match="RunStarted"):
        await store.append("run-1", [started(seq=1)])
    with pytest.raises(StoreError):
        await store.load("run-2")
    assert len(await store.load("run-1")) == 1
    assert len(await store.runs()) == 1


async def test_a_batch_needs_consecutive_seqs(store: RunStore) -> None:
    await store.append("run-1", [started()])
    with pytest.raises(StoreError, match="consecutive"):
        await store.append("run-1", [step(1), step(3)])
    assert len(await store.load("run-1")) == 1


async def test_concurrent_runs_from_asyncio_tasks(store: RunStore) -> None:
    async def write(n: int) -> None:
        for batch in six_step_run(n):
            await store.append(f"run-{n}", batch)
            await asyncio.sleep(0)  # let the other runs interleave

    await asyncio.gather(*(write(n) for n in range(40)))

    for n in range(40):
        expected = [e for batch in six_step_run(n) for e in batch]
        assert as_json(await store.load(f"run-{n}")) == as_json(expected)
    assert len(await store.runs(status=RunStatus.SUCCEEDED)) == 40


async def test_racing_appends_to_one_run_write_one_batch(connect: Connect) -> None:
    handles = [await connect() for _ in range(4)]
    await handles[0].append("run-1", [started()])

    results = await asyncio.gather(
        *(h.append("run-1", [step(1, f"writer-{i}"), step(2)]) for i, h in enumerate(handles)),
        return_exceptions=True,
    )

    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, StoreError) for r in results if r is not None)
    assert len(await handles[1].load("run-1")) == 3


# -- the run index ----------------------------------------------------------------------


async def test_run_status_follows_the_log(store: RunStore) -> None:
    await store.append("run-1", [started(at=T0)])
    (summary,) = await store.runs()
    assert (summary.run_id, summary.pipeline, summary.status) == ("run-1", "claims", "running")
    assert summary.created_at == summary.updated_at == T0
    assert summary.error is None

    await store.append("run-1", [step(1), RunFinished(seq=2, at=T0 + 5, status=RunStatus.WAITING)])
    (summary,) = await store.runs()
    assert (summary.status, summary.updated_at) == (RunStatus.WAITING, T0 + 5)

    await store.append("run-1", [RunResumed(seq=3, at=T0 + 9, pid=1)])
    (summary,) = await store.runs()
    assert (summary.status, summary.updated_at) == (RunStatus.RUNNING, T0 + 9)

    await store.append(
        "run-1", [RunFinished(seq=4, at=T0 + 12, status=RunStatus.FAILED, error="boom")]
    )
    (summary,) = await store.runs()
    assert (summary.status, summary.error, summary.created_at, summary.updated_at) == (
        RunStatus.FAILED,
        "boom",
        T0,
        T0 + 12,
    )

    await store.append("run-1", [RunResumed(seq=5, at=T0 + 20, pid=2)])
    (summary,) = await store.runs()
    assert (summary.status, summary.error) == (RunStatus.RUNNING, None)


async def test_a_run_started_and_finished_in_one_batch(store: RunStore) -> None:
    await store.append(
        "run-1", [started(), RunFinished(seq=1, at=T0 + 1, status=RunStatus.CANCELLED)]
    )
    (summary,) = await store.runs()
    assert (summary.status, summary.created_at, summary.updated_at) == (
        RunStatus.CANCELLED,
        T0,
        T0 + 1,
    )


async def test_runs_newest_first_with_filters_and_limit(store: RunStore) -> None:
    statuses = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.WAITING]
    for n in range(9):
        pipeline = "claims" if n % 2 == 0 else "film"
        status = statuses[n % 3]
        await store.append(
            f"run-{n}",
            [
                started(at=T0 + n, pipeline=pipeline),
                RunFinished(seq=1, at=T0 + 100 - n, status=status),
            ],
        )

    def ids(summaries: list) -> list[str]:  # type: ignore[type-arg]
        return [s.run_id for s in summaries]

    assert ids(await store.runs()) == [f"run-{n}" for n in range(8, -1, -1)]
    assert ids(await store.runs(limit=3)) == ["run-8", "run-7", "run-6"]
    assert ids(await store.runs(limit=0)) == []
    assert ids(await store.runs(pipeline="film")) == ["run-7", "run-5", "run-3", "run-1"]
    assert ids(await store.runs(status=RunStatus.WAITING)) == ["run-8", "run-5", "run-2"]
    assert ids(await store.runs(status=RunStatus.WAITING, pipeline="claims")) == ["run-8", "run-2"]
    assert ids(await store.runs(status=RunStatus.FAILED, pipeline="film", limit=1)) == ["run-7"]
    assert await store.runs(pipeline="nope") == []
    assert all(isinstance(s.status, RunStatus) for s in await store.runs())


async def test_runs_started_at_the_same_instant_list_the_later_first(store: RunStore) -> None:
    for n in range(3):
        await store.append(f"run-{n}", [started(at=T0)])
    assert [s.run_id for s in await store.runs()] == ["run-2", "run-1", "run-0"]


# -- approvals --------------------------------------------------------------------------


async def test_approval_open_then_decided(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1", at=T0 + 2)])

    (pending,) = await store.pending_approvals()
    assert pending.approval_id == "a-1"
    assert pending.run_id == "run-1"
    assert pending.pipeline == "claims"
    assert (pending.step, pending.index, pending.reason) == ("decision", None, "approval")
    assert (pending.requested_at, pending.timeout_at) == (T0 + 2, None)

    await store.append("run-1", [decided(2, "a-1")])
    assert await store.pending_approvals() == []
    assert isinstance((await store.load("run-1"))[-1], ApprovalDecided)


async def test_approval_fields_are_indexed(store: RunStore) -> None:
    event = ApprovalRequested(
        seq=1,
        at=T0,
        approval_id="a-1",
        step="scene",
        artifact=[1, 2],
        reason="escalation",
        index=4,
        timeout_at=T0 + 3600,
    )
    await store.append("run-1", [started(), event])
    (pending,) = await store.pending_approvals(run_id="run-1")
    assert (pending.step, pending.index, pending.reason, pending.timeout_at) == (
        "scene",
        4,
        "escalation",
        T0 + 3600,
    )


async def test_deciding_twice_raises_and_changes_nothing(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1"), decided(2, "a-1")])
    with pytest.raises(ApprovalError, match="already decided"):
        await store.append("run-1", [step(3), decided(4, "a-1")])
    assert len(await store.load("run-1")) == 3
    await store.append("run-1", [step(3)])  # the refused batch left seq 3 free


async def test_deciding_twice_in_one_batch_raises(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1")])
    with pytest.raises(ApprovalError, match="already decided"):
        await store.append("run-1", [decided(2, "a-1"), decided(3, "a-1")])
    assert len(await store.pending_approvals()) == 1
    assert len(await store.load("run-1")) == 2


async def test_deciding_an_unknown_approval_raises(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1")])
    with pytest.raises(ApprovalError, match="no approval 'a-9'"):
        await store.append("run-1", [decided(2, "a-1"), decided(3, "a-9")])
    assert [p.approval_id for p in await store.pending_approvals()] == ["a-1"]
    assert len(await store.load("run-1")) == 2


async def test_an_approval_is_decided_in_its_own_run(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1")])
    await store.append("run-2", [started()])
    with pytest.raises(ApprovalError, match="belongs to run 'run-1'"):
        await store.append("run-2", [decided(1, "a-1")])
    assert len(await store.pending_approvals()) == 1


async def test_approval_ids_are_unique(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1")])
    await store.append("run-2", [started()])
    with pytest.raises(StoreError, match="already requested"):
        await store.append("run-2", [requested(1, "a-1")])
    assert len(await store.load("run-2")) == 1


async def test_a_refused_first_batch_leaves_no_run_behind(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1")])
    with pytest.raises(StoreError, match="already requested"):
        await store.append("run-2", [started(), requested(1, "a-1")])
    await store.append("run-3", [started()])  # an SQL store may give it run-2's lost key
    with pytest.raises(StoreError, match="run-2"):
        await store.append("run-2", [step(1)])
    assert len(await store.load("run-3")) == 1
    assert [s.run_id for s in await store.runs()] == ["run-3", "run-1"]


async def test_racing_decisions_decide_once(connect: Connect) -> None:
    first, second = await connect(), await connect()
    await first.append("run-1", [started(), requested(1, "a-1")])

    results = await asyncio.gather(
        first.append("run-1", [decided(2, "a-1")]),
        second.append("run-1", [decided(2, "a-1")]),
        return_exceptions=True,
    )

    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, StoreError | ApprovalError) for r in results if r is not None)
    with pytest.raises(ApprovalError):
        await second.append("run-1", [decided(3, "a-1")])
    log = await second.load("run-1")
    assert sum(isinstance(e, ApprovalDecided) for e in log) == 1
    assert await second.pending_approvals() == []


async def test_pending_approvals_oldest_first_by_run(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "late", at=T0 + 30)])
    await store.append("run-2", [started(), requested(1, "early", at=T0 + 10)])
    await store.append("run-2", [requested(2, "middle", at=T0 + 20)])

    assert [p.approval_id for p in await store.pending_approvals()] == [
        "early",
        "middle",
        "late",
    ]
    assert [p.approval_id for p in await store.pending_approvals(run_id="run-2")] == [
        "early",
        "middle",
    ]
    assert await store.pending_approvals(run_id="nope") == []


async def test_pending_approvals_newest_first_page_from_the_newest(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "late", at=T0 + 30)])
    await store.append("run-2", [started(), requested(1, "early", at=T0 + 10)])
    await store.append("run-2", [requested(2, "middle", at=T0 + 20)])
    await store.append(
        "run-3", [started(), requested(1, "tie-1", at=T0), requested(2, "tie-2", at=T0)]
    )

    newest = await store.pending_approvals(newest_first=True)
    assert [p.approval_id for p in newest] == ["late", "middle", "early", "tie-2", "tie-1"]
    page = await store.pending_approvals(newest_first=True, limit=2)
    assert [p.approval_id for p in page] == ["late", "middle"]
    mine = await store.pending_approvals(run_id="run-2", newest_first=True, limit=1)
    assert [p.approval_id for p in mine] == ["middle"]


async def test_approvals_requested_at_the_same_instant_keep_their_order(
    store: RunStore,
) -> None:
    await store.append("run-1", [started(), requested(1, "z", at=T0), requested(2, "b", at=T0)])
    await store.append("run-0", [started(), requested(1, "a", at=T0)])
    assert [p.approval_id for p in await store.pending_approvals()] == ["z", "b", "a"]


@pytest.mark.slow
async def test_pending_approvals_stay_fast_with_10_000_pending(store: RunStore) -> None:
    for n in range(200):
        await store.append(
            f"run-{n}",
            [started(at=T0 + n)]
            + [requested(1 + i, f"a-{n}-{i}", at=T0 + n + i / 100) for i in range(50)],
        )
    await store.append("run-0", [decided(51, "a-0-0")])

    mine = await store.pending_approvals(run_id="run-150")
    everything = await store.pending_approvals()

    assert [p.approval_id for p in mine] == [f"a-150-{i}" for i in range(50)]
    assert len(everything) == 9_999
    assert everything[0].approval_id == "a-0-1"
    # How fast this is belongs to benchmarks/bench_durable.py, not to a timed assertion.


# -- durability -------------------------------------------------------------------------


# memory:// keeps nothing after close, by design: only the durable stores reopen.
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_reopened_store_keeps_everything(backend: str, connect: Connect) -> None:
    store = await connect()
    events = every_event()
    await store.append("run-1", events)
    await store.append("run-2", [started(at=T0 + 1000), requested(1, "a-2")])
    await store.close()

    again = await connect()
    assert as_json(await again.load("run-1")) == as_json(events)
    assert [s.run_id for s in await again.runs()] == ["run-2", "run-1"]
    assert [p.approval_id for p in await again.pending_approvals()] == ["a-2"]
    await again.append("run-1", [RunResumed(seq=len(events), pid=7)])


# -- against the reference ------------------------------------------------------------

_OPS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which run
        st.sampled_from(
            ["start", "start", "step", "finish", "resume", "request", "decide", "pair"]
        ),
        st.sampled_from([0, 0, 0, -1, 1]),  # seq offset from the right one
        st.integers(0, 3),  # which approval id
    ),
    min_size=10,
    max_size=40,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=_OPS)
async def test_agrees_with_the_reference_store(store: RunStore, ops: list[Any]) -> None:
    """Random appends, valid or not, give the same outcomes and state as memory://."""
    reference = MemoryStore()
    prefix = uuid.uuid4().hex[:8]  # examples share the store: keep their names apart
    clock = iter(range(10_000))

    def events(run: str, op: str, seq: int, approval: str) -> list[Event]:
        at = T0 + next(clock)
        if op == "start":
            return [RunStarted(seq=seq, at=at, pipeline=prefix, inputs={"n": seq})]
        if op == "finish":
            return [RunFinished(seq=seq, at=at, status=RunStatus.WAITING, error=run)]
        if op == "resume":
            return [RunResumed(seq=seq, at=at, pid=seq)]
        if op == "request":
            return [requested(seq, approval, at=at)]
        if op == "decide":
            return [decided(seq, approval, at=at)]
        if op == "pair":
            return [step(seq, at=at), decided(seq + 1, approval, at=at)]
        return [step(seq, at=at)]

    runs = [f"{prefix}-run-{i}" for i in range(3)]
    for which, op, offset, approval in ops:
        run = runs[which]
        try:
            seq = len(await reference.load(run)) + offset
        except StoreError:
            seq = offset
        batch = events(run, op, seq, f"{prefix}-a{approval}")
        outcomes = []
        for target in (reference, store):
            try:
                await target.append(run, batch)
                outcomes.append("ok")
            except (StoreError, ApprovalError) as exc:
                outcomes.append(type(exc).__name__)
        assert outcomes[0] == outcomes[1], (op, offset, outcomes)

    for run in runs:
        try:
            expected = as_json(await reference.load(run))
        except StoreError:
            with pytest.raises(StoreError):
                await store.load(run)
            continue
        assert as_json(await store.load(run)) == expected
        assert await store.pending_approvals(run_id=run) == await reference.pending_approvals(
            run_id=run
        )
    assert await store.runs(pipeline=prefix) == await reference.runs(pipeline=prefix)
