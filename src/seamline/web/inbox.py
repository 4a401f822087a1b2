"""One inbox item: an approval with everything a reviewer needs to decide it.

The artifact as requested, the gate's verdicts on every attempt of that unit and the
feedback each one handed on, what the step read (the artifacts named by its parameters,
and any recorded context reads), what each choice would do, the steps the work may be
routed back to, and the fingerprint the decision is bound to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.approvals import fingerprint
from seamline.events import TOOL_CALL
from seamline.runtime.shape import StepShape
from seamline.web.views import ApprovalView, AttemptView, RunView, ancestors, descendants


@dataclass(slots=True)
class Effect:
    choice: str  # approve, edit, reject
    possible: bool
    text: str


@dataclass(slots=True)
class InboxItem:
    approval: ApprovalView
    run: RunView
    fingerprint: str
    attempts: list[AttemptView]  # the unit's, oldest first: the feedback history
    reads: dict[str, Any]  # what the step read, by parameter name
    effects: list[Effect]
    route_options: list[str]  # where a rejection may send the work: the step first
    earlier: list[ApprovalView] = field(default_factory=list)  # this unit's decided approvals

    @property
    def unit_label(self) -> str:
        a = self.approval
        return a.step if a.index is None else f"{a.step}[{a.index}]"


def inbox_item(run: RunView, approval_id: str) -> InboxItem | None:
    """The item for `approval_id` of this run, or None if the run has no such approval."""
    state = run.state
    approval = (state.approvals or {}).get(approval_id)
    if approval is None:
        return None
    request = approval.request
    view = next(a for a in run.approvals if a.approval_id == approval_id)
    shape = state.shape.steps
    attempts: list[AttemptView] = []
    for step in run.steps:
        if step.name == request.step:
            for unit in step.units:
                if unit.index == request.index:
                    attempts = [a for a in unit.attempts if a.seq < request.seq]
    earlier = [
        a
        for a in run.approvals
        if a.step == request.step
        and a.index == request.index
        and a.approval_id != approval_id
        and a.seq < request.seq
    ]
    return InboxItem(
        view,
        run,
        fingerprint(request),
        attempts,
        _reads(state.shape.step(request.step), state.artifacts, request.index),
        (
            tool_call_effects(request.artifact)
            if request.reason == TOOL_CALL
            else effects(
                shape, request.step, request.index, request.reason, request.artifact is not None
            )
        ),
        # A rejected tool call goes to the model that asked for it, nowhere else.
        []
        if request.reason == TOOL_CALL
        else [request.step, *reversed(ancestors(shape, request.step))],
        earlier,
    )


def _reads(shape: StepShape, artifacts: Mapping[str, Any], index: int | None) -> dict[str, Any]:
    out = {}
    for name in shape.reads:
        if name not in artifacts:
            continue
        value = artifacts[name]
        if index is not None and name == shape.map and isinstance(value, list):
            value = value[index] if index < len(value) else None
        out[name] = to_jsonable_python(value)
    return out


def tool_call_effects(shown: Any) -> list[Effect]:
    """What approve, edit and reject do to a tool call that waits, in words."""
    shown = shown if isinstance(shown, Mapping) else {}
    tool = shown.get("tool", "the tool")
    if shown.get("outcome_unknown"):  # it may have happened already: a person checks
        return [
            Effect(
                "approve",
                True,
                f"You checked and the call did not happen: {tool} is called again, once, "
                "with the arguments shown, when the run resumes; the model gets its result.",
            ),
            Effect(
                "edit",
                True,
                f"{tool} is called again, once, with your arguments instead (checked against "
                "the tool's input schema before anything is recorded).",
            ),
            Effect(
                "reject",
                True,
                "The call is not made again; the model is told what you found (your "
                "reason: say whether it happened) as the call's result.",
            ),
        ]
    return [
        Effect(
            "approve",
            True,
            f"{tool} is called once, with exactly the arguments shown, when the run resumes; "
            "the model gets its result and the step goes on.",
        ),
        Effect(
            "edit",
            True,
            f"{tool} is called once with your arguments instead (checked against the tool's "
            "input schema before anything is recorded); the model gets its result.",
        ),
        Effect(
            "reject",
            True,
            f"{tool} is not called; the model is told your reason as the call's result, and "
            "the step goes on without it.",
        ),
    ]


def effects(
    shape: Mapping[str, StepShape], step: str, index: int | None, reason: str, has_artifact: bool
) -> list[Effect]:
    """What approve, edit and reject would do, in words."""
    after = [s for s in descendants(shape, step) if s != step]
    nexts = ", ".join(after) if after else "nothing: the run finishes"
    unit = step if index is None else f"{step}[{index}]"
    returns = shape[step].returns if step in shape else "its type"
    route = (shape[step].route_to if step in shape else None) or step
    redo = ", ".join(descendants(shape, route)) if shape else route
    if reason == "escalation":
        approve = Effect(
            "approve",
            has_artifact,
            f"You accept the artifact of {unit} that the gate rejected (the decision is "
            f"recorded as overriding the gate); the run continues with {nexts}."
            if has_artifact
            else "Not possible: the escalated attempt produced no valid artifact. Edit it instead.",
        )
    else:
        approve = Effect(
            "approve",
            True,
            f"The {unit} artifact is approved as shown; the run continues with {nexts}.",
        )
    return [
        approve,
        Effect(
            "edit",
            True,
            f"Your corrected artifact (checked against {returns} before anything is recorded) "
            f"replaces the one shown and is approved; the run continues with {nexts}.",
        ),
        Effect(
            "reject",
            True,
            f"The work goes back to {route} (or the step you choose) with your reason as "
            f"feedback; {redo} are computed again, with new approvals where they need them.",
        ),
    ]
