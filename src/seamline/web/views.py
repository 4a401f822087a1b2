"""What the pages and the API show of a run, read from its log.

The run's state (status, which steps are done, what waits for whom, every decision and
who took it) comes from the one reducer, `seamline.runtime.state.fold`; its attempts,
verdicts and calls from the measurement index `seamline.reliability.runlog.fold`. Nothing
here decides anything about a run: it arranges what those two say, and lists the
recorded events (tool calls, context reads, rewinds) under the attempt that made them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    Rewound,
    RunStarted,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
    ToolCalled,
)
from seamline.reliability.runlog import RunLog
from seamline.reliability.runlog import fold as fold_attempts
from seamline.runtime.shape import StepShape
from seamline.runtime.state import ApprovalState, RunState, fold, unit_of
from seamline.web.diff import Change, changes

# Kinds every page already shows in their own place; any other kind recorded by an
# attempt (a context read, say) is listed under it as it is.
_SHOWN = (
    RunStarted,
    StepStarted,
    StepFinished,
    StepErrored,
    StepSkipped,
    ModelCalled,
    ToolCalled,
    GateEvaluated,
    Rewound,
)


@dataclass(slots=True)
class CheckView:
    name: str
    kind: str
    outcome: str
    reason: str | None


@dataclass(slots=True)
class VerdictView:
    seq: int
    passed: bool
    score: float | None
    reasons: list[str]
    checks: list[CheckView]
    action: str
    effect: str | None
    target: str | None
    model: str | None
    feedback: list[str]


@dataclass(slots=True)
class CallView:
    seq: int
    model: str
    purpose: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    seconds: float
    error: str | None


@dataclass(slots=True)
class ToolView:
    seq: int
    tool: str
    outcome: str
    seconds: float
    arguments: Any
    response: Any
    error: str | None


@dataclass(slots=True)
class PassageView:
    document: str
    version: str
    chunk: int
    title: str | None
    heading: str | None
    score: float
    text: str


@dataclass(slots=True)
class ReadView:
    """One recorded read of the context store (`ctx.search` / `ctx.examples`)."""

    seq: int
    kind: str  # "search" or "examples"
    collection: str
    revision: int
    query: str
    mode: str
    passages: list[PassageView]


@dataclass(slots=True)
class RecordedView:
    """An event of a kind this page has no place for, shown as it was recorded."""

    seq: int
    kind: str
    fields: dict[str, Any]


@dataclass(slots=True)
class AttemptView:
    number: int
    seq: int
    finished: bool
    passed: bool
    artifact: Any
    error: str | None
    error_kind: str | None
    verdicts: list[VerdictView] = field(default_factory=list)
    calls: list[CallView] = field(default_factory=list)
    tools: list[ToolView] = field(default_factory=list)
    reads: list[ReadView] = field(default_factory=list)  # what it read of the context store
    recorded: list[RecordedView] = field(default_factory=list)
    changes: list[Change] | None = None  # against the unit's previous artifact; None: first


@dataclass(slots=True)
class UnitView:
    step: str
    index: int | None
    status: str
    attempts: list[AttemptView]

    @property
    def label(self) -> str:
        return self.step if self.index is None else f"{self.step}[{self.index}]"


@dataclass(slots=True)
class StepView:
    name: str
    shape: StepShape
    status: str  # done, skipped, waiting, running, failed, not started
    units: list[UnitView]
    artifact: Any  # the accepted artifact (a list for a map= step), if complete

    @property
    def attempts(self) -> int:
        return sum(len(u.attempts) for u in self.units)


@dataclass(slots=True)
class DecisionView:
    seq: int
    at: float
    kind: str  # "gate", "approval", "rewind"
    step: str
    index: int | None
    what: str  # the decision, in words
    who: str | None  # the reviewer, for a person's decision
    detail: list[str]


@dataclass(slots=True)
class ApprovalView:
    approval_id: str
    step: str
    index: int | None
    reason: str
    seq: int
    requested_at: float
    artifact: Any
    pending: bool
    superseded: bool
    decision: str | None
    decided_reason: str | None
    reason_code: str | None
    reviewer: str | None
    decided_at: float | None
    edit: Any
    route_to: str | None


@dataclass(slots=True)
class RunView:
    run_id: str
    pipeline: str
    state: RunState
    steps: list[StepView]
    decisions: list[DecisionView]
    approvals: list[ApprovalView]
    inputs: dict[str, Any]
    events: int

    @property
    def status(self) -> str:
        return self.state.status.value


def run_view(run_id: str, events: Sequence[Event], status: str | None = None) -> RunView:
    """Everything the run page shows. `status` overrides the folded one (the store may
    list a run as interrupted, which no event says)."""
    state = fold(run_id, events)
    attempts = fold_attempts(events, run_id)
    extras = _extras(events)
    order = list(state.shape.steps) or attempts.step_order
    for name in attempts.step_order:
        if name not in order:
            order.append(name)
    steps = [_step(name, state, attempts, extras) for name in order]
    view = RunView(
        run_id,
        state.pipeline or "",
        state,
        steps,
        _decisions(events, state),
        [approval_view(a) for a in (state.approvals or {}).values()],
        {k: to_jsonable_python(v) for k, v in state.inputs.items()},
        len(events),
    )
    if status is not None and status != state.status.value:
        view.state.status = type(state.status)(status)
    return view


def _extras(events: Sequence[Event]) -> dict[tuple[str, int | None, int], list[Event]]:
    """Tool calls, context reads and unknown kinds, by the attempt that recorded them."""
    by_attempt: dict[tuple[str, int | None, int], list[Event]] = {}
    for e in events:
        if isinstance(e, ToolCalled) or not isinstance(e, (*_SHOWN, ApprovalRequested)):
            step, attempt = getattr(e, "step", None), getattr(e, "attempt", None)
            if isinstance(step, str) and isinstance(attempt, int):
                by_attempt.setdefault((step, getattr(e, "index", None), attempt), []).append(e)
    return by_attempt


def _step(
    name: str,
    state: RunState,
    log: RunLog,
    extras: Mapping[tuple[str, int | None, int], list[Event]],
) -> StepView:
    shape = state.shape.step(name)
    units = []
    for (step, index), attempts in log.units.items():
        if step != name:
            continue
        views: list[AttemptView] = []
        previous: Any = None
        for a in attempts:
            view = AttemptView(
                a.number,
                a.seq,
                a.finished,
                a.passed,
                to_jsonable_python(a.artifact),
                a.error,
                a.error_kind,
                [_verdict(g) for g in a.verdicts],
            )
            for e in extras.get((step, index, a.number), ()):
                if isinstance(e, ToolCalled):
                    view.tools.append(
                        ToolView(
                            e.seq, e.tool, e.outcome, e.seconds, e.request, e.response, e.error
                        )
                    )
                elif isinstance(e, ContextRead):
                    view.reads.append(_read(e))
                else:
                    view.recorded.append(_recorded(e))
            if a.finished:
                view.changes = changes(previous, a.artifact) if previous is not None else None
                previous = a.artifact
            views.append(view)
        for call in log.calls:
            if call.step == name and call.index == index:
                for view in views:
                    if view.number == call.attempt:
                        view.calls.append(_call(call))
        units.append(UnitView(step, index, _unit_status(state, unit_of(step, index)), views))
    units.sort(key=lambda u: -1 if u.index is None else u.index)
    done = name in state.done
    artifact = state.artifacts.get(name) if name in state.artifacts else None
    return StepView(
        name,
        shape,
        _step_status(state, name, units),
        units,
        to_jsonable_python(artifact) if done or artifact is not None else None,
    )


def _unit_status(state: RunState, unit: Any) -> str:
    if state.waiting and unit in state.waiting:
        return "waiting"
    if state.accepted(unit)[0]:
        return "accepted"
    if state.awaiting and unit in state.awaiting:
        return "awaiting verdict"
    if state.status.is_final:
        return "stopped"
    return "running" if state.in_flight(unit) else "pending"


def _step_status(state: RunState, name: str, units: Sequence[UnitView]) -> str:
    if state.skipped and name in state.skipped:
        return "skipped"
    if name in state.done:
        return "done"
    if any(u.status == "waiting" for u in units) or name in state.artifacts:
        return "waiting"
    if not units:
        return "not started"
    if state.status.is_final:
        return "failed" if state.status.value == "failed" else "stopped"
    return "running"


def _verdict(g: GateEvaluated) -> VerdictView:
    v = g.verdict
    return VerdictView(
        g.seq,
        v.passed,
        v.score,
        list(v.reasons),
        [CheckView(c.name, c.kind, str(c.outcome), c.reason) for c in v.checks],
        g.action,
        g.effect,
        g.target,
        g.model,
        list(g.feedback or []),
    )


def _call(c: ModelCalled) -> CallView:
    return CallView(
        c.seq,
        c.model,
        c.purpose,
        c.input_tokens,
        c.output_tokens,
        c.cost_usd,
        c.seconds,
        c.error,
    )


def _read(e: ContextRead) -> ReadView:
    passages = [
        PassageView(
            str(p.get("document", "")),
            str(p.get("version", "")),
            int(p.get("chunk", 0)),
            p.get("title"),
            p.get("heading"),
            float(p.get("score", 0.0)),
            str(p.get("text", "")),
        )
        for p in e.passages
    ]
    return ReadView(e.seq, e.kind, e.collection, e.revision, e.query, e.mode, passages)


def _recorded(e: Event) -> RecordedView:
    data = {
        f.name: to_jsonable_python(getattr(e, f.name))
        for f in dataclasses.fields(e)
        if f.name not in ("seq", "at", "step", "attempt", "index")
    }
    return RecordedView(e.seq, type(e).__name__, data)


def approval_view(a: ApprovalState) -> ApprovalView:
    r, d = a.request, a.decision
    return ApprovalView(
        r.approval_id,
        r.step,
        r.index,
        r.reason,
        r.seq,
        r.at,
        to_jsonable_python(r.artifact),
        a.pending,
        a.superseded,
        d.decision if d else None,
        d.reason if d else None,
        d.reason_code if d else None,
        _who(d) if d else None,
        d.at if d else None,
        d.edit if d else None,
        d.route_to if d else None,
    )


def _decisions(events: Sequence[Event], state: RunState) -> list[DecisionView]:
    """Every decision the log records, in order: the gates' (other than a plain pass),
    people's, and the rewinds they caused."""
    out: list[DecisionView] = []
    approvals = state.approvals or {}
    for e in events:
        if isinstance(e, GateEvaluated) and e.action not in ("pass", "shadow"):
            what = e.action if e.effect in (None, e.action) else f"{e.action} → {e.effect}"
            what += f" to {e.target}" if e.target else ""
            out.append(
                DecisionView(
                    e.seq,
                    e.at,
                    "gate",
                    e.step,
                    e.index,
                    what,
                    None,
                    list(e.feedback or e.verdict.reasons),
                )
            )
        elif isinstance(e, Rewound):
            out.append(
                DecisionView(
                    e.seq,
                    e.at,
                    "rewind",
                    e.step,
                    e.index,
                    f"work went back to {e.step} ({e.cause}); reset: {', '.join(e.steps) or '-'}",
                    None,
                    list(e.feedback),
                )
            )
        elif isinstance(e, ApprovalDecided):
            approval = approvals.get(e.approval_id)
            if approval is None or approval.decision is not e:
                continue  # one the reducer did not take (a duplicate in a hand-edited log)
            r = approval.request
            detail = [x for x in (approval.decision.reason,) if x]
            if approval.decision.decision == "edit":
                detail += [
                    f"{c.path or 'artifact'}: {_short(c.before)} → {_short(c.after)}"
                    for c in changes(r.artifact, approval.decision.edit)
                ]
            if approval.decision.reason_code:
                detail.insert(0, f"code: {approval.decision.reason_code}")
            out.append(
                DecisionView(
                    e.seq,
                    e.at,
                    "approval",
                    r.step,
                    r.index,
                    f"{approval.decision.decision} ({r.reason} {r.approval_id})",
                    _who(approval.decision),
                    detail,
                )
            )
    return out


def _who(decided: ApprovalDecided) -> str | None:
    """Who decided, with code standing in for a person (an eval's reviewer) labelled so."""
    if decided.reviewer_kind == "simulated":
        return f"{decided.reviewer or 'a reviewer'} (simulated)"
    return decided.reviewer


def _short(value: Any) -> str:
    text = json.dumps(to_jsonable_python(value), ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def descendants(shape: Mapping[str, StepShape], step: str) -> list[str]:
    """The steps computed from `step` (itself first), in the graph's order."""
    found = {step}
    changed = True
    while changed:
        changed = False
        for name, s in shape.items():
            if name not in found and any(r in found for r in s.reads):
                found.add(name)
                changed = True
    return [n for n in shape if n in found]


def ancestors(shape: Mapping[str, StepShape], step: str) -> list[str]:
    """The steps `step` is computed from, in the graph's order (inputs left out)."""
    found: set[str] = set()
    stack = [r for r in shape.get(step, StepShape()).reads if r in shape]
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(r for r in shape[name].reads if r in shape)
    return [n for n in shape if n in found]
