"""The RunStore contract's newer half, on every store: one run and one approval fetched
without listing the others, and who drives a run (acquire, release, interrupted runs)."""

from __future__ import annotations

import pytest
from sample_runs import Connect

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
)
from seamline.exceptions import ApprovalError, RunBusy, StoreError
from seamline.store import RunStore

T0 = 1_760_000_000.0


def started(seq: int = 0) -> RunStarted:
    return RunStarted(seq=seq, at=T0, pipeline="claims", inputs={})


def requested(seq: int, approval_id: str, index: int | None = None) -> ApprovalRequested:
    return ApprovalRequested(
        seq=seq, at=T0 + seq, approval_id=approval_id, step="frames", artifact={}, index=index
    )


async def test_one_run_is_fetched_by_id(store: RunStore) -> None:
    assert await store.run("nope") is None
    await store.append("run-1", [started()])
    found = await store.run("run-1")
    assert found is not None and (found.run_id, found.status) == ("run-1", RunStatus.RUNNING)
    await store.append("run-1", [RunFinished(seq=1, at=T0 + 1, status=RunStatus.WAITING)])
    found = await store.run("run-1")
    assert found is not None and found.status is RunStatus.WAITING


async def test_one_approval_is_fetched_by_id_pending_or_closed(store: RunStore) -> None:
    assert await store.approval("nope") is None
    await store.append("run-1", [started(), requested(1, "a-1", index=2)])
    record = await store.approval("a-1")
    assert record is not None and record.pending
    assert (record.run_id, record.pipeline, record.step, record.index) == (
        "run-1",
        "claims",
        "frames",
        2,
    )
    await store.append(
        "run-1", [ApprovalDecided(seq=2, at=T0 + 9, approval_id="a-1", decision="approve")]
    )
    record = await store.approval("a-1")
    assert record is not None and not record.pending and record.closed_at == T0 + 9


async def test_a_rewind_closes_the_approvals_it_supersedes(store: RunStore) -> None:
    await store.append("run-1", [started(), requested(1, "a-1", 0), requested(2, "a-2", 1)])
    await store.append(
        "run-1",
        [
            Rewound(
                seq=3,
                at=T0 + 5,
                step="frames",
                steps=["frames", "cut"],
                feedback=["redo"],
                cause="reroute",
                closes=["a-1", "a-2"],
            )
        ],
    )
    assert await store.pending_approvals() == []
    with pytest.raises(ApprovalError, match="already decided"):
        await store.append(
            "run-1", [ApprovalDecided(seq=4, at=T0 + 6, approval_id="a-1", decision="approve")]
        )


async def test_pending_approvals_can_be_limited(store: RunStore) -> None:
    await store.append("run-1", [started(), *(requested(n, f"a-{n}") for n in range(1, 6))])
    assert [a.approval_id for a in await store.pending_approvals(limit=2)] == ["a-1", "a-2"]


async def test_a_run_being_started_is_not_interrupted_until_its_driver_lets_go(
    store: RunStore,
) -> None:
    await store.append("run-1", [started()])
    assert (await store.run("run-1")).status is RunStatus.RUNNING  # type: ignore[union-attr]
    await store.release("run-1")  # its driver stopped without finishing it (a store error)
    assert (await store.run("run-1")).status is RunStatus.INTERRUPTED  # type: ignore[union-attr]
    assert [r.run_id for r in await store.runs(status=RunStatus.INTERRUPTED)] == ["run-1"]
    assert await store.runs(status=RunStatus.RUNNING) == []


async def test_acquire_takes_over_an_interrupted_run_once(connect: Connect) -> None:
    first, second = await connect(), await connect()
    await first.append("run-1", [started()])
    await first.release("run-1")
    await first.acquire("run-1")
    with pytest.raises(RunBusy, match="run 'run-1' is being driven by"):
        await second.acquire("run-1")
    await first.append("run-1", [RunResumed(seq=1, at=T0 + 1, pid=1)])
    assert (await second.run("run-1")).status is RunStatus.RUNNING  # type: ignore[union-attr]
    await first.append("run-1", [RunFinished(seq=2, at=T0 + 2, status=RunStatus.WAITING)])
    await second.acquire("run-1")  # a waiting run has no driver: anyone may take it
    await second.release("run-1")


async def test_acquire_of_an_unknown_run_raises(store: RunStore) -> None:
    with pytest.raises(StoreError, match="no run 'nope'"):
        await store.acquire("nope")
