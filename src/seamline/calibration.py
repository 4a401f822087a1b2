"""Judges learn from humans: how often each judge agrees with the people who decided,
and the threshold that would have agreed most.

For every human decision on gated work (the feedback dataset, `seamline.feedback`), the
gate's last verdict on that unit before the decision holds each judge's score. A person
approving counts as "good", rejecting or editing as "not good"; a judge agrees when its
score is at or above its threshold exactly when the person approved. Decisions by
simulated reviewers (see `is_simulated`) and timeouts are not human: left out, and
counted apart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from seamline.events import ApprovalDecided, ApprovalRequested, Event, GateEvaluated
from seamline.verdict import Outcome

# Words in a reviewer's name that mark code standing in for a person.
_SIMULATED_MARKS = ("simulated", "scripted")


def is_simulated(reviewer: str | None) -> bool:
    """Whether a decision's reviewer is a simulation, not a person.

    The convention: a simulated reviewer's name says so, containing `simulated` (e.g.
    `simulated:expected`) or `scripted` (the demo's "scripted reviewer (demo)").
    """
    if not reviewer:
        return False
    name = reviewer.lower()
    return any(mark in name for mark in _SIMULATED_MARKS)


@dataclass(frozen=True, slots=True)
class Labelled:
    score: float
    human_approved: bool


@dataclass(slots=True)
class JudgeCalibration:
    """One judge's agreement with human decisions.

    Attributes:
        step, judge: the gate's step and the judge's name.
        threshold: the judge's threshold now (None if the pipeline no longer has it).
        decisions: human decisions on units this judge scored.
        agree: how many of them the judge agreed with at `threshold`.
        best_threshold, best_agree: the threshold that agrees with the most decisions
            (the one nearest the current threshold among equals) and how many.
        simulated: decisions left out because a simulated reviewer took them.
    """

    step: str
    judge: str
    threshold: float | None
    decisions: int = 0
    agree: int = 0
    best_threshold: float | None = None
    best_agree: int = 0
    simulated: int = 0
    interval: tuple[float, float] = (0.0, 1.0)  # Wilson 95% for agree / decisions
    labelled: list[Labelled] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float | None:
        return self.agree / self.decisions if self.decisions else None

    @property
    def best_rate(self) -> float | None:
        return self.best_agree / self.decisions if self.decisions else None

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "judge": self.judge,
            "threshold": self.threshold,
            "decisions": self.decisions,
            "agree": self.agree,
            "rate": self.rate,
            "interval": list(self.interval),
            "best_threshold": self.best_threshold,
            "best_agree": self.best_agree,
            "best_rate": self.best_rate,
            "simulated_left_out": self.simulated,
        }


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def agreement_at(labelled: Sequence[Labelled], threshold: float) -> int:
    return sum((x.score >= threshold) == x.human_approved for x in labelled)


def best_threshold(labelled: Sequence[Labelled], current: float | None) -> tuple[float, int]:
    """The threshold in [0, 1] agreeing with the most decisions; ties go to the one
    nearest `current` (then the lower one). Candidates: 0, 1, and the midpoints
    between consecutive distinct scores, so the answer sits between the examples."""
    scores = sorted({x.score for x in labelled})
    candidates = {0.0, 1.0, *scores}
    candidates.update((a + b) / 2 for a, b in itertools.pairwise(scores))
    if current is not None:
        candidates.add(current)
    anchor = current if current is not None else 0.5
    return max(
        ((round(t, 4), agreement_at(labelled, t)) for t in sorted(candidates)),
        key=lambda item: (item[1], -abs(item[0] - anchor), -item[0]),
    )


def calibrate(
    logs: Mapping[str, Sequence[Event]], thresholds: Mapping[tuple[str, str], float]
) -> list[JudgeCalibration]:
    """Per (step, judge): agreement with human decisions in these run logs.

    Args:
        logs: run id -> events (e.g. `feedback.load_logs`).
        thresholds: (step, judge name) -> the judge's threshold now.
    """
    found: dict[tuple[str, str], JudgeCalibration] = {}

    def entry(step: str, judge: str) -> JudgeCalibration:
        key = (step, judge)
        if key not in found:
            found[key] = JudgeCalibration(step, judge, thresholds.get(key))
        return found[key]

    for key in thresholds:
        entry(*key)
    for events in logs.values():
        for request, decided, verdict in _decisions(events):
            for result in verdict.verdict.checks:
                if result.kind != "judge" or result.score is None:
                    continue
                if result.outcome not in (Outcome.PASSED, Outcome.FAILED):
                    continue
                cal = entry(request.step, result.name)
                if is_simulated(decided.reviewer):
                    cal.simulated += 1
                    continue
                cal.labelled.append(Labelled(result.score, decided.decision == "approve"))
    for cal in found.values():
        cal.decisions = len(cal.labelled)
        if cal.threshold is not None:
            cal.agree = agreement_at(cal.labelled, cal.threshold)
        if cal.labelled:
            cal.best_threshold, cal.best_agree = best_threshold(cal.labelled, cal.threshold)
        cal.interval = wilson(cal.agree, cal.decisions)
    return sorted(found.values(), key=lambda c: (c.step, c.judge))


def _decisions(
    events: Iterable[Event],
) -> Iterable[tuple[ApprovalRequested, ApprovalDecided, GateEvaluated]]:
    """(request, human decision, the unit's last verdict before the request)."""
    verdicts: dict[tuple[str, int | None], GateEvaluated] = {}
    requests: dict[str, tuple[ApprovalRequested, GateEvaluated | None]] = {}
    for e in events:
        if isinstance(e, GateEvaluated):
            verdicts[(e.step, e.index)] = e
        elif isinstance(e, ApprovalRequested):
            requests[e.approval_id] = (e, verdicts.get((e.step, e.index)))
        elif isinstance(e, ApprovalDecided) and e.decision != "timeout":
            request, verdict = requests.get(e.approval_id, (None, None))
            if request is not None and verdict is not None:
                yield request, e, verdict
