"""One run's event log, folded into units and attempts: what the metrics are computed from.

A *unit* is one (step, index) of a run: index is the item number of a `map=` step and
None otherwise. Each unit has numbered attempts; an attempt *passed its seam* when it
finished with an artifact and every gate verdict written for it passed (a step without
a gate passes by finishing). Nothing here interprets policy: it only reads the log. The
run's status, mode and what people decided come from the run-state reducer
(`seamline.runtime.state`), which every reader of a run shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seamline.events import (
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    RunStatus,
    StepErrored,
    StepFinished,
    StepStarted,
)
from seamline.runtime.state import fold as fold_state

Unit = tuple[str, int | None]


@dataclass(slots=True)
class Attempt:
    number: int
    seq: int  # where it started in the log
    finished: bool = False
    artifact: Any = None
    error: str | None = None
    error_kind: str | None = None
    verdicts: list[GateEvaluated] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.finished and all(g.verdict.passed for g in self.verdicts)


@dataclass(slots=True)
class Escalation:
    step: str
    index: int | None
    artifact: Any
    decision: str | None = None  # "approve", "reject", "edit", "timeout"; None while pending
    reason: str | None = None
    edit: Any = None  # the corrected artifact, for an "edit" decision


@dataclass(slots=True)
class RunLog:
    """A run's log, indexed for measurement."""

    run_id: str | None
    pipeline: str | None = None
    mode: str = "on"  # RunStarted.options["gates"]: "on", "shadow" or "off"
    status: str = "running"  # the last RunFinished's status, or "running"
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    units: dict[Unit, list[Attempt]] = field(default_factory=dict)
    gates: list[GateEvaluated] = field(default_factory=list)
    errors: list[StepErrored] = field(default_factory=list)
    calls: list[ModelCalled] = field(default_factory=list)
    approvals: dict[str, Escalation] = field(default_factory=dict)
    step_order: list[str] = field(default_factory=list)
    reads: list[ContextRead] = field(default_factory=list)  # what steps read (provenance)

    def attempt(self, step: str, index: int | None, number: int) -> Attempt | None:
        for attempt in self.units.get((step, index), ()):
            if attempt.number == number:
                return attempt
        return None

    @property
    def escalations(self) -> list[Escalation]:
        return list(self.approvals.values())


def fold(events: Sequence[Event], run_id: str | None = None) -> RunLog:
    """Fold one run's events (in seq order) into a `RunLog`."""
    log = RunLog(run_id)
    open_attempts: dict[tuple[str, int | None, int], Attempt] = {}

    def attempt_for(step: str, index: int | None, number: int, seq: int) -> Attempt:
        key = (step, index, number)
        found = open_attempts.get(key)
        if found is None:
            # An outcome without its StepStarted (a truncated log): still count it.
            found = open_attempts[key] = Attempt(number, seq)
            _add_unit(log, step, index).append(found)
        return found

    for event in events:
        if isinstance(event, StepStarted):
            key = (event.step, event.index, event.attempt)
            # A resumed attempt starts again under the same number: keep one record.
            if key not in open_attempts:
                open_attempts[key] = Attempt(event.attempt, event.seq)
                _add_unit(log, event.step, event.index).append(open_attempts[key])
        elif isinstance(event, StepFinished):
            attempt = attempt_for(event.step, event.index, event.attempt, event.seq)
            attempt.finished, attempt.artifact = True, event.artifact
        elif isinstance(event, StepErrored):
            attempt = attempt_for(event.step, event.index, event.attempt, event.seq)
            attempt.error, attempt.error_kind = event.error, event.kind
            log.errors.append(event)
        elif isinstance(event, GateEvaluated):
            attempt_for(event.step, event.index, event.attempt, event.seq).verdicts.append(event)
            log.gates.append(event)
        elif isinstance(event, ContextRead):
            log.reads.append(event)
        elif isinstance(event, ModelCalled):
            log.calls.append(event)
    state = fold_state(run_id or "", events)
    log.pipeline = state.pipeline
    log.mode = str(state.options.get("gates", "on"))
    log.started_at = state.started_at
    log.status, log.error = str(state.status), state.error
    log.finished_at = state.finished_at if state.status is not RunStatus.RUNNING else None
    for approval_id, approval in (state.approvals or {}).items():
        request = approval.request
        if request.reason != "escalation":
            continue
        decided = approval.decision
        log.approvals[approval_id] = Escalation(
            request.step,
            request.index,
            request.artifact,
            decision=decided.decision if decided is not None else None,
            reason=decided.reason if decided is not None else None,
            edit=decided.edit if decided is not None else None,
        )
    return log


def _add_unit(log: RunLog, step: str, index: int | None) -> list[Attempt]:
    if step not in log.step_order:
        log.step_order.append(step)
    return log.units.setdefault((step, index), [])
