"""The feedback dataset: every human decision, with what was judged and what the gates said.

One row per decision. Rows say whether the reviewer agreed with the gate on that seam
(the gate's last verdict before the request, against approve vs reject/edit), which is
how far the judges can be trusted, per gate. `reviewer_kind` tells a person's decision
("human") from one made by code in a person's place ("simulated", e.g. an eval's
reviewer); `agreement` counts only human decisions: a simulated reviewer agreeing with a
gate says nothing about how a person would judge it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    Event,
    GateEvaluated,
    RunStarted,
)
from seamline.exceptions import ConfigError
from seamline.store.base import RunStore


@dataclass(slots=True)
class FeedbackRow:
    run_id: str
    pipeline: str
    step: str
    index: int | None
    approval_id: str
    kind: str  # "approval" (a checkpoint) or "escalation" (a gate asked for a human)
    artifact: Any
    decision: str  # approve, reject, edit (timeouts are not human decisions: left out)
    reason: str | None
    edit: Any
    reviewer: str | None  # who decided: the audit trail
    requested_at: float
    decided_at: float
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # the gate's, on this unit
    gate_passed: bool | None = None  # the last verdict before the request
    human_agrees: bool | None = None  # None when no gate judged this unit, or not a human
    reviewer_kind: str = "human"  # "human", or "simulated" (code deciding in a person's place)
    reviewer_agrees: bool | None = None  # agreement with the gate, whoever decided
    reason_code: str | None = None  # the reason's category, when the reviewer gave one


def feedback_rows(logs: Mapping[str, Sequence[Event]]) -> list[FeedbackRow]:
    """The decisions in these run logs (run id -> events), oldest first."""
    rows = []
    for run_id, events in logs.items():
        pipeline = events[0].pipeline if events and isinstance(events[0], RunStarted) else "?"
        requests: dict[str, ApprovalRequested] = {}
        verdicts: dict[tuple[str, int | None], list[GateEvaluated]] = {}
        for e in events:
            if isinstance(e, GateEvaluated):
                verdicts.setdefault((e.step, e.index), []).append(e)
            elif isinstance(e, ApprovalRequested):
                requests[e.approval_id] = e
            elif (
                isinstance(e, ApprovalDecided)
                and e.decision != "timeout"
                and e.approval_id in requests
            ):
                rows.append(_row(run_id, pipeline, requests[e.approval_id], e, verdicts))
    return sorted(rows, key=lambda r: r.decided_at)


def _row(
    run_id: str,
    pipeline: str,
    request: ApprovalRequested,
    decided: ApprovalDecided,
    verdicts: Mapping[tuple[str, int | None], list[GateEvaluated]],
) -> FeedbackRow:
    before = [v for v in verdicts.get((request.step, request.index), []) if v.seq < request.seq]
    # A tool call's approval is no judgement of the step's artifact: no gate to agree with.
    gate_passed = before[-1].verdict.passed if before and request.reason != TOOL_CALL else None
    approved = decided.decision == "approve"
    agrees = None if gate_passed is None else gate_passed == approved
    kind = getattr(decided, "reviewer_kind", "human")
    return FeedbackRow(
        run_id=run_id,
        pipeline=pipeline,
        step=request.step,
        index=request.index,
        approval_id=request.approval_id,
        kind=request.reason,
        artifact=to_jsonable_python(request.artifact),
        decision=decided.decision,
        reason=decided.reason,
        edit=decided.edit,
        reviewer=decided.reviewer,
        requested_at=request.at,
        decided_at=decided.at,
        verdicts=[
            {
                "attempt": v.attempt,
                "passed": v.verdict.passed,
                "score": v.verdict.score,
                "reasons": v.verdict.reasons,
                "action": v.action,
            }
            for v in before
        ],
        gate_passed=gate_passed,
        human_agrees=agrees if kind == "human" else None,
        reviewer_kind=kind,
        reviewer_agrees=agrees,
        reason_code=decided.reason_code,
    )


def agreement(rows: Iterable[FeedbackRow]) -> dict[str, dict[str, float]]:
    """Per gated step: human decisions on units the gate judged, how many agreed, the rate.

    Simulated decisions are left out (see the module docstring)."""
    per: dict[str, list[bool]] = {}
    for row in rows:
        if row.human_agrees is not None:
            per.setdefault(row.step, []).append(row.human_agrees)
    return {
        step: {"decisions": len(agrees), "agree": sum(agrees), "rate": sum(agrees) / len(agrees)}
        for step, agrees in sorted(per.items())
    }


async def load_logs(store: RunStore, *, pipeline: str | None = None) -> dict[str, list[Event]]:
    return {r.run_id: await store.load(r.run_id) for r in await store.runs(pipeline=pipeline)}


def write_rows(rows: Sequence[FeedbackRow], path: Path, fmt: str) -> Path:
    records = [to_jsonable_python(asdict(r)) for r in rows]
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return path
    if fmt != "parquet":
        raise ConfigError(f"format {fmt!r}: use jsonl or parquet")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("parquet export needs pyarrow: pip install 'seamline[parquet]'") from None
    # Nested values (artifacts, verdicts) go in as JSON text: their shape differs per step.
    columns: dict[str, list[Any]] = {name: [] for name in FeedbackRow.__dataclass_fields__}
    for r in records:
        for name in columns:
            value = r[name]
            columns[name].append(json.dumps(value) if isinstance(value, dict | list) else value)
    pq.write_table(pa.table(columns), path)
    return path
