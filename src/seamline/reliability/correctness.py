"""Correctness against expected artifacts: per unit, per check, per task.

Three questions, for runs whose tasks come with expected artifacts:

- *Per unit* (a step's output at a seam): was the artifact the step produced right, and
  did the seam's gate accept it? Accepted and right, accepted but wrong (*escaped*),
  rejected and wrong (*caught*), rejected but right (*false alarm*). The artifact judged is
  the last attempt's: what the step made, not what a reviewer edited it into.
- *Per check*: over every evaluation of an attempt, did the check flag the wrong ones
  (recall) and only those (precision)?
- *Per task*: did every gate accept the task's work, and was it right? And, as the run
  ended (a reviewer's edits included), are its final artifacts the expected ones?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.reliability.compare import Matcher
from seamline.reliability.report import ArtifactDiff, CheckStats
from seamline.reliability.runlog import Attempt, RunLog
from seamline.verdict import Outcome

__all__ = ["MISSING", "TaskJudgement", "UnitJudgement", "check_stats", "expected_for", "judge_task"]

MISSING: Any = object()
GATE = "(the gate)"


def expected_for(exp: Mapping[str, Any] | None, step: str, index: int | None) -> Any:
    """The expected artifact of a unit, or MISSING."""
    if exp is None or step not in exp:
        return MISSING
    value = exp[step]
    if index is None:
        return value
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and index < len(value):
        return value[index]
    return MISSING


@dataclass(slots=True)
class UnitJudgement:
    step: str
    index: int | None
    expected: Any
    produced: Any  # the last attempt's artifact; None when it produced none
    produced_right: bool
    differences: list[str]
    accepted: bool | None  # the gate's last verdict; None for a step without a gate
    final: Any  # what the run ended with (a reviewer's edit applied); None if nothing
    final_right: bool

    def diff(self) -> ArtifactDiff:
        return ArtifactDiff(
            self.step,
            self.index,
            self.accepted,
            to_jsonable_python(self.produced, fallback=repr),
            to_jsonable_python(self.expected, fallback=repr),
            tuple(self.differences),
        )


@dataclass(slots=True)
class TaskJudgement:
    """One task's correctness. `outcome` is None for a task without expected artifacts."""

    units: list[UnitJudgement] = field(default_factory=list)
    accepted: bool = False  # every gate accepted its work and the run did not fail
    outcome: str | None = None  # "right", "escaped", "caught", "false alarm", "failed"
    right: bool = False  # succeeded, and every expected artifact is the final one
    helped: bool = False  # a person decided an escalation, edited or rejected work


def _final(log: RunLog, step: str, index: int | None, attempts: list[Attempt]) -> Any:
    """What a unit handed on, a reviewer's edit applied (None if nothing)."""
    for review in reversed(list(log.reviews.values())):
        if (review.step, review.index) == (step, index) and review.decision == "edit":
            return review.edit
    last = attempts[-1]
    return last.artifact if last.finished else None


def _accepted(attempts: list[Attempt]) -> bool | None:
    verdicts = [v for a in attempts for v in a.verdicts]
    if not verdicts:
        return None
    last = attempts[-1]
    return bool(last.verdicts) and last.passed


def judge_task(log: RunLog, exp: Mapping[str, Any] | None, matcher: Matcher) -> TaskJudgement:
    """How right a task's work was, and what its gates made of it."""
    judgement = TaskJudgement()
    judgement.helped = any(
        r.kind == "escalation" or r.changed for r in log.reviews.values() if r.decision
    )
    rejected_any = any(_accepted(a) is False for a in log.units.values())
    if exp is None:
        return judgement
    for (step, index), attempts in log.units.items():
        want = expected_for(exp, step, index)
        if want is MISSING:
            continue
        produced = attempts[-1].artifact if attempts[-1].finished else None
        differences = (
            list(matcher(step, produced, want)) if produced is not None else ["no artifact"]
        )
        final = _final(log, step, index, attempts)
        final_right = final is not None and not list(matcher(step, final, want))
        judgement.units.append(
            UnitJudgement(
                step,
                index,
                want,
                produced,
                not differences,
                differences,
                _accepted(attempts),
                final,
                final_right,
            )
        )
    ran = {(u.step, u.index) for u in judgement.units}
    every_expected_ran = all(unit in ran for unit in _expected_units(log, exp))
    judgement.right = (
        log.status == "succeeded"
        and every_expected_ran
        and all(u.final_right for u in judgement.units)
    )
    ended_well = log.status in ("succeeded", "waiting", "needs_review")
    judgement.accepted = ended_well and not rejected_any and every_expected_ran
    rejected = [u for u in judgement.units if u.accepted is False]
    if judgement.accepted:
        right = all(u.produced_right for u in judgement.units)
        judgement.outcome = "right" if right else "escaped"
    elif rejected:
        judgement.outcome = "false alarm" if all(u.produced_right for u in rejected) else "caught"
    else:
        judgement.outcome = "failed"
    return judgement


def _expected_units(log: RunLog, exp: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    """The units the expected artifacts describe: one per item of a `map=` step's list."""
    units: list[tuple[str, int | None]] = []
    for step, value in exp.items():
        mapped = any(s == step and i is not None for s, i in log.units)
        if mapped and isinstance(value, list):
            units += [(step, i) for i in range(len(value))]
        else:
            units.append((step, None))
    return units


def check_stats(
    step: str,
    evaluations: Sequence[tuple[Any, bool]],
) -> tuple[CheckStats, ...]:
    """Precision and recall of every check at a seam, and of the gate as a whole.

    `evaluations`: per gate evaluation of an attempt with an expected artifact, the
    `GateEvaluated` event and whether the attempt was wrong.
    """
    order: list[tuple[str, str]] = []
    counts: dict[tuple[str, str], list[int]] = {}  # evaluated, flagged, tp, fp, fn, err, skip

    def row(name: str, kind: str) -> list[int]:
        if (name, kind) not in counts:
            order.append((name, kind))
            counts[name, kind] = [0] * 7
        return counts[name, kind]

    gate = row(GATE, "gate")
    for event, wrong in evaluations:
        flagged = not event.verdict.passed and not event.verdict.errored
        _count(gate, flagged, wrong)
        for check in event.verdict.checks:
            r = row(check.name, check.kind)
            if check.outcome is Outcome.SKIPPED:
                r[6] += 1
            elif check.outcome is Outcome.ERROR:
                r[5] += 1
            else:
                _count(r, check.outcome is Outcome.FAILED, wrong)
    if not evaluations:
        return ()
    return tuple(CheckStats(step, name, kind, *counts[name, kind]) for name, kind in order)


def _count(r: list[int], flagged: bool, wrong: bool) -> None:
    r[0] += 1
    r[1] += flagged
    r[2] += flagged and wrong
    r[3] += flagged and not wrong
    r[4] += not flagged and wrong
