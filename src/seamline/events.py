"""The run log's vocabulary: every run is an append-only sequence of these events.

State is derived from the log and nothing else: the executor writes events, the
stores keep them in order, and resume, replay, reports and the CLI read them back.

Events are plain slotted dataclasses (not frozen: that doubles their construction
cost on the executor's hot path); treat them as immutable values. Stores that persist them use `encode` / `decode`; there
artifacts travel as JSON and are revalidated against the step's type on the way in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from seamline.verdict import Verdict


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"  # suspended on a human approval; resumes on the decision
    NEEDS_REVIEW = "needs_review"  # a gate escalated to a human
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


@dataclass(slots=True, kw_only=True)
class Event:
    seq: int  # position in the run's log, from 0; (run_id, seq) is unique in every store
    at: float = field(default_factory=time.time)


@dataclass(slots=True, kw_only=True)
class RunStarted(Event):
    pipeline: str
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class StepStarted(Event):
    step: str
    attempt: int
    index: int | None = None  # the item, for a map= step
    model: str | None = None  # set when a policy switched the step to a fallback model


@dataclass(slots=True, kw_only=True)
class StepFinished(Event):
    step: str
    attempt: int
    artifact: Any  # the step's Pydantic artifact (raw JSON when read back from a store)
    index: int | None = None


@dataclass(slots=True, kw_only=True)
class StepErrored(Event):
    """An attempt ended without an artifact."""

    step: str
    attempt: int
    error: str
    kind: str  # "exception", "timeout", "type" (wrong return type), "retry" (Retry raised)
    index: int | None = None


@dataclass(slots=True, kw_only=True)
class StepSkipped(Event):
    step: str
    reason: str


@dataclass(slots=True, kw_only=True)
class ModelCalled(Event):
    """One model call, with everything needed to replay it offline."""

    step: str
    attempt: int
    model: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    error: str | None = None
    index: int | None = None
    purpose: str = "step"  # "step", or "judge" for a gate's judge


@dataclass(slots=True, kw_only=True)
class ToolCalled(Event):
    step: str
    attempt: int
    tool: str
    request: dict[str, Any]
    response: Any
    seconds: float = 0.0
    error: str | None = None
    index: int | None = None


@dataclass(slots=True, kw_only=True)
class GateEvaluated(Event):
    step: str
    attempt: int
    verdict: Verdict
    # What the run did about it: "pass", "retry", "reroute:<step>", "fallback:<model>",
    # "escalate", "fail", "budget"; in shadow mode always "shadow".
    action: str
    index: int | None = None


@dataclass(slots=True, kw_only=True)
class ApprovalRequested(Event):
    approval_id: str
    step: str
    artifact: Any
    reason: str = "approval"  # "approval" for pipe.approval(), "escalation" from a gate
    index: int | None = None
    timeout_at: float | None = None


@dataclass(slots=True, kw_only=True)
class ApprovalDecided(Event):
    approval_id: str
    decision: str  # "approve", "reject", "edit", or "timeout"
    reason: str | None = None
    edit: Any = None
    reviewer: str | None = None
    route_to: str | None = None
    # "human", or "simulated" for a decision made by code standing in for a person (an
    # eval's reviewer): reports never count a simulated decision as human agreement.
    reviewer_kind: str = "human"


@dataclass(slots=True, kw_only=True)
class RunResumed(Event):
    """A process picked the run up again from its log."""

    pid: int


@dataclass(slots=True, kw_only=True)
class RunFinished(Event):
    """The executing process stopped driving the run; `status` says why."""

    status: RunStatus
    error: str | None = None
    error_type: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        RunStarted,
        StepStarted,
        StepFinished,
        StepErrored,
        StepSkipped,
        ModelCalled,
        ToolCalled,
        GateEvaluated,
        ApprovalRequested,
        ApprovalDecided,
        RunResumed,
        RunFinished,
    )
}


def encode(event: Event) -> tuple[str, dict[str, Any]]:
    """An event as (kind, JSON-ready payload without seq), for stores that persist."""
    payload = to_jsonable_python(event)
    del payload["seq"]
    return type(event).__name__, payload


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    return TypeAdapter(EVENT_TYPES[kind])


def decode(kind: str, seq: int, payload: dict[str, Any]) -> Event:
    """Rebuild an event from `encode`'s output. Artifacts stay raw JSON."""
    event: Event = _adapter(kind).validate_python({**payload, "seq": seq})
    return event
