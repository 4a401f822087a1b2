"""The `RunStore` protocol: where run logs live.

A store keeps, per run, the append-only list of events (see `seamline.events`), plus
two indexes derived from those events in the same transaction that appends them: a
row per run (pipeline, status, timestamps) for listing, and a row per approval for
the inbox. Nothing else is state; the log is the truth.

A run has one driver at a time. A store keeps, per run, the process that drives it (its
owner) with a lease that the process renews while it works: `append` of a `RunStarted`
makes the appending process the owner, a `RunFinished` ends the ownership, and
`acquire` takes over a run whose owner finished, died or let its lease expire (else
`RunBusy`). A run still marked running whose owner is gone is listed as `interrupted`.

Every store passes the same conformance suite (`tests/store/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from seamline.events import Event, RunStatus

Access = Literal["create", "write", "read"]
"""How a store is opened: to run pipelines (made if missing), to change runs that are
there (resume, decide: it must exist), or to read them (it must exist; nothing is written)."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    pipeline: str
    status: RunStatus
    created_at: float
    updated_at: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PendingApproval:
    approval_id: str
    run_id: str
    pipeline: str
    step: str
    index: int | None
    reason: str  # "approval" or "escalation"
    requested_at: float
    timeout_at: float | None


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """One approval, pending or closed (decided, or superseded by a rewind)."""

    approval_id: str
    run_id: str
    pipeline: str
    step: str
    index: int | None
    reason: str
    requested_at: float
    timeout_at: float | None
    closed_at: float | None  # None while it waits for a decision

    @property
    def pending(self) -> bool:
        return self.closed_at is None


@runtime_checkable
class RunStore(Protocol):
    """Append-only run logs. Implementations: memory, SQLite, PostgreSQL."""

    url: str

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        """Append `events` (consecutive `seq`s) to the run's log, atomically and in order.

        Updates the run and approval indexes from the events in the same transaction:
        `RunStarted` creates the run row (status running), `RunResumed` sets it running,
        `RunFinished` sets its status, `ApprovalRequested` opens an approval and
        `ApprovalDecided` closes it.

        Raises:
            StoreError: `events[0].seq` is not the next seq of the run: another process
                wrote to the run meanwhile. Nothing is written.
            ApprovalError: an `ApprovalDecided` names an approval that is unknown or
                already decided. Nothing is written.
        """
        ...

    async def load(self, run_id: str) -> list[Event]:
        """The run's whole log in seq order. Raises `StoreError` for an unknown run."""
        ...

    async def run(self, run_id: str) -> RunSummary | None:
        """One run's summary (None if there is no such run), without listing the others."""
        ...

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        """One approval (None if there is no such approval), without listing the others."""
        ...

    async def acquire(self, run_id: str) -> None:
        """Become the run's driver: resuming or deciding it starts here.

        Raises:
            RunBusy: another process (or another task of this one) drives it.
            StoreError: there is no such run.
        """
        ...

    async def release(self, run_id: str) -> None:
        """Stop driving the run without finishing it (it is then listed as interrupted)."""
        ...

    async def runs(
        self,
        *,
        status: RunStatus | None = None,
        pipeline: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        updated_after: float | None = None,
    ) -> list[RunSummary]:
        """Runs, newest first, optionally filtered (`RunStatus.INTERRUPTED` included).

        Args:
            before: a run id: only the runs listed after it (the next page, when it is
                the last run of the previous one). An unknown id lists nothing.
            updated_after: only runs whose `updated_at` (their last change of status) is
                later than this time: what changed since the caller last looked.
        """
        ...

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
        """Approvals requested and neither decided nor superseded, oldest first.

        Every filter given must hold (`reason` is "approval" or "escalation"; the times
        bound `requested_at`, exclusive). `after` is an approval id: only the approvals
        listed after it (the next page, when it is the last of the previous one), even
        if it was decided meanwhile; an unknown id lists nothing. `newest_first` lists
        them in the reverse order (`seamline approvals`; not with `after`).
        """
        ...

    async def close(self) -> None: ...
