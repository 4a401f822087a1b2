"""Hand-built run logs, written the way the executor writes them.

Imported by the tests beside it (pytest puts this folder on sys.path).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    GateEvaluated,
    ModelCalled,
    RunFinished,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepStarted,
)
from seamline.verdict import CheckResult, Outcome, Verdict


class Claim(BaseModel):
    claimant: str
    amount: float


def passed(*names: str) -> Verdict:
    return Verdict(True, tuple(CheckResult(n, "check", Outcome.PASSED) for n in names or ("ok",)))


def failed(reason: str = "amount is negative", *, skipped_judge: bool = False) -> Verdict:
    checks = [CheckResult("amount is positive", "check", Outcome.FAILED, reason)]
    if skipped_judge:
        checks.append(CheckResult("faithful", "judge", Outcome.SKIPPED))
    return Verdict(False, tuple(checks))


def judged(score: float, *, passed: bool, cost: float = 0.002) -> Verdict:
    outcome = Outcome.PASSED if passed else Outcome.FAILED
    reason = None if passed else f"score {score} below 0.8"
    return Verdict(
        passed,
        (
            CheckResult("amount is positive", "check", Outcome.PASSED),
            CheckResult("faithful", "judge", outcome, reason, score=score, cost_usd=cost),
        ),
        score=score,
    )


def gate_error() -> Verdict:
    return Verdict(
        False,
        (
            CheckResult(
                "faithful", "judge", Outcome.ERROR, "judge output malformed", cost_usd=0.002
            ),
        ),
    )


def schema_failure() -> Verdict:
    return Verdict(
        False, (CheckResult("schema", "schema", Outcome.FAILED, "amount: not a number"),)
    )


class Run:
    """Appends events with consecutive seqs and times one second apart."""

    def __init__(self, gates: str = "on", pipeline: str = "claims") -> None:
        self.events: list[Event] = []
        self._add(RunStarted, pipeline=pipeline, inputs={}, options={"gates": gates})

    def _add(self, cls: type[Event], **fields: Any) -> Run:
        seq = len(self.events)
        self.events.append(cls(seq=seq, at=1000.0 + seq, **fields))
        return self

    def call(
        self,
        step: str,
        attempt: int = 1,
        *,
        tokens: tuple[int, int] = (100, 20),
        cost: float = 0.001,
        seconds: float = 0.5,
        purpose: str = "step",
        index: int | None = None,
        model: str = "scripted",
    ) -> Run:
        return self._add(
            ModelCalled,
            step=step,
            attempt=attempt,
            model=model,
            request={},
            response={},
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            cost_usd=cost,
            seconds=seconds,
            purpose=purpose,
            index=index,
        )

    def ok(
        self,
        step: str,
        artifact: Any = None,
        *,
        attempt: int = 1,
        index: int | None = None,
        verdict: Verdict | None = None,
        action: str = "pass",
        call: bool = True,
    ) -> Run:
        """An attempt that finished with `artifact`, then (with `verdict`) its gate."""
        self._add(StepStarted, step=step, attempt=attempt, index=index)
        if call:
            self.call(step, attempt, index=index)
        self._add(
            StepFinished,
            step=step,
            attempt=attempt,
            index=index,
            artifact=artifact if artifact is not None else {"step": step},
        )
        if verdict is not None:
            self._add(
                GateEvaluated,
                step=step,
                attempt=attempt,
                index=index,
                verdict=verdict,
                action=action,
            )
        return self

    def error(
        self,
        step: str,
        *,
        attempt: int = 1,
        kind: str = "exception",
        index: int | None = None,
        verdict: Verdict | None = None,
        action: str = "retry",
    ) -> Run:
        """An attempt that ended without an artifact (and, for Retry, its schema verdict)."""
        self._add(StepStarted, step=step, attempt=attempt, index=index)
        self._add(
            StepErrored,
            step=step,
            attempt=attempt,
            index=index,
            error=f"{kind} in {step}",
            kind=kind,
        )
        if verdict is not None:
            self._add(
                GateEvaluated,
                step=step,
                attempt=attempt,
                index=index,
                verdict=verdict,
                action=action,
            )
        return self

    def escalation(
        self,
        step: str,
        decision: str | None,
        *,
        artifact: Any = None,
        edit: Any = None,
        index: int | None = None,
    ) -> Run:
        approval = f"a{len(self.events)}"
        self._add(
            ApprovalRequested,
            approval_id=approval,
            step=step,
            index=index,
            artifact=artifact,
            reason="escalation",
        )
        if decision is not None:
            self._add(ApprovalDecided, approval_id=approval, decision=decision, edit=edit)
        return self

    def approval(
        self,
        step: str,
        artifact: Any,
        *,
        decision: str | None = None,
        edit: Any = None,
        reviewer: str | None = None,
        kind: str = "human",
    ) -> Run:
        """A checkpoint (`pipe.approval`) on `step`, decided or (with no decision) pending."""
        approval = f"a{len(self.events)}"
        self._add(ApprovalRequested, approval_id=approval, step=step, artifact=artifact)
        if decision is not None:
            self._add(
                ApprovalDecided,
                approval_id=approval,
                decision=decision,
                edit=edit,
                reviewer=reviewer,
                reviewer_kind=kind,
            )
        return self

    def finish(self, status: str, error: str | None = None) -> list[Event]:
        self._add(RunFinished, status=RunStatus(status), error=error)
        return self.events
