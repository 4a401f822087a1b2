"""The decisions a run takes, as pure functions of the plan, the state and what happened.

The executor calls these and records what they return; resume and every reader apply the
recorded events and never call them again for something already logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamline.events import GateEvaluated, Rewound
from seamline.policies import Failure

if TYPE_CHECKING:
    from seamline.gates import Gate
    from seamline.runtime.plan import Plan
    from seamline.runtime.state import ApprovalState, RunState, Unit
    from seamline.verdict import Verdict


def gate_decision(
    gate: Gate, state: RunState, unit: Unit, attempt: int, verdict: Verdict, seq: int
) -> GateEvaluated:
    """The event for a failed verdict that a gate acts on: its ladder's decision, or
    "budget" once the gate's attempts are spent."""
    step, index = (unit, None) if isinstance(unit, str) else unit
    trouble = state.trouble.get(unit) if state.trouble else None
    failures = (trouble.failures if trouble is not None else 0) + 1
    rung = gate.policy.rung_for(failures)
    decision = rung.decide(Failure(step, index, attempt, failures, verdict))
    label, effect = decision.label, decision.effect
    spent = gate.max_attempts is not None and attempt >= gate.max_attempts
    if spent and effect in ("again", "rewind"):
        label, effect = "budget", "fail"
    model = decision.model if effect == "again" else None
    return GateEvaluated(
        seq=seq,
        step=step,
        attempt=attempt,
        index=index,
        verdict=verdict,
        action=label,
        effect=effect,
        target=decision.target if effect == "rewind" else None,
        model=model if model is None or isinstance(model, str) else model.name,
        feedback=verdict.reasons if decision.feedback and effect in ("again", "rewind") else [],
    )


def rewind(
    plan: Plan,
    state: RunState,
    seq: int,
    *,
    step: str,
    index: int | None,
    feedback: list[str],
    cause: str,
    approval_id: str | None = None,
) -> Rewound:
    """What sending work back to `step` (or one of its items) resets: the event that
    records it, superseded approvals included."""
    below = plan.downstream[step]
    steps = sorted(below if index is None else below - {step})

    def hit(request: Any) -> bool:
        if request.step in steps:
            return True
        return request.step == step and (index is None or request.index == index)

    closes = [
        a.request.approval_id
        for a in (state.approvals.values() if state.approvals else ())
        if a.pending and a.request.approval_id != approval_id and hit(a.request)
    ]
    return Rewound(
        seq=seq,
        step=step,
        index=index,
        steps=steps,
        feedback=feedback,
        cause=cause,
        approval_id=approval_id,
        closes=closes,
    )


def rejection(plan: Plan, state: RunState, approval: ApprovalState, seq: int) -> Rewound:
    """Where a rejected approval sends the work: the decision's `route_to`, else the
    step's `route_to`, else the unit itself; the reason goes with it as feedback."""
    request = approval.request
    decided = approval.decision
    assert decided is not None
    spec = plan.approvals.get(request.step)
    target = decided.route_to or (spec.route_to if spec is not None else None) or request.step
    if decided.decision == "timeout":
        reason = decided.reason or "no decision within the timeout"
    else:
        who = decided.reviewer or "a reviewer"
        reason = f"rejected by {who}: {decided.reason or 'no reason given'}"
    return rewind(
        plan,
        state,
        seq,
        step=target,
        index=request.index if target == request.step else None,
        feedback=[reason],
        cause="rejected",
        approval_id=request.approval_id,
    )
