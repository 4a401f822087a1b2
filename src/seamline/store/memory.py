"""The in-memory store: the default for `pipe.run`, and the floor the durable stores are measured against."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
)
from seamline.exceptions import ApprovalError, StoreError
from seamline.store.base import ApprovalRecord, PendingApproval, RunSummary
from seamline.store.lease import Holds

_INDEXED = frozenset(
    {RunStarted, RunResumed, RunFinished, ApprovalRequested, ApprovalDecided, Rewound}
)


class MemoryStore:
    """Run logs held in this process. Gone when it exits."""

    # `append` never suspends, so concurrent writers cannot interleave and the executor
    # can skip its flush lock.
    append_never_yields = True

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._logs: dict[str, list[Event]] = {}
        self._runs: dict[str, RunSummary] = {}
        self._approvals: dict[str, PendingApproval] = {}
        self._closed: dict[str, ApprovalRecord] = {}
        # Every approval's place in the pending list (requested_at, then insertion), kept
        # once it closes so that a page can start after it.
        self._approval_keys: dict[str, tuple[float, int]] = {}
        # This store lives in one process: runs being driven (listed running, not
        # interrupted), and the runs a task took over to resume or decide them.
        self._driving: set[str] = set()
        self._holds = Holds()

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        if not events:
            return
        log = self._logs.get(run_id, [])
        if log and isinstance(events[0], RunStarted) and events[0].seq == 0:
            raise StoreError(
                f"run id {run_id!r} is already taken in {self.url}: give the new run "
                "another id, or resume that run"
            )
        if events[0].seq != len(log):
            raise StoreError(
                f"run {run_id!r}: expected seq {len(log)}, got {events[0].seq}; "
                "another process is writing this run"
            )
        # Everything is checked before anything is written, so a refused batch
        # leaves the log untouched.
        opened: set[str] = set()
        closed: set[str] = set()
        for offset, event in enumerate(events):
            if event.seq != len(log) + offset or isinstance(event, RunStarted) != (event.seq == 0):
                raise StoreError(
                    f"run {run_id!r}: got {type(event).__name__} at seq {event.seq}; a batch "
                    "needs consecutive seqs, and a log starts with RunStarted at seq 0 only"
                )
            if isinstance(event, ApprovalRequested):
                aid = event.approval_id
                if aid in self._approvals or aid in self._closed or aid in opened:
                    raise StoreError(
                        f"approval {aid!r} was already requested; approval ids are unique"
                    )
                opened.add(aid)
            elif isinstance(event, ApprovalDecided):
                aid = event.approval_id
                if aid in closed:
                    raise ApprovalError(f"approval {aid!r} was already decided")
                if aid not in opened:
                    self._check_decidable(run_id, aid)
                closed.add(aid)
        log.extend(events)
        self._logs[run_id] = log
        for event in events:
            if type(event) in _INDEXED:
                self._index(run_id, event)

    def _check_decidable(self, run_id: str, approval_id: str) -> None:
        if approval_id in self._closed:
            raise ApprovalError(f"approval {approval_id!r} was already decided")
        if approval_id not in self._approvals:
            raise ApprovalError(f"no approval {approval_id!r}; `seamline approvals` lists them")
        owner = self._approvals[approval_id].run_id
        if owner != run_id:
            raise ApprovalError(
                f"approval {approval_id!r} belongs to run {owner!r}, not {run_id!r}; "
                "decide it in its own run"
            )

    def _index(self, run_id: str, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._runs[run_id] = RunSummary(
                run_id, event.pipeline, RunStatus.RUNNING, event.at, event.at
            )
            self._driving.add(run_id)
            return
        summary = self._runs[run_id]
        if isinstance(event, RunResumed):
            self._runs[run_id] = _replace(summary, RunStatus.RUNNING, event.at, None)
            self._driving.add(run_id)
        elif isinstance(event, RunFinished):
            self._runs[run_id] = _replace(summary, event.status, event.at, event.error)
            self._driving.discard(run_id)
            self._holds.drop(run_id)
        elif isinstance(event, ApprovalRequested):
            self._approval_keys[event.approval_id] = (event.at, len(self._approval_keys))
            self._approvals[event.approval_id] = PendingApproval(
                event.approval_id,
                run_id,
                summary.pipeline,
                event.step,
                event.index,
                event.reason,
                event.at,
                event.timeout_at,
            )
        elif isinstance(event, ApprovalDecided):
            self._close(event.approval_id, event.at)
        elif isinstance(event, Rewound):
            for aid in event.closes:
                if aid in self._approvals:
                    self._close(aid, event.at)

    def _close(self, approval_id: str, at: float) -> None:
        pending = self._approvals.pop(approval_id)
        self._closed[approval_id] = _record(pending, at)

    async def load(self, run_id: str) -> list[Event]:
        try:
            return list(self._logs[run_id])
        except KeyError:
            raise StoreError(f"no run {run_id!r} in {self.url}") from None

    async def runs(
        self,
        *,
        status: RunStatus | None = None,
        pipeline: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        updated_after: float | None = None,
    ) -> list[RunSummary]:
        found = [
            s
            for s in map(self._listed, self._runs.values())
            if (status is None or s.status == status)
            and (pipeline is None or s.pipeline == pipeline)
            and (updated_after is None or s.updated_at > updated_after)
        ]
        found.reverse()  # so that runs started at the same instant list the later one first
        found.sort(key=lambda s: s.created_at, reverse=True)
        if before is not None:
            found = self._after_run(found, before)
        return found[:limit] if limit is not None else found

    def _after_run(self, found: list[RunSummary], before: str) -> list[RunSummary]:
        """The runs listed after run `before` (which the filters may have left out)."""
        cursor = self._runs.get(before)
        if cursor is None:
            return []
        order = {run_id: n for n, run_id in enumerate(self._runs)}
        key = (cursor.created_at, order[before])
        return [s for s in found if (s.created_at, order[s.run_id]) < key]

    def _listed(self, summary: RunSummary) -> RunSummary:
        if summary.status is RunStatus.RUNNING and summary.run_id not in self._driving:
            return dataclasses.replace(summary, status=RunStatus.INTERRUPTED)
        return summary

    async def run(self, run_id: str) -> RunSummary | None:
        summary = self._runs.get(run_id)
        return self._listed(summary) if summary is not None else None

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        pending = self._approvals.get(approval_id)
        if pending is not None:
            return _record(pending, None)
        return self._closed.get(approval_id)

    async def acquire(self, run_id: str) -> None:
        if run_id not in self._runs:
            raise StoreError(f"no run {run_id!r} in {self.url}")
        self._holds.take(run_id)

    async def release(self, run_id: str) -> None:
        self._holds.drop(run_id)
        self._driving.discard(run_id)

    async def pending_approvals(
        self,
        *,
        run_id: str | None = None,
        limit: int | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        reason: str | None = None,
        requested_before: float | None = None,
        requested_after: float | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> list[PendingApproval]:
        keys = self._approval_keys
        start = keys.get(after) if after is not None else None
        if after is not None and start is None:
            return []
        pending = [
            a
            for a in self._approvals.values()
            if (run_id is None or a.run_id == run_id)
            and (pipeline is None or a.pipeline == pipeline)
            and (step is None or a.step == step)
            and (reason is None or a.reason == reason)
            and (requested_before is None or a.requested_at < requested_before)
            and (requested_after is None or a.requested_at > requested_after)
            and (start is None or keys[a.approval_id] > start)
        ]
        pending.sort(key=lambda a: keys[a.approval_id], reverse=newest_first)
        return pending[:limit] if limit is not None else pending

    async def close(self) -> None:
        pass


def _replace(summary: RunSummary, status: RunStatus, at: float, error: str | None) -> RunSummary:
    return RunSummary(summary.run_id, summary.pipeline, status, summary.created_at, at, error)


def _record(pending: PendingApproval, closed_at: float | None) -> ApprovalRecord:
    p = pending
    return ApprovalRecord(
        p.approval_id,
        p.run_id,
        p.pipeline,
        p.step,
        p.index,
        p.reason,
        p.requested_at,
        p.timeout_at,
        closed_at,
    )
