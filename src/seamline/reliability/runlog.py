"""One run's event log, folded into units and attempts: what the metrics are computed from.

A *unit* is one (step, index) of a run: index is the item number of a `map=` step and
None otherwise. Each unit has numbered attempts; an attempt *passed its seam* when it
finished with an artifact and every gate verdict written for it passed (a step without
a gate passes by finishing). Nothing here interprets policy: it only reads the log. The
run's status and error come from the run-state reducer (`seamline.runtime.state`), which
every reader of a run shares.

Time is split in two: *active* seconds, while a process drove the run (from `RunStarted`
or `RunResumed` to the `RunFinished` that follows), and seconds *waiting for a person*
(from each `ApprovalRequested` to its decision, or to the end of the log while pending).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
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
class Review:
    """An approval request and its decision: a checkpoint, or a gate's escalation."""

    step: str
    index: int | None
    artifact: Any
    kind: str = "escalation"  # ApprovalRequested.reason: "approval" or "escalation"
    requested_at: float = 0.0
    decision: str | None = None  # "approve", "reject", "edit", "timeout"; None while pending
    reason: str | None = None
    edit: Any = None  # the corrected artifact, for an "edit" decision
    reviewer: str | None = None
    reviewer_kind: str | None = None  # "human" or "simulated" once decided
    decided_at: float | None = None
    superseded_at: float | None = None  # its work was reset before anyone decided

    @property
    def changed(self) -> bool:
        """The reviewer changed the work (an edit, or a rejection that sends it back)."""
        return self.decision in ("edit", "reject")


Escalation = Review  # the name measure() used before checkpoints were folded in too


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
    reviews: dict[str, Review] = field(default_factory=dict)  # approval id -> review
    step_order: list[str] = field(default_factory=list)
    active_seconds: float = 0.0
    last_at: float | None = None
    reads: list[ContextRead] = field(default_factory=list)  # what steps read (provenance)

    def attempt(self, step: str, index: int | None, number: int) -> Attempt | None:
        for attempt in self.units.get((step, index), ()):
            if attempt.number == number:
                return attempt
        return None

    @property
    def escalations(self) -> list[Review]:
        """Reviews a gate asked for (not the pipeline's checkpoints)."""
        return [r for r in self.reviews.values() if r.kind == "escalation"]

    @property
    def pending(self) -> list[Review]:
        return [r for r in self.reviews.values() if r.decision is None and r.superseded_at is None]

    @property
    def waiting_seconds(self) -> float:
        """Time the run waited for a person: request to decision (to the log's end if pending)."""
        end = self.last_at or 0.0

        def closed(r: Review) -> float:
            return next((t for t in (r.decided_at, r.superseded_at) if t is not None), end)

        return sum(max(0.0, closed(r) - r.requested_at) for r in self.reviews.values())

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(call.model for call in self.calls))


def fold(events: Sequence[Event], run_id: str | None = None) -> RunLog:
    """Fold one run's events (in seq order) into a `RunLog`."""
    log = RunLog(run_id)
    open_attempts: dict[tuple[str, int | None, int], Attempt] = {}
    driving_since: float | None = None

    def attempt_for(step: str, index: int | None, number: int, seq: int) -> Attempt:
        key = (step, index, number)
        found = open_attempts.get(key)
        if found is None:
            # An outcome without its StepStarted (a truncated log): still count it.
            found = open_attempts[key] = Attempt(number, seq)
            _add_unit(log, step, index).append(found)
        return found

    for event in events:
        log.last_at = event.at
        if isinstance(event, RunStarted):
            log.pipeline = event.pipeline
            log.mode = str(event.options.get("gates", "on"))
            log.started_at = driving_since = event.at
        elif isinstance(event, StepStarted):
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
        elif isinstance(event, ApprovalRequested):
            log.reviews[event.approval_id] = Review(
                event.step, event.index, event.artifact, event.reason, event.at
            )
        elif isinstance(event, ApprovalDecided):
            review = log.reviews.get(event.approval_id)
            if review is not None:
                review.decision, review.reason = event.decision, event.reason
                review.edit, review.reviewer = event.edit, event.reviewer
                review.reviewer_kind = getattr(event, "reviewer_kind", "human")
                review.decided_at = event.at
        elif isinstance(event, Rewound):
            for approval_id in event.closes:  # reset before anyone decided: not decidable
                if approval_id in log.reviews and log.reviews[approval_id].decision is None:
                    log.reviews[approval_id].superseded_at = event.at
        elif isinstance(event, RunFinished):
            log.status, log.error, log.finished_at = str(event.status), event.error, event.at
            if driving_since is not None:
                log.active_seconds += max(0.0, event.at - driving_since)
                driving_since = None
        elif isinstance(event, RunResumed):
            log.status = "running"
            driving_since = event.at
    if events:
        state = fold_state(run_id or "", events)
        log.status, log.error = str(state.status), state.error
    return log


def _add_unit(log: RunLog, step: str, index: int | None) -> list[Attempt]:
    if step not in log.step_order:
        log.step_order.append(step)
    return log.units.setdefault((step, index), [])
