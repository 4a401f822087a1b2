"""What the SQL stores share: the row encoding of events, and what a batch does to the indexes.

A batch passed to `append` is checked and folded here, before any SQL runs, into a
`Batch`: the event rows to insert, the run row's new status (if any event changes
it), and the approval rows to open or close, in log order. `sqlite.py` and
`postgres.py` then only have to write that plan in one transaction.

Rows are kept small: `seq` and `at` are columns, and top-level fields that are None
and default to None (`index`, `model`, `error`, ...) are left out of the payload;
`decode` fills them back in. Nothing else is dropped, so a changed default in a
later version cannot silently change what an old log says.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic_core import to_json

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    decode,
    encode,
)
from seamline.exceptions import ApprovalError, StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change, applied in the same transaction as its version bump."""

    version: int
    name: str
    statements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    kind: str
    at: float
    payload: str  # compact JSON, without `seq` and `at`


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: RunStatus
    at: float
    error: str | None


@dataclass(frozen=True, slots=True)
class OpenApproval:
    approval_id: str
    step: str
    index: int | None
    reason: str
    requested_at: float
    timeout_at: float | None


@dataclass(frozen=True, slots=True)
class CloseApproval:
    approval_id: str
    decided_at: float


@dataclass(frozen=True, slots=True)
class Batch:
    """One `append` call, checked and folded into what the store must write."""

    run_id: str
    first_seq: int
    rows: list[EventRow]
    started: RunStarted | None  # the batch opens the run (its first event is seq 0)
    status: StatusChange | None  # the run row's status after the batch, if it changes
    approvals: list[OpenApproval | CloseApproval]

    @property
    def next_seq(self) -> int:
        return self.first_seq + len(self.rows)


def plan(run_id: str, events: Sequence[Event]) -> Batch:
    """Check a batch and fold it into rows and index changes. Raises `StoreError`."""
    first = events[0].seq
    for offset, event in enumerate(events):
        if event.seq != first + offset:
            raise StoreError(
                f"run {run_id!r}: a batch needs consecutive seqs; "
                f"got {event.seq} at position {offset} after seq {first}"
            )
        if isinstance(event, RunStarted) != (event.seq == 0):
            raise StoreError(
                f"run {run_id!r}: a run's log starts with RunStarted at seq 0 and has no other; "
                f"got {type(event).__name__} at seq {event.seq}"
            )
    started = events[0] if isinstance(events[0], RunStarted) else None
    status: StatusChange | None = None
    approvals: list[OpenApproval | CloseApproval] = []
    rows: list[EventRow] = []
    for event in events:
        rows.append(encode_row(event))
        if isinstance(event, RunStarted | RunResumed):
            status = StatusChange(RunStatus.RUNNING, event.at, None)
        elif isinstance(event, RunFinished):
            status = StatusChange(event.status, event.at, event.error)
        elif isinstance(event, ApprovalRequested):
            approvals.append(
                OpenApproval(
                    event.approval_id,
                    event.step,
                    event.index,
                    event.reason,
                    event.at,
                    event.timeout_at,
                )
            )
        elif isinstance(event, ApprovalDecided):
            approvals.append(CloseApproval(event.approval_id, event.at))
    return Batch(run_id, first, rows, started, status, approvals)


@cache
def _none_defaults(kind: str) -> frozenset[str]:
    from seamline.events import EVENT_TYPES

    return frozenset(f.name for f in dataclasses.fields(EVENT_TYPES[kind]) if f.default is None)


def encode_row(event: Event) -> EventRow:
    kind, payload = encode(event)
    at = payload.pop("at")
    for name in _none_defaults(kind):
        if payload.get(name, 0) is None:
            del payload[name]
    return EventRow(event.seq, kind, at, to_json(payload).decode())


def decode_row(kind: str, seq: int, at: float, payload: str | dict[str, Any]) -> Event:
    data: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else payload
    data["at"] = at
    return decode(kind, seq, data)


def conflict(run_id: str, first_seq: int, next_seq: int | None) -> StoreError:
    """The error for a batch whose first seq is not the run's next one."""
    if next_seq is None:
        return StoreError(
            f"no run {run_id!r}: its log must start with RunStarted at seq 0 (got seq {first_seq})"
        )
    return StoreError(
        f"run {run_id!r}: expected seq {next_seq}, got {first_seq}; "
        "another process is writing this run"
    )


def newer_schema(url: str, found: int, known: int) -> str:
    return (
        f"{url} has schema version {found}, but this seamline knows versions up to {known}: "
        "it was written by a newer seamline. Upgrade seamline (pip install -U seamline) "
        "to use it; the store was left untouched."
    )


def approval_exists(approval_id: str) -> StoreError:
    return StoreError(f"approval {approval_id!r} was already requested; approval ids are unique")


def undecidable(
    approval_id: str, run_id: str, found: tuple[str, float | None] | None
) -> ApprovalError:
    """Why an `ApprovalDecided` was refused, given the approval's (run_id, decided_at)."""
    if found is None:
        return ApprovalError(f"no approval {approval_id!r}; `seamline approvals` lists them")
    owner, decided_at = found
    if decided_at is not None:
        return ApprovalError(f"approval {approval_id!r} was already decided")
    return ApprovalError(
        f"approval {approval_id!r} belongs to run {owner!r}, not {run_id!r}; "
        "decide it in its own run"
    )
