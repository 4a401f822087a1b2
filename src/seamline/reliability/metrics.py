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
- escaped defects: units the seam passed whose artifact differs from the expected one.

End to end: a gated (or gates-off) task passed when its run succeeded; a shadow task
passed when its run succeeded and every unit's final verdict passed, i.e. the ungated
pipeline's output would have been accepted. The predicted pass rate is the product of
the per-seam first-pass yields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic_core import to_jsonable_python

from seamline.events import Event, GateEvaluated
from seamline.reliability.compare import Matcher, diff_artifacts
from seamline.reliability.report import (
    EndToEnd,
    ModeReport,
    ReliabilityReport,
    SeamMetrics,
    TaskExample,
    VerdictExample,
)
from seamline.reliability.runlog import Attempt, RunLog, fold
from seamline.reliability.stats import product
from seamline.verdict import Outcome

__all__ = ["Runs", "measure", "run_report"]

Runs = Sequence[Event] | Sequence[Sequence[Event]] | Mapping[str, Sequence[Event]]
"""One run's events, a list of runs' events, or runs' events by run id."""

_MODE_ORDER = {"off": 0, "shadow": 1, "on": 2}
_STOPS = ("fail", "escalate", "budget")
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
            for a `map=` step), or None for a run without expectations. Enables
            false rejections by comparison, and escaped defects.
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
    escaped: int = 0
    retries: int = 0
    model_calls: int = 0
    judge_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    seconds: float = 0.0


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
    losses: Counter[str] = Counter()
    examples: list[TaskExample] = []
    passed_tasks = escalated_tasks = escaped_tasks = 0

    def tally(step: str) -> _Tally:
        if step not in tallies:
            order.append(step)
            tallies[step] = _Tally()
        return tallies[step]

    for log, exp in group:
        for step in log.step_order:
            tally(step)
        wrong_units = _seam_units(log, exp, matcher, tally)
        false_rejected = _false_rejections(log, exp, matcher)
        for step, _index, _attempt in false_rejected:
            tally(step).false_rejections += 1
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
        for call in log.calls:
            t = tally(call.step)
            t.model_calls += 1
            t.input_tokens += call.input_tokens
            t.output_tokens += call.output_tokens
            t.cost_usd += call.cost_usd
            t.seconds += call.seconds
            if call.purpose == "judge":
                t.judge_calls += 1
                t.judge_cost_usd += call.cost_usd

        passed = _task_passed(log)
        escalated_tasks += bool(log.escalations) or any(g.action == "escalate" for g in log.gates)
        if passed:
            passed_tasks += 1
            if wrong_units:
                escaped_tasks += 1
                if len(examples) < MAX_EXAMPLES:
                    examples.append(_example(log, "escaped", None, wrong_units))
        else:
            lost_at = _lost_at(log)
            losses[lost_at or "(no seam)"] += 1
            if len(examples) < MAX_EXAMPLES:
                caught = log.mode == "shadow" and log.status == "succeeded"
                outcome = "caught" if caught else "failed"
                examples.append(_example(log, outcome, lost_at, wrong_units))

    seams = tuple(_seam(step, tallies[step], judge_costs, skipped, with_expected) for step in order)
    yields = [s.first_pass_yield for s in seams if s.first_pass_yield is not None]
    end_to_end = EndToEnd(
        mode=mode,
        tasks=len(group),
        passed=passed_tasks,
        predicted=product(yields) if yields else None,
        escalated=escalated_tasks,
        escaped_defects=escaped_tasks if with_expected else None,
        model_calls=sum(s.model_calls for s in seams),
        input_tokens=sum(s.input_tokens for s in seams),
        output_tokens=sum(s.output_tokens for s in seams),
        cost_usd=sum(s.cost_usd for s in seams),
        model_seconds=sum(s.seconds for s in seams),
        wall_seconds=sum(_wall(log) for log, _ in group),
        losses=tuple(sorted(losses.items(), key=lambda kv: (-kv[1], _position(order, kv[0])))),
        statuses=tuple(Counter(log.status for log, _ in group).most_common()),
    )
    pipelines = tuple(dict.fromkeys(log.pipeline for log, _ in group if log.pipeline))
    return ModeReport(mode, pipelines, seams, end_to_end, tuple(examples))


def _seam_units(
    log: RunLog,
    exp: Mapping[str, Any] | None,
    matcher: Matcher,
    tally: Callable[[str], _Tally],
) -> list[str]:
    """Count the run's units into their seams.

    Returns how the artifacts the run handed on differ from the expected ones.
    """
    wrong: list[str] = []
    for (step, index), attempts in log.units.items():
        t = tally(step)
        t.units += 1
        t.attempts += len(attempts)
        if attempts[0].passed:
            t.first_pass += 1
        first_passed = next((i for i, a in enumerate(attempts) if a.passed), None)
        if first_passed is not None:
            t.passed_units += 1
            t.retries += first_passed
        final, gate_passed = _accepted(log, step, index, attempts)
        want = _expected_for(exp, step, index)
        if final is not None and want is not _MISSING:
            differences = list(matcher(step, final, want))
            if differences:
                t.escaped += gate_passed
                wrong += differences
    return wrong


def _accepted(
    log: RunLog, step: str, index: int | None, attempts: list[Attempt]
) -> tuple[Any, bool]:
    """The artifact this unit handed on (None if none), and whether its gate passed it."""
    for escalation in reversed(log.escalations):
        if (escalation.step, escalation.index) != (step, index):
            continue
        if escalation.decision == "edit":
            return escalation.edit, False
        if escalation.decision == "approve":
            return escalation.artifact, False
        break
    last = attempts[-1]
    if last.finished and (last.passed or log.mode == "shadow"):
        # In shadow mode the artifact proceeds even when its verdict failed.
        return last.artifact, last.passed
    return None, False


_MISSING: Any = object()


def _expected_for(exp: Mapping[str, Any] | None, step: str, index: int | None) -> Any:
    if exp is None or step not in exp:
        return _MISSING
    value = exp[step]
    if index is None:
        return value
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and index < len(value):
        return value[index]
    return _MISSING


def _false_rejections(
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
        want = _expected_for(exp, gate.step, gate.index)
        attempt = log.attempt(gate.step, gate.index, gate.attempt)
        if want is _MISSING or attempt is None or not attempt.finished:
            continue
        if not list(matcher(gate.step, attempt.artifact, want)):
            wrong.add((gate.step, gate.index, gate.attempt))
    return wrong


def _caught(gate: GateEvaluated) -> bool:
    return not gate.verdict.passed and not gate.verdict.errored


def _task_passed(log: RunLog) -> bool:
    if log.status != "succeeded":
        return False
    if log.mode == "shadow":
        return all(attempts[-1].passed for attempts in log.units.values())
    return True


def _lost_at(log: RunLog) -> str | None:
    """The seam a task that did not pass was lost at."""
    failed = [g for g in log.gates if not g.verdict.passed]
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


def _example(log: RunLog, outcome: str, lost_at: str | None, mismatches: list[str]) -> TaskExample:
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
        lost_at=lost_at,
        error=log.error or (log.errors[-1].error if log.errors and outcome == "failed" else None),
        verdicts=tuple(verdicts),
        mismatches=tuple(mismatches),
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


def _seam(
    step: str,
    t: _Tally,
    judge_costs: Mapping[tuple[str, str], list[float]],
    skipped: Mapping[tuple[str, str], int],
    with_expected: bool,
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
    )


def _wall(log: RunLog) -> float:
    if log.started_at is None or log.finished_at is None:
        return 0.0
    return max(0.0, log.finished_at - log.started_at)


def _position(order: list[str], step: str) -> int:
    return order.index(step) if step in order else len(order)
