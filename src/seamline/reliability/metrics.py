"""Per-seam and end-to-end reliability, computed from run logs.

`measure(runs)` folds each run's events (see `runlog.py`) and groups the runs by how
their gates ran (`RunStarted.options["gates"]`): *shadow* runs measure the ungated
pipeline and what its gates would have caught; *gated* runs measure the pipeline as
shipped. Definitions, per seam (a step and the gate on its output):

- units: (run, step, item) triples that ran; a `map=` step has one per item.
- first-pass yield: units whose first attempt passed the seam (finished, and every
  verdict on it passed; a step without a gate passes by finishing), over units.
- catches: failed verdicts (a gate error is not a catch); catch rate: over verdicts.
- retries to pass: mean (attempts - 1) over the units that passed eventually.
- escalations, gate errors (`Verdict.errored`), judges skipped (and the judge cost
  that saved, priced at the mean cost of the same judge where it ran).
- false rejections: failed verdicts the gate got wrong, by a human approving the
  escalated artifact, or by the artifact matching the expected one.

With expected artifacts (`correctness.py`), per seam: units right, accepted and right,
escaped (accepted but wrong), caught (rejected and wrong), false alarms (rejected but
right), and each check's precision and recall.

End to end: a task *passed every gate* when its run succeeded and no unit's last verdict
failed (in shadow mode: the ungated output would have been accepted; a person approving
what a gate escalated does not count). With expected artifacts a task is *right* when
its run succeeded with final artifacts that match, and the pass rate is the share of
right tasks. Runs waiting for a person are counted as waiting, not as lost. Wall time is
the time processes drove the runs; time waiting for a person is counted apart. The
predicted pass rate is the product of the per-seam first-pass yields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from seamline.events import Event, GateEvaluated
from seamline.reliability.compare import Matcher, diff_artifacts
from seamline.reliability.correctness import (
    MISSING,
    TaskJudgement,
    check_stats,
    expected_for,
    judge_task,
)
from seamline.reliability.outcomes import example_for, false_rejections, lost_at, task_passed
from seamline.reliability.report import (
    EndToEnd,
    ModeReport,
    ReliabilityReport,
    SeamMetrics,
    TaskExample,
)
from seamline.reliability.runlog import RunLog, fold
from seamline.reliability.stats import product
from seamline.verdict import Outcome

__all__ = ["Runs", "measure", "run_report"]

Runs = Sequence[Event] | Sequence[Sequence[Event]] | Mapping[str, Sequence[Event]]
"""One run's events, a list of runs' events, or runs' events by run id."""

_MODE_ORDER = {"off": 0, "shadow": 1, "on": 2}
# Wrong answers first (they are what a report exists to show); the rest in run order.
_EXAMPLE_ORDER = {"escaped": 0, "false alarm": 1, "wrong": 2}
MAX_EXAMPLES = 50


def measure(
    runs: Runs,
    *,
    expected: Sequence[Mapping[str, Any] | None] | None = None,
    matcher: Matcher | None = None,
) -> ReliabilityReport:
    """Reliability of `runs`, per gate mode, per seam and end to end.

    Args:
        runs: one run's events, a list of runs' events, or a mapping run id -> events.
        expected: per run (same order), the expected artifacts by step name (a list
            for a `map=` step), or None for a run without expectations. Makes the pass
            rate correctness, and gives escaped defects, false alarms and each check's
            precision and recall.
        matcher: compares an artifact with its expected one; defaults to
            `diff_artifacts` (fields present in the expected artifact must be equal).
    """
    pairs = _normalise(runs)
    if expected is not None and len(expected) != len(pairs):
        raise ValueError(f"expected has {len(expected)} entries for {len(pairs)} runs")
    logs = [fold(events, run_id) for run_id, events in pairs]
    expectations = list(expected) if expected is not None else [None] * len(logs)
    by_mode: dict[str, list[tuple[RunLog, Mapping[str, Any] | None]]] = {}
    for log, exp in zip(logs, expectations, strict=True):
        by_mode.setdefault(log.mode, []).append((log, exp))
    check = matcher or diff_artifacts
    reports = [
        _mode_report(mode, group, check, expected is not None)
        for mode, group in sorted(by_mode.items(), key=lambda kv: _MODE_ORDER.get(kv[0], 9))
    ]
    return ReliabilityReport(tuple(reports))


def run_report(events: Sequence[Event]) -> ModeReport:
    """One run's reliability: what `RunResult.report()` returns. `str()` it for a table."""
    report = measure(events)
    if not report.modes:
        return _mode_report("on", [], diff_artifacts, False)
    return report.modes[0]


# -- internals ---------------------------------------------------------------------------


def _normalise(runs: Runs) -> list[tuple[str | None, Sequence[Event]]]:
    if isinstance(runs, Mapping):
        return [(run_id, events) for run_id, events in runs.items()]
    if runs and isinstance(runs[0], Event):
        return [(None, cast(Sequence[Event], runs))]
    return [(None, events) for events in cast(Sequence[Sequence[Event]], runs)]


@dataclass(slots=True)
class _Tally:
    """Mutable counters for one seam while runs are folded in."""

    gated: bool = False
    units: int = 0
    first_pass: int = 0
    passed_units: int = 0
    attempts: int = 0
    evaluations: int = 0
    catches: int = 0
    gate_errors: int = 0
    escalations: int = 0
    judges_skipped: int = 0
    false_rejections: int = 0
    retries: int = 0
    model_calls: int = 0
    judge_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    seconds: float = 0.0
    scored: int = 0
    right: int = 0
    right_accepted: int = 0
    escaped: int = 0
    caught: int = 0
    false_alarms: int = 0


@dataclass(slots=True)
class _Totals:
    """Mutable end-to-end counters for one gate mode."""

    passed: int = 0
    completed: int = 0
    escalated: int = 0
    helped: int = 0
    waiting: int = 0
    pending: int = 0
    scored: int = 0
    right: int = 0
    right_unaided: int = 0


def _mode_report(
    mode: str,
    group: Sequence[tuple[RunLog, Mapping[str, Any] | None]],
    matcher: Matcher,
    with_expected: bool,
) -> ModeReport:
    order: list[str] = []
    tallies: dict[str, _Tally] = {}
    judge_costs: dict[tuple[str, str], list[float]] = {}
    skipped: Counter[tuple[str, str]] = Counter()
    evaluations: dict[str, list[tuple[GateEvaluated, bool]]] = {}
    losses: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    waiting_at: Counter[str] = Counter()
    reviewers: dict[str, None] = {}
    models: dict[str, None] = {}
    examples: list[TaskExample] = []
    totals = _Totals()

    def tally(step: str) -> _Tally:
        if step not in tallies:
            order.append(step)
            tallies[step] = _Tally()
        return tallies[step]

    for log, exp in group:
        for step in log.step_order:
            tally(step)
        _count_units(log, tally)
        judgement = judge_task(log, exp, matcher)
        _count_correctness(log, exp, matcher, judgement, tally, evaluations)
        for step, _index, _attempt in false_rejections(log, exp, matcher):
            tally(step).false_rejections += 1
        _count_gates(log, tally, judge_costs, skipped)
        _count_calls(log, tally)
        models.update(dict.fromkeys(log.models))
        for review in log.reviews.values():
            if review.decision not in (None, "timeout"):
                decisions[review.reviewer_kind or "human"] += 1
                reviewers[review.reviewer or "(unnamed)"] = None

        passed = task_passed(log)
        totals.passed += passed
        totals.completed += log.status == "succeeded"
        totals.escalated += bool(log.escalations) or any(g.action == "escalate" for g in log.gates)
        totals.helped += judgement.helped
        if log.pending:
            totals.waiting += 1
            totals.pending += len(log.pending)
            waiting_at.update(review.step for review in log.pending)
        if exp is not None:
            totals.scored += 1
            outcomes[judgement.outcome or "failed"] += 1
            totals.right += judgement.right
            totals.right_unaided += judgement.right and not judgement.helped
        where = None if passed else lost_at(log)
        if not passed and (where is not None or not log.pending):
            losses[where or "(no seam)"] += 1
        example = example_for(log, judgement, with_expected, passed, where)
        if example is not None:
            examples.append(example)

    examples.sort(key=lambda e: _EXAMPLE_ORDER.get(e.outcome, 3))
    seams = tuple(
        _seam(step, tallies[step], judge_costs, skipped, with_expected, evaluations.get(step, []))
        for step in order
    )
    yields = [s.first_pass_yield for s in seams if s.first_pass_yield is not None]

    def known(value: int) -> int | None:
        return value if with_expected else None

    end_to_end = EndToEnd(
        mode=mode,
        tasks=len(group),
        passed=totals.passed,
        predicted=product(yields) if yields else None,
        escalated=totals.escalated,
        escaped_defects=known(outcomes["escaped"]),
        model_calls=sum(s.model_calls for s in seams),
        input_tokens=sum(s.input_tokens for s in seams),
        output_tokens=sum(s.output_tokens for s in seams),
        cost_usd=sum(s.cost_usd for s in seams),
        model_seconds=sum(s.seconds for s in seams),
        wall_seconds=sum(log.active_seconds for log, _ in group),
        losses=tuple(sorted(losses.items(), key=lambda kv: (-kv[1], _position(order, kv[0])))),
        statuses=tuple(Counter(log.status for log, _ in group).most_common()),
        completed=totals.completed,
        right=known(totals.right),
        right_unaided=known(totals.right_unaided),
        right_accepted=known(outcomes["right"]),
        caught=known(outcomes["caught"]),
        false_alarms=known(outcomes["false alarm"]),
        scored=totals.scored,
        helped=totals.helped,
        waiting=totals.waiting,
        pending_approvals=totals.pending,
        decisions=tuple(decisions.most_common()),
        reviewers=tuple(reviewers),
        waiting_seconds=sum(log.waiting_seconds for log, _ in group),
        models=tuple(models),
        waiting_at=tuple(waiting_at.most_common()),
    )
    pipelines = tuple(dict.fromkeys(log.pipeline for log, _ in group if log.pipeline))
    return ModeReport(mode, pipelines, seams, end_to_end, tuple(examples[:MAX_EXAMPLES]))


def _count_units(log: RunLog, tally: Callable[[str], _Tally]) -> None:
    for (step, _index), attempts in log.units.items():
        t = tally(step)
        t.units += 1
        t.attempts += len(attempts)
        if attempts[0].passed:
            t.first_pass += 1
        first_passed = next((i for i, a in enumerate(attempts) if a.passed), None)
        if first_passed is not None:
            t.passed_units += 1
            t.retries += first_passed


def _count_correctness(
    log: RunLog,
    exp: Mapping[str, Any] | None,
    matcher: Matcher,
    judgement: TaskJudgement,
    tally: Callable[[str], _Tally],
    evaluations: dict[str, list[tuple[GateEvaluated, bool]]],
) -> None:
    """Per unit: right, and the gate's call on it; per evaluation: was the attempt wrong."""
    for unit in judgement.units:
        t = tally(unit.step)
        t.scored += 1
        t.right += unit.produced_right
        if unit.accepted is True:
            t.right_accepted += unit.produced_right
            t.escaped += not unit.produced_right
        elif unit.accepted is False:
            t.caught += not unit.produced_right
            t.false_alarms += unit.produced_right
    for gate in log.gates:
        want = expected_for(exp, gate.step, gate.index)
        if want is MISSING:
            continue
        attempt = log.attempt(gate.step, gate.index, gate.attempt)
        artifact = attempt.artifact if attempt is not None and attempt.finished else None
        wrong = artifact is None or bool(list(matcher(gate.step, artifact, want)))
        evaluations.setdefault(gate.step, []).append((gate, wrong))


def _count_gates(
    log: RunLog,
    tally: Callable[[str], _Tally],
    judge_costs: dict[tuple[str, str], list[float]],
    skipped: Counter[tuple[str, str]],
) -> None:
    for gate in log.gates:
        t = tally(gate.step)
        t.evaluations += 1
        t.gated = t.gated or any(c.kind not in ("schema", "retry") for c in gate.verdict.checks)
        if gate.verdict.errored:
            t.gate_errors += 1
        elif not gate.verdict.passed:
            t.catches += 1
        if gate.action == "escalate":
            t.escalations += 1
        t.judges_skipped += gate.verdict.skipped_judges
        for check in gate.verdict.checks:
            if check.kind == "judge" and check.outcome is Outcome.SKIPPED:
                skipped[gate.step, check.name] += 1
            elif check.kind == "judge":
                judge_costs.setdefault((gate.step, check.name), []).append(check.cost_usd)


def _count_calls(log: RunLog, tally: Callable[[str], _Tally]) -> None:
    for call in log.calls:
        t = tally(call.step)
        t.model_calls += 1
        t.input_tokens += call.input_tokens
        t.output_tokens += call.output_tokens
        t.cost_usd += call.cost_usd
        t.seconds += call.seconds
        if call.purpose in ("judge", "sample"):  # the gate's own calls (sample: sl.agree)
            t.judge_calls += 1
            t.judge_cost_usd += call.cost_usd


def _seam(
    step: str,
    t: _Tally,
    judge_costs: Mapping[tuple[str, str], list[float]],
    skipped: Mapping[tuple[str, str], int],
    with_expected: bool,
    evaluations: Sequence[tuple[GateEvaluated, bool]],
) -> SeamMetrics:
    saved = 0.0
    for (seam, judge), count in skipped.items():
        costs = judge_costs.get((seam, judge))
        if seam == step and costs:
            saved += count * sum(costs) / len(costs)
    return SeamMetrics(
        step=step,
        gated=t.gated,
        units=t.units,
        first_pass=t.first_pass,
        passed_units=t.passed_units,
        attempts=t.attempts,
        evaluations=t.evaluations,
        catches=t.catches,
        gate_errors=t.gate_errors,
        escalations=t.escalations,
        judges_skipped=t.judges_skipped,
        judge_cost_saved_usd=saved,
        false_rejections=t.false_rejections,
        escaped_defects=t.escaped if with_expected else None,
        retries_to_pass_total=t.retries,
        model_calls=t.model_calls,
        judge_calls=t.judge_calls,
        input_tokens=t.input_tokens,
        output_tokens=t.output_tokens,
        cost_usd=t.cost_usd,
        judge_cost_usd=t.judge_cost_usd,
        seconds=t.seconds,
        scored=t.scored,
        right=t.right,
        right_accepted=t.right_accepted,
        caught=t.caught,
        false_alarms=t.false_alarms,
        checks=check_stats(step, evaluations) if t.gated else (),
    )


def _position(order: list[str], step: str) -> int:
    return order.index(step) if step in order else len(order)
