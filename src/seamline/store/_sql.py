"""What the SQL stores share: the row encoding of events, and what a batch does to the indexes.

A batch passed to `append` is checked and folded here, before any SQL runs, into a
`Batch`: the events (and, if asked, their rows) to insert, the run row's new status
(if any event changes it), and the approval rows to open or close, in log order. `sqlite.py` and
`postgres.py` then only have to write that plan in one transaction.

Two row encodings of events live here:

- `encode_row` / `decode_row` (PostgreSQL): one row per event, `seq` and `at` as
  columns, the rest a JSON object whose None fields that default to None are left
  out. Nothing else is dropped, so a changed default in a later version cannot
  silently change what an old log says.
- `pack` / `unpack` (SQLite): one row per append batch, its events in one compact
  JSON array (see `pack`), which the SQLite store may then deflate.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic_core import to_json

from seamline.events import (
    EVENT_TYPES,
    ApprovalDecided,
    ApprovalRequested,
    Event,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepStarted,
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
    # Run after the statements, in the same transaction, with the store's connection:
    # for data that SQL alone cannot carry over.
    convert: Callable[[Any], None] | None = None


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
    events: Sequence[Event]
    rows: list[EventRow]  # one per event (`encode_row`); empty if not asked for
    started: RunStarted | None  # the batch opens the run (its first event is seq 0)
    status: StatusChange | None  # the run row's status after the batch, if it changes
    approvals: list[OpenApproval | CloseApproval]

    @property
    def next_seq(self) -> int:
        return self.first_seq + len(self.events)


def plan(run_id: str, events: Sequence[Event], *, rows: bool = True) -> Batch:
    """Check a batch and fold it into index changes, and (`rows`) one row per event.

    Raises `StoreError`.
    """
    first = events[0].seq
    started: RunStarted | None = None
    status: StatusChange | None = None
    approvals: list[OpenApproval | CloseApproval] = []
    for offset, event in enumerate(events):
        seq = event.seq
        if seq != first + offset:
            raise StoreError(
                f"run {run_id!r}: a batch needs consecutive seqs; "
                f"got {seq} at position {offset} after seq {first}"
            )
        if type(event) in _LOG_ONLY and seq:  # most events: nothing more to do
            continue
        if isinstance(event, RunStarted) != (seq == 0):
            raise StoreError(
                f"run {run_id!r}: a run's log starts with RunStarted at seq 0 and has no other; "
                f"got {type(event).__name__} at seq {seq}"
            )
        if isinstance(event, RunStarted | RunResumed):
            if isinstance(event, RunStarted):
                started = event
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
        elif isinstance(event, Rewound):  # approvals whose work was reset: no longer decidable
            approvals.extend(CloseApproval(aid, event.at) for aid in event.closes)
    event_rows: list[EventRow] = [encode_row(event) for event in events] if rows else []
    return Batch(run_id, first, events, event_rows, started, status, approvals)


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


# -- the compact batch encoding (SQLite) ------------------------------------------------
#
# A batch is a JSON array of items, one per event: `[code, t, field, field, ...]`.
#
# - `code` names the kind: `_CODEBOOK[code - 1]`, whose fields follow in its order;
#   trailing fields equal to the entry's default are left out. Code 0 is any event
#   as `[0, t, kind, {payload}]` (a kind or field the codebook does not know).
# - Codes `_FOLD_CODES` are a `StepStarted` folded into the `StepFinished` or
#   `StepErrored` that follows it in the batch (same step, attempt and index, no
#   model override): `[code, t_started, t, step, attempt, ...]`, the second event's
#   item after the first time.
# - `t` is an integer: milliseconds after the previous event of the row, and for a
#   row's first event after the run's start (`base_ms`). Times are kept to the
#   millisecond: an event comes back with `at == round(at * 1000) / 1000`. A float
#   `t` is an absolute time in seconds, kept exactly (rows converted from schema 1).
#
# Never reorder or change a codebook entry: rows written with it must decode the
# same forever. A field added to an event goes at the end of its entry, with its
# default; until it is there, the kind is written with code 0.

_CODEBOOK: tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...] = (
    ("RunStarted", ("pipeline", "inputs", "options"), {"options": {}}),
    ("StepStarted", ("step", "attempt", "index", "model"), {"index": None, "model": None}),
    ("StepFinished", ("step", "attempt", "artifact", "index"), {"index": None}),
    ("StepErrored", ("step", "attempt", "error", "kind", "index"), {"index": None}),
    ("StepSkipped", ("step", "reason"), {}),
    (
        "ModelCalled",
        (
            "step",
            "attempt",
            "model",
            "request",
            "response",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "seconds",
            "error",
            "index",
            "purpose",
        ),
        {
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
            "seconds": 0.0,
            "error": None,
            "index": None,
            "purpose": "step",
        },
    ),
    (
        "ToolCalled",
        (
            "step",
            "attempt",
            "tool",
            "request",
            "response",
            "seconds",
            "error",
            "index",
            "server",
            "call_id",
            "outcome",
            "approval_id",
        ),
        {
            "seconds": 0.0,
            "error": None,
            "index": None,
            "server": None,
            "call_id": None,
            "outcome": "ok",
            "approval_id": None,
        },
    ),
    (
        "GateEvaluated",
        ("step", "attempt", "verdict", "action", "index", "effect", "target", "model", "feedback"),
        {"index": None, "effect": None, "target": None, "model": None, "feedback": None},
    ),
    (
        "ApprovalRequested",
        ("approval_id", "step", "artifact", "reason", "index", "timeout_at"),
        {"reason": "approval", "index": None, "timeout_at": None},
    ),
    (
        "ApprovalDecided",
        (
            "approval_id",
            "decision",
            "reason",
            "edit",
            "reviewer",
            "route_to",
            "reviewer_kind",
            "reason_code",
        ),
        {
            "reason": None,
            "edit": None,
            "reviewer": None,
            "route_to": None,
            "reviewer_kind": "human",
            "reason_code": None,
        },
    ),
    ("RunResumed", ("pid", "traceparent"), {"traceparent": None}),
    ("RunFinished", ("status", "error", "error_type"), {"error": None, "error_type": None}),
    # Code 15 on: 13 and 14 are the folded codes below.
    (
        "Rewound",
        ("step", "steps", "feedback", "cause", "index", "approval_id", "closes"),
        {"index": None, "approval_id": None, "closes": []},
    ),
    (
        "ContextRead",
        (
            "step",
            "attempt",
            "collection",
            "query",
            "revision",
            "passages",
            "k",
            "where",
            "mode",
            "kind",
            "seconds",
            "index",
        ),
        {"k": 5, "where": None, "mode": "hybrid", "kind": "search", "seconds": 0.0, "index": None},
    ),
)
_FOLD_CODES = {"StepFinished": 13, "StepErrored": 14}
_GENERIC = 0


def _code(position: int) -> int:
    """The code of the codebook's entry at `position` (from 0): 1 to 12, then 15 on."""
    return position + 1 if position < 12 else position + 3


@dataclass(frozen=True, slots=True)
class _Spec:
    code: int
    kind: str
    fields: tuple[str, ...]
    defaults: tuple[tuple[bool, Any], ...]  # per field: (may be left out, its default)
    values: Callable[[Any], tuple[Any, ...]]  # an event's values of `fields`, in order


def _specs() -> tuple[dict[str, _Spec], dict[int, _Spec]]:
    from seamline.events import EVENT_TYPES

    by_code: dict[int, _Spec] = {}
    for position, (kind, names, defaults) in enumerate(_CODEBOOK):
        code = _code(position)
        marks = tuple((name in defaults, defaults.get(name)) for name in names)
        getter = operator.attrgetter(*names)
        values = getter if len(names) > 1 else lambda event, get=getter: (get(event),)
        by_code[code] = _Spec(code, kind, names, marks, values)
    by_kind: dict[str, _Spec] = {}
    for spec in by_code.values():
        cls = EVENT_TYPES.get(spec.kind)
        if cls is not None and {f.name for f in dataclasses.fields(cls)} == {
            "seq",
            "at",
            *spec.fields,
        }:
            by_kind[spec.kind] = spec  # else: written with code 0 until the entry is updated
    return by_kind, by_code


_BY_KIND, _BY_CODE = _specs()
_FOLDED_BY_CODE = {
    fold: next(spec for spec in _BY_CODE.values() if spec.kind == kind)
    for kind, fold in _FOLD_CODES.items()
}
_FOLDABLE = (StepFinished, StepErrored)
# Kinds that change neither the run row nor an approval.
_LOG_ONLY = frozenset(EVENT_TYPES.values()) - {
    RunStarted,
    RunResumed,
    RunFinished,
    ApprovalRequested,
    ApprovalDecided,
    Rewound,
}


def codebook_gaps() -> list[str]:
    """Event kinds the codebook does not cover (written with code 0): keep it empty."""
    from seamline.events import EVENT_TYPES

    return sorted(set(EVENT_TYPES) - set(_BY_KIND))


def to_ms(at: float) -> int:
    """A time in seconds as whole milliseconds: what the compact encoding keeps."""
    return round(at * 1000)


def _values(event: Event, spec: _Spec) -> list[Any]:
    values = list(spec.values(event))
    marks = spec.defaults
    while values:
        droppable, default = marks[len(values) - 1]
        value = values[-1]
        if not droppable or not (
            value is default or (type(value) is type(default) and value == default)
        ):
            break
        values.pop()
    return values


def _item(event: Event, t: int) -> list[Any]:
    spec = _BY_KIND.get(type(event).__name__)
    if spec is None:
        kind, payload = encode(event)
        del payload["at"]
        return [_GENERIC, t, kind, payload]
    return [spec.code, t, *_values(event, spec)]


def pack(events: Sequence[Event], base_ms: int) -> bytes:
    """A batch's events as one compact JSON array (see above); `base_ms` is the run's start."""
    items: list[list[Any]] = []
    prev = base_ms
    i, n = 0, len(events)
    while i < n:
        event = events[i]
        ms = round(event.at * 1000)
        t = ms - prev
        prev = ms
        if type(event) is StepStarted and event.model is None and i + 1 < n:
            done = events[i + 1]
            if (
                type(done) in _FOLDABLE
                and done.step == event.step  # type: ignore[attr-defined]
                and done.attempt == event.attempt  # type: ignore[attr-defined]
                and done.index == event.index  # type: ignore[attr-defined]
                and type(done).__name__ in _BY_KIND
                and "StepStarted" in _BY_KIND
            ):
                ms = round(done.at * 1000)
                item = _item(done, ms - prev)
                item[0] = _FOLD_CODES[type(done).__name__]
                items.append([item[0], t, *item[1:]])
                prev = ms
                i += 2
                continue
        items.append(_item(event, t))
        i += 1
    return to_json(items)


def unpack(data: str | bytes, first_seq: int, base_ms: int) -> list[Event]:
    """The events of a row written by `pack` (or converted from schema 1)."""
    events: list[Event] = []
    seq = first_seq
    prev = base_ms
    for item in json.loads(data):
        code = item[0]
        started_at = None
        if code in _FOLDED_BY_CODE:
            started_at, prev = _time(item[1], prev)
            item = item[1:]
            code = _FOLDED_BY_CODE[code].code
        at, prev = _time(item[1], prev)
        if code == _GENERIC:
            kind, payload = item[2], item[3]
        else:
            spec = _BY_CODE[code]
            kind, payload = spec.kind, _payload(spec, item[2:])
        if started_at is not None:
            started = {"at": started_at, "step": payload["step"], "attempt": payload["attempt"]}
            started["index"] = payload["index"]
            events.append(decode("StepStarted", seq, started))
            seq += 1
        payload["at"] = at
        events.append(decode(kind, seq, payload))
        seq += 1
    return events


def _payload(spec: _Spec, values: list[Any]) -> dict[str, Any]:
    payload = dict(zip(spec.fields, values, strict=False))
    for name, (droppable, default) in zip(
        spec.fields[len(values) :], spec.defaults[len(values) :], strict=True
    ):
        if droppable:
            payload[name] = type(default)(default) if isinstance(default, dict | list) else default
    return payload


def _time(t: int | float, prev: int) -> tuple[float, int]:
    """An item's time: (at in seconds, the millisecond the next item counts from)."""
    if isinstance(t, float):
        return t, round(t * 1000)
    ms = prev + t
    return ms / 1000, ms


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


def describe(exc: BaseException, limit: int = 200) -> str:
    """An exception in a line, for a damaged row's report: what decoding it ran into."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
