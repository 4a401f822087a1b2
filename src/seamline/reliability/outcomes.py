"""What became of one task: did it pass every gate, where was it lost, what to show of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.events import GateEvaluated
from seamline.reliability.compare import Matcher
from seamline.reliability.correctness import MISSING, TaskJudgement, UnitJudgement, expected_for
from seamline.reliability.report import TaskExample, VerdictExample
from seamline.reliability.runlog import RunLog

__all__ = ["example_for", "false_rejections", "lost_at", "task_passed"]

_STOPS = ("fail", "escalate", "budget")


def task_passed(log: RunLog) -> bool:
    """Succeeded, and no unit's last verdict failed: in shadow mode the ungated output would
    have been accepted; in gated mode no person had to overrule a gate."""
    if log.status != "succeeded":
        return False
    return all(attempts[-1].passed for attempts in log.units.values())


def lost_at(log: RunLog) -> str | None:
    """The seam a task that did not pass was lost at; None for a run that only waits for
    a person at a checkpoint (it is waiting, not lost)."""
    failed = [g for g in log.gates if not g.verdict.passed]
    if log.pending and not failed and not log.errors:
        return None
    if log.mode == "shadow" and failed:
        return failed[0].step  # the first seam whose gate would have stopped it
    stops = [g for g in log.gates if g.action in _STOPS]
    rejected = [e for e in log.escalations if e.decision in ("reject", "timeout", None)]
    if stops:
        return stops[-1].step
    if rejected:
        return rejected[-1].step
    if log.errors:
        return log.errors[-1].step
    if failed:
        return failed[-1].step
    started = [(a.seq, step) for (step, _), attempts in log.units.items() for a in attempts]
    return max(started)[1] if started else None


def false_rejections(
    log: RunLog, exp: Mapping[str, Any] | None, matcher: Matcher
) -> set[tuple[str, int | None, int]]:
    """Failed verdicts that were wrong: by a human's approval, or by the expected artifact."""
    wrong: set[tuple[str, int | None, int]] = set()
    for escalation in log.escalations:
        if escalation.decision != "approve":
            continue
        failed = [
            g
            for g in log.gates
            if (g.step, g.index) == (escalation.step, escalation.index) and _caught(g)
        ]
        if failed:
            wrong.add((escalation.step, escalation.index, failed[-1].attempt))
    for gate in log.gates:
        if not _caught(gate):
            continue
        want = expected_for(exp, gate.step, gate.index)
        attempt = log.attempt(gate.step, gate.index, gate.attempt)
        if want is MISSING or attempt is None or not attempt.finished:
            continue
        if not list(matcher(gate.step, attempt.artifact, want)):
            wrong.add((gate.step, gate.index, gate.attempt))
    return wrong


def _caught(gate: GateEvaluated) -> bool:
    return not gate.verdict.passed and not gate.verdict.errored


def example_for(
    log: RunLog,
    judgement: TaskJudgement,
    with_expected: bool,
    passed: bool,
    where: str | None,
) -> TaskExample | None:
    """The task as an example worth a look, or None when it passed and (if known) is right."""
    if with_expected and judgement.outcome is not None:
        outcome = judgement.outcome
        if outcome == "right":
            if judgement.right:
                return None
            outcome = "waiting" if log.pending else "wrong"
        elif outcome == "failed" and log.pending:
            outcome = "waiting"
    elif passed:
        return None
    elif log.pending:
        outcome = "waiting"
    elif log.status == "succeeded":
        # Shadow: a gate would have stopped it. Gated: a person let through what a gate stopped.
        outcome = "caught" if log.mode == "shadow" else "escalated"
    else:
        outcome = "failed"
    wrong = [u for u in judgement.units if not u.produced_right]
    shown: Sequence[UnitJudgement]
    if outcome in ("escaped", "wrong"):
        shown = wrong
    else:
        shown = [u for u in judgement.units if u.accepted is False]
    return _example(log, outcome, where, [d for u in wrong for d in u.differences], shown)


def _example(
    log: RunLog,
    outcome: str,
    where: str | None,
    mismatches: list[str],
    shown: Sequence[UnitJudgement],
) -> TaskExample:
    verdicts = []
    for gate in log.gates:
        if gate.verdict.passed:
            continue
        attempt = log.attempt(gate.step, gate.index, gate.attempt)
        artifact = attempt.artifact if attempt is not None and attempt.finished else None
        verdicts.append(
            VerdictExample(
                step=gate.step,
                index=gate.index,
                attempt=gate.attempt,
                action=gate.action,
                checks=gate.verdict.checks,
                artifact=to_jsonable_python(artifact, fallback=repr),
                error=attempt.error if attempt is not None else None,
            )
        )
    return TaskExample(
        run_id=log.run_id,
        status=log.status,
        outcome=outcome,
        lost_at=where,
        error=log.error or (log.errors[-1].error if log.errors and outcome == "failed" else None),
        verdicts=tuple(verdicts),
        mismatches=tuple(mismatches),
        artifacts=tuple(unit.diff() for unit in shown),
        pending=len(log.pending),
        reads=tuple(
            {
                "step": r.step,
                "index": r.index,
                "attempt": r.attempt,
                "collection": r.collection,
                "revision": r.revision,
                "query": r.query,
                "passages": [
                    [p["document"], p["chunk"], p["version"], p["score"]] for p in r.passages
                ],
            }
            for r in log.reads
        ),
    )
