"""A run's verdicts and people as telemetry: a gate's decision on the attempt it judged
(its outcome, a `gen_ai.evaluation.result` event per check and judge, the seam counters),
and the wait for a person as an `approval` span, with the escapes people find.

Handlers of `seamline.otel.spans.RunTrace`, one per event kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from seamline.events import ApprovalDecided, ApprovalRequested, GateEvaluated
from seamline.otel import conventions as c
from seamline.runtime.state import decision_effect, step_of, unit_of

if TYPE_CHECKING:
    from seamline.otel.spans import RunTrace

# What happens to an attempt after its verdict, by the decision's effect.
OUTCOMES = {
    "pass": "accepted",
    "again": "retry",
    "rewind": "rerouted",
    "escalate": "escalated",
    "fail": "rejected",
    "budget": "rejected",
}


def gate_evaluated(t: RunTrace, e: GateEvaluated) -> None:
    unit = unit_of(e.step, e.index)
    t.verdicts[unit] = e.verdict.passed
    if not t.emit:
        return
    key = (unit, e.attempt)
    span = t.attempt(unit, e.attempt)
    gate = t.gates.get(key)
    if gate is None and key in t.judged:  # judged in this session, finished in one before
        seq, at = t.judged[key]
        parent = trace.set_span_in_context(span, Context()) if span else t.root_context
        gate = t.gates[key] = t.start(
            f"gate {e.step}",
            parent,
            at,
            {c.STEP: e.step, c.ATTEMPT: e.attempt},
            key=("gate", seq),
        )
    effect = decision_effect(e)
    verdict = e.verdict
    decided: dict[str, AttributeValue] = {
        c.GATE_PASSED: verdict.passed,
        c.GATE_ACTION: e.action,
        c.GATE_EFFECT: effect,
    }
    if verdict.score is not None:
        decided[c.GATE_SCORE] = verdict.score
    if e.target is not None:
        decided[c.GATE_TARGET] = e.target
    if e.model is not None:
        decided[c.MODEL] = e.model
    if span is not None:
        evaluations(t, e, span)
        span.set_attributes(decided)
        outcome = OUTCOMES.get(effect, effect)
        if effect == "again" and e.model is not None:
            outcome = "fallback"
        span.set_attribute(c.OUTCOME, outcome)
        if effect in ("fail", "budget"):
            span.set_status(Status(StatusCode.ERROR, f"gate {e.action}"))
    if gate is not None:
        gate.set_attributes(decided)
    if span is not None:
        t.end_attempt(key, span, c.nanos(e.at))
    elif gate is not None:
        gate.end(c.nanos(e.at))
        del t.gates[key]
    if verdict.passed:
        t.seam("pass", e.step)
    else:
        t.seam("gate_error" if verdict.errored else "catch", e.step)
    if effect == "escalate":
        t.seam("escalation", e.step)


def evaluations(t: RunTrace, e: GateEvaluated, span: Span) -> None:
    """One `gen_ai.evaluation.result` per check and judge, on the attempt it judged."""
    for check in e.verdict.checks:
        attributes: dict[str, AttributeValue] = {
            c.EVALUATION_NAME: check.name,
            c.EVALUATION_LABEL: c.LABELS.get(check.outcome.value, check.outcome.value),
            c.CHECK_KIND: check.kind,
        }
        if check.score is not None:
            attributes[c.EVALUATION_SCORE] = float(check.score)
        if check.reason:
            attributes[c.EVALUATION_EXPLANATION] = t.redact(check.reason)
        if check.outcome.value == "error":
            attributes[c.ERROR_TYPE] = c.error_type(check.reason, "_OTHER")
        span.add_event(c.EVALUATION_EVENT, attributes, c.nanos(e.at))
        if t.logger is not None:
            t.logger.emit(
                timestamp=c.nanos(e.at),
                context=trace.set_span_in_context(span, Context()),
                event_name=c.EVALUATION_EVENT,
                attributes={**attributes, c.STEP: e.step, c.ATTEMPT: e.attempt},
            )


def approval_requested(t: RunTrace, e: ApprovalRequested) -> None:
    t.requested[e.approval_id] = len(t.sessions)


def approval_decided(t: RunTrace, e: ApprovalDecided) -> None:
    if t.emit:
        decided(t, e)


def decided(t: RunTrace, e: ApprovalDecided) -> None:
    """The wait for a person, as a span from the request to the decision, in the
    session that asked; and an escape when the person overruled a passed gate."""
    state = t.state
    approval = state.approvals.get(e.approval_id) if state.approvals else None
    if approval is None or approval.decision is not e:
        return  # refused by the reducer (not pending, or unknown)
    request = approval.request
    effect = state.effect_of(approval) or e.decision
    attributes: dict[str, AttributeValue] = {
        c.STEP: request.step,
        c.APPROVAL_ID: e.approval_id,
        c.APPROVAL_KIND: request.reason,
        c.APPROVAL_DECISION: e.decision,
        c.APPROVAL_EFFECT: effect,
        c.APPROVAL_REVIEWER_KIND: e.reviewer_kind,
        c.CONVERSATION_ID: t.run_id,
    }
    if request.index is not None:
        attributes[c.INDEX] = request.index
    if t.content:
        if e.reviewer:
            attributes[c.APPROVAL_REVIEWER] = t.redact(e.reviewer)
        if e.reason:
            attributes[c.APPROVAL_REASON] = t.redact(e.reason)
    session = t.requested.get(e.approval_id, 0)
    asked = t.sessions[session - 1] if 0 < session <= len(t.sessions) else None
    parent = (
        trace.set_span_in_context(trace.NonRecordingSpan(asked), Context())
        if asked is not None
        else t.root_context
    )
    span = t.start(
        f"approval {request.step}",
        parent,
        request.at,
        attributes,
        key=("approval", request.seq),
    )
    span.end(c.nanos(max(e.at, request.at)))
    if (
        request.reason == "approval"
        and effect in ("reject", "edit")
        and request.step in state.shape.judged
        and gate_passed(t, request.step, request.index)
    ):
        t.seam("escape", request.step)


def gate_passed(t: RunTrace, step: str, index: int | None) -> bool:
    if index is not None or step in t.verdicts:
        return t.verdicts.get(unit_of(step, index), False)
    items = [passed for unit, passed in t.verdicts.items() if step_of(unit) == step]
    return bool(items) and all(items)
