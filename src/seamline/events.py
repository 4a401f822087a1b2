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
    # Never logged: how a store lists a run still marked running whose owner is gone
    # (its process died, or lost its lease). `seamline resume --interrupted` resumes them.
    INTERRUPTED = "interrupted"

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
    # "step"; "judge" for a gate's judge; "sample" for a consensus gate's sample (sl.agree);
    # "agent" for an agent step's turn
    purpose: str = "step"


@dataclass(slots=True, kw_only=True)
class ToolCalled(Event):
    """One tool call: from `ctx.call_tool`, or made by an agent step's model.

    `tool` is seamline's name for it (`"lookup"` for a Python function, `"fs.read_file"`
    for tool `read_file` of the MCP server declared as `fs`). An error the model was told
    about (and could correct) and one that failed the attempt both set `error`.
    """

    step: str
    attempt: int
    tool: str
    request: dict[str, Any]
    response: Any
    seconds: float = 0.0
    error: str | None = None
    index: int | None = None
    server: str | None = None  # the MCP server's declared name; None for a Python tool
    call_id: str | None = None  # the id the model gave the call, in an agent step
    # "ok"; "retry": the error went back to the model, which may try again; "failed": the
    # error failed the attempt; "refused": not made (not allowed, or a person rejected it).
    outcome: str = "ok"


@dataclass(slots=True, kw_only=True)
class ContextRead(Event):
    """A step read the context store (`ctx.search` / `ctx.examples`): what it asked, the
    collection's revision it read (the one current when the run started), and every
    passage returned, text included, so a replay needs neither the store nor the embedder."""

    step: str
    attempt: int
    collection: str
    query: str
    revision: int
    passages: list[dict[str, Any]]  # `seamline.context.Passage` fields
    k: int = 5
    where: dict[str, Any] | None = None
    mode: str = "hybrid"
    kind: str = "search"  # "search", or "examples" (approved examples of a step)
    seconds: float = 0.0
    index: int | None = None


@dataclass(slots=True, kw_only=True)
class GateEvaluated(Event):
    """A gate's verdict on one attempt, and the decision taken on it.

    The decision is recorded, never re-made: resume and every reader apply these fields
    as they are, whatever the pipeline's policy says today.
    """

    step: str
    attempt: int
    verdict: Verdict
    # The rung's label: "pass", "retry", "reroute:<step>", "fallback:<model>", "escalate",
    # "fail", "budget", or any label of a custom rung; in shadow mode always "shadow".
    action: str
    index: int | None = None
    # What happens next: "pass", "again" (the unit runs again), "rewind" (the work goes
    # back to `target`; a `Rewound` follows), "escalate" (an `ApprovalRequested`
    # follows), "fail" (the run ends). None in logs older than these fields.
    effect: str | None = None
    target: str | None = None  # the step the work goes back to, for "rewind"
    model: str | None = None  # the model (by name) the unit's next attempts use, if changed
    feedback: list[str] | None = None  # the reasons handed to the next attempt


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
    reason_code: str | None = None  # a rejection's category (e.g. "wrong_value"), beside its text


@dataclass(slots=True, kw_only=True)
class Rewound(Event):
    """Work goes back to an earlier point: what a reroute or a rejection reset.

    The units reset lose their artifacts (and approvals) and are computed again; their
    attempt numbers and ladder positions carry on.
    """

    step: str  # where the work goes back to
    steps: list[str]  # every step whose units are all reset (what was computed from `step`)
    feedback: list[str]  # handed to `step`'s next attempts (every item's, for a map= step)
    cause: str  # "reroute" (a gate's decision) or "rejected" (a person's)
    index: int | None = None  # only this item of `step` is reset (a per-item rejection)
    approval_id: str | None = None  # the rejected approval, for "rejected"
    closes: list[str] = field(default_factory=list)  # approvals superseded: no longer decidable


@dataclass(slots=True, kw_only=True)
class RunResumed(Event):
    """A process picked the run up again from its log."""

    pid: int
    # Where the session's trace is (a W3C traceparent), when the run is traced
    # (`seamline.otel`): a later session continues the same trace and links to this one.
    traceparent: str | None = None


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
        ContextRead,
        GateEvaluated,
        ApprovalRequested,
        ApprovalDecided,
        Rewound,
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
