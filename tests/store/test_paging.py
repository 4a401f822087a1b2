"""The inbox's and the runs list's queries (filters, pages by cursor), against every store.

These are part of the `RunStore` contract (`seamline.store.base`): the web UI pages
through 10,000 pending approvals and 10,000 runs with them.
"""

from __future__ import annotations

import pytest

from seamline.events import ApprovalDecided, ApprovalRequested, RunFinished, RunStarted, RunStatus
from seamline.store import RunStore

T0 = 1_760_000_000.0


def started(at: float, pipeline: str = "claims") -> RunStarted:
    return RunStarted(seq=0, at=at, pipeline=pipeline, inputs={})


def requested(
    seq: int, approval_id: str, at: float, step: str = "decision", reason: str = "approval"
) -> ApprovalRequested:
    return ApprovalRequested(
        seq=seq, at=at, approval_id=approval_id, step=step, artifact={}, reason=reason
    )


async def inbox(store: RunStore) -> None:
    """Three runs: two of claims, one of film; approvals and escalations on two steps."""
    await store.append(
        "run-a",
        [
            started(T0),
            requested(1, "a1", T0 + 1, step="claim", reason="escalation"),
            requested(2, "a2", T0 + 2),
        ],
    )
    await store.append("run-b", [started(T0 + 3, "film"), requested(1, "b1", T0 + 4, step="cut")])
    await store.append(
        "run-c",
        [
            started(T0 + 5),
            requested(1, "c1", T0 + 6),
            requested(2, "c2", T0 + 6),  # the same instant: insertion order breaks the tie
            requested(3, "c3", T0 + 7, step="claim", reason="escalation"),
        ],
    )


def ids(found: list) -> list[str]:  # type: ignore[type-arg]
    return [getattr(f, "approval_id", None) or f.run_id for f in found]


async def test_pending_approvals_filter_by_pipeline_step_reason_and_age(store: RunStore) -> None:
    await inbox(store)
    assert ids(await store.pending_approvals(pipeline="claims")) == ["a1", "a2", "c1", "c2", "c3"]
    assert ids(await store.pending_approvals(pipeline="film")) == ["b1"]
    assert ids(await store.pending_approvals(step="claim")) == ["a1", "c3"]
    assert ids(await store.pending_approvals(reason="escalation")) == ["a1", "c3"]
    assert ids(await store.pending_approvals(reason="approval", pipeline="claims")) == [
        "a2",
        "c1",
        "c2",
    ]
    # Times are exclusive bounds: older than T0 + 4 is up to T0 + 2.
    assert ids(await store.pending_approvals(requested_before=T0 + 4)) == ["a1", "a2"]
    assert ids(await store.pending_approvals(requested_after=T0 + 4)) == ["c1", "c2", "c3"]
    assert ids(await store.pending_approvals(run_id="run-c", step="claim")) == ["c3"]
    assert await store.pending_approvals(pipeline="nope") == []


async def test_pending_approvals_page_by_cursor(store: RunStore) -> None:
    await inbox(store)
    pages, after = [], None
    while True:
        page = await store.pending_approvals(limit=2, after=after)
        if not page:
            break
        pages.append(ids(page))
        after = page[-1].approval_id
    assert pages == [["a1", "a2"], ["b1", "c1"], ["c2", "c3"]]
    # Ties at the same instant page in their order too, and filters apply after the cursor.
    assert ids(await store.pending_approvals(after="c1")) == ["c2", "c3"]
    assert ids(await store.pending_approvals(after="a1", reason="escalation")) == ["c3"]
    assert ids(await store.pending_approvals(run_id="run-c", after="c1", limit=1)) == ["c2"]


async def test_a_page_starts_after_an_approval_decided_meanwhile(store: RunStore) -> None:
    await inbox(store)
    await store.append(
        "run-b", [ApprovalDecided(seq=2, at=T0 + 9, approval_id="b1", decision="approve")]
    )
    assert ids(await store.pending_approvals(after="b1")) == ["c1", "c2", "c3"]


async def test_an_unknown_cursor_lists_nothing(store: RunStore) -> None:
    await inbox(store)
    assert await store.pending_approvals(after="nope") == []
    assert await store.runs(before="nope") == []


async def test_runs_page_by_cursor_newest_first(store: RunStore) -> None:
    for n in range(7):
        await store.append(f"run-{n}", [started(T0 + n // 2, "film" if n % 3 == 0 else "claims")])
    pages, before = [], None
    while True:
        page = await store.runs(limit=3, before=before)
        if not page:
            break
        pages.append(ids(page))
        before = page[-1].run_id
    # Runs started at the same instant list the later one first, across pages too.
    assert pages == [["run-6", "run-5", "run-4"], ["run-3", "run-2", "run-1"], ["run-0"]]
    assert ids(await store.runs(pipeline="film", before="run-6")) == ["run-3", "run-0"]
    assert ids(await store.runs(pipeline="claims", before="run-3", limit=1)) == ["run-2"]


@pytest.mark.parametrize("status", [None, RunStatus.WAITING])
async def test_runs_updated_after_a_time(store: RunStore, status: RunStatus | None) -> None:
    for n in range(4):
        await store.append(f"run-{n}", [started(T0 + n)])
    await store.append("run-0", [RunFinished(seq=1, at=T0 + 50, status=RunStatus.WAITING)])
    await store.append("run-2", [RunFinished(seq=1, at=T0 + 60, status=RunStatus.WAITING)])
    assert ids(await store.runs(updated_after=T0 + 40, status=status)) == ["run-2", "run-0"]
    assert ids(await store.runs(updated_after=T0 + 55, status=status)) == ["run-2"]
    assert await store.runs(updated_after=T0 + 60, status=status) == []
