"""The values `measure` returns: per seam, end to end, per gate mode, and failing examples.

Plain frozen dataclasses; `to_dict()` gives the JSON form, `str()` the terminal table.
Definitions of the numbers are in `seamline.reliability.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seamline.reliability.stats import Interval, Lift, lift, wilson_interval
from seamline.reliability.task_examples import (
    ArtifactDiff,
    TaskExample,
    VerdictExample,
    fields_of,
)

__all__ = [
    "MODE_LABELS",
    "ArtifactDiff",
    "CheckStats",
    "EndToEnd",
    "ModeReport",
    "ReliabilityReport",
    "SeamMetrics",
    "TaskExample",
    "VerdictExample",
]

MODE_LABELS = {"shadow": "shadow", "on": "gated", "off": "gates off"}


@dataclass(frozen=True, slots=True)
class CheckStats:
    """How well one check (or judge, or the whole gate) tells wrong artifacts from right ones.

    Counted over the gate's evaluations of attempts whose unit has an expected artifact:
    a check *flags* an attempt when it fails it; the attempt is *wrong* when its artifact
    differs from the expected one (or it produced none). Skipped judges and checks that
    errored are left out of precision and recall, and counted apart.
    """

    step: str
    name: str  # the check's name; "(the gate)" for the verdict as a whole
    kind: str  # "check", "judge", "schema", "retry" or "gate"
    evaluated: int
    flagged: int
    true_positives: int  # flagged and wrong
    false_positives: int  # flagged but right: false alarms
    false_negatives: int  # passed but wrong: what it let through
    errors: int = 0
    skipped: int = 0

    @property
    def precision(self) -> float | None:
        """Of the attempts it flagged, the share that were wrong."""
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Of the wrong attempts it saw, the share it flagged."""
        wrong = self.true_positives + self.false_negatives
        return self.true_positives / wrong if wrong else None

    def to_dict(self) -> dict[str, Any]:
        return {**fields_of(self), "precision": self.precision, "recall": self.recall}


@dataclass(frozen=True, slots=True)
class SeamMetrics:
    """Reliability at one seam: a step and the gate on its output."""

    step: str
    gated: bool  # a gate with checks or judges evaluated this step's output
    units: int
    first_pass: int
    passed_units: int  # units that passed the seam eventually
    attempts: int
    evaluations: int  # verdicts written
    catches: int
    gate_errors: int
    escalations: int
    judges_skipped: int
    judge_cost_saved_usd: float
    false_rejections: int
    escaped_defects: int | None  # None without expected artifacts
    retries_to_pass_total: int
    model_calls: int
    judge_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    judge_cost_usd: float
    seconds: float
    # Against expected artifacts (0 without them). A unit is *accepted* when its gate's
    # last verdict passed it, *rejected* when it failed it; its artifact is the last
    # attempt's (a reviewer's edit is not the step's work).
    scored: int = 0  # units with an expected artifact
    right: int = 0  # of those, units whose artifact matches: the step's accuracy
    right_accepted: int = 0
    caught: int = 0  # rejected and wrong
    false_alarms: int = 0  # rejected but right
    checks: tuple[CheckStats, ...] = ()

    @property
    def first_pass_yield(self) -> float | None:
        return self.first_pass / self.units if self.units else None

    @property
    def accuracy(self) -> float | None:
        """Share of scored units whose artifact matches the expected one."""
        return self.right / self.scored if self.scored else None

    @property
    def accepted(self) -> int:
        return self.right_accepted + (self.escaped_defects or 0)

    @property
    def escape_rate(self) -> float | None:
        """Of the artifacts the gate accepted, the share that were wrong."""
        return (self.escaped_defects or 0) / self.accepted if self.accepted else None

    def check(self, name: str) -> CheckStats:
        for stats in self.checks:
            if stats.name == name:
                return stats
        raise KeyError(
            f"no check {name!r} at seam {self.step!r}; checks: {[c.name for c in self.checks]}"
        )

    @property
    def catch_rate(self) -> float | None:
        return self.catches / self.evaluations if self.evaluations else None

    @property
    def retries_to_pass(self) -> float | None:
        return self.retries_to_pass_total / self.passed_units if self.passed_units else None

    def to_dict(self) -> dict[str, Any]:
        return {
            **fields_of(self),
            "checks": [c.to_dict() for c in self.checks],
            "first_pass_yield": self.first_pass_yield,
            "catch_rate": self.catch_rate,
            "retries_to_pass": self.retries_to_pass,
            "accuracy": self.accuracy,
            "escape_rate": self.escape_rate,
        }


@dataclass(frozen=True, slots=True)
class EndToEnd:
    """Tasks through the whole pipeline, for one gate mode.

    With expected artifacts the pass rate is *correctness*: the share of tasks whose run
    succeeded with final artifacts that match the expected ones. `passed` counts the
    tasks that passed every gate (in shadow mode: would have), which says nothing about
    whether they were right; both are shown, with intervals.
    """

    mode: str
    tasks: int
    passed: int  # passed every gate, no person overruling a gate, and the run succeeded
    predicted: float | None  # product of the per-seam first-pass yields
    escalated: int  # tasks where a gate handed work to a person
    escaped_defects: int | None  # passed every gate, but wrong; None without expected
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    model_seconds: float
    wall_seconds: float  # active time only: waits for a person are in `waiting_seconds`
    losses: tuple[tuple[str, int], ...]  # (seam, tasks lost there), most first
    statuses: tuple[tuple[str, int], ...] = ()  # (run status, runs), most first
    completed: int = 0  # runs that succeeded (with or without a person's help)
    right: int | None = None  # succeeded, final artifacts match the expected; None without
    right_unaided: int | None = None  # ... with no escalation and no reviewer change
    right_accepted: int | None = None  # passed every gate and right
    caught: int | None = None  # a gate rejected a wrong artifact
    false_alarms: int | None = None  # a gate rejected an artifact that was right
    scored: int = 0  # tasks with expected artifacts
    helped: int = 0  # tasks a person changed (edit, reject) or decided an escalation for
    waiting: int = 0  # runs waiting for a person
    pending_approvals: int = 0
    decisions: tuple[tuple[str, int], ...] = ()  # (reviewer kind, decisions), e.g. simulated
    reviewers: tuple[str, ...] = ()
    waiting_seconds: float = 0.0  # time runs waited for a person
    models: tuple[str, ...] = ()
    waiting_at: tuple[tuple[str, int], ...] = ()  # (step, approvals pending there)

    @property
    def pass_rate(self) -> float | None:
        """Share of tasks right end to end (with expected artifacts), else that passed every gate."""
        if not self.tasks:
            return None
        return (self.right if self.right is not None else self.passed) / self.tasks

    @property
    def interval(self) -> Interval | None:
        """95% Wilson interval of the pass rate."""
        if not self.tasks:
            return None
        return wilson_interval(self.right if self.right is not None else self.passed, self.tasks)

    @property
    def gates_pass_rate(self) -> float | None:
        return self.passed / self.tasks if self.tasks else None

    @property
    def gates_interval(self) -> Interval | None:
        return wilson_interval(self.passed, self.tasks) if self.tasks else None

    @property
    def right_unaided_interval(self) -> Interval | None:
        if not self.tasks or self.right_unaided is None:
            return None
        return wilson_interval(self.right_unaided, self.tasks)

    @property
    def worst_seam(self) -> str | None:
        """The seam that loses the most tasks."""
        return self.losses[0][0] if self.losses else None

    @property
    def simulated_decisions(self) -> int:
        return dict(self.decisions).get("simulated", 0)

    @property
    def human_decisions(self) -> int:
        return dict(self.decisions).get("human", 0)

    def per_success(self, total: float) -> float | None:
        """`total` spread over the successful tasks (right ones, with expected artifacts):
        failures are paid for by the successes."""
        good = self.right if self.right is not None else self.passed
        return total / good if good else None

    def per_task(self, total: float) -> float | None:
        return total / self.tasks if self.tasks else None

    @property
    def cost_per_success(self) -> float | None:
        return self.per_success(self.cost_usd)

    @property
    def calls_per_success(self) -> float | None:
        return self.per_success(self.model_calls)

    @property
    def tokens_per_success(self) -> float | None:
        return self.per_success(self.input_tokens + self.output_tokens)

    @property
    def seconds_per_success(self) -> float | None:
        return self.per_success(self.model_seconds)

    def to_dict(self) -> dict[str, Any]:
        interval, gates = self.interval, self.gates_interval
        return {
            **fields_of(self),
            "losses": dict(self.losses),
            "statuses": dict(self.statuses),
            "decisions": dict(self.decisions),
            "waiting_at": dict(self.waiting_at),
            "pass_rate": self.pass_rate,
            "interval": [interval.low, interval.high] if interval else None,
            "gates_pass_rate": self.gates_pass_rate,
            "gates_interval": [gates.low, gates.high] if gates else None,
            "worst_seam": self.worst_seam,
            "per_task": {
                "model_calls": self.per_task(self.model_calls),
                "model_seconds": self.per_task(self.model_seconds),
                "wall_seconds": self.per_task(self.wall_seconds),
                "waiting_seconds": self.per_task(self.waiting_seconds),
                "cost_usd": self.per_task(self.cost_usd),
            },
            "per_success": {
                "model_calls": self.calls_per_success,
                "tokens": self.tokens_per_success,
                "cost_usd": self.cost_per_success,
                "model_seconds": self.seconds_per_success,
            },
        }


@dataclass(frozen=True, slots=True)
class ModeReport:
    """Every seam and the end-to-end result of the runs made in one gate mode.

    `str()` is a plain-text table; `.seams` holds the numbers.
    """

    mode: str
    pipelines: tuple[str, ...]
    seams: tuple[SeamMetrics, ...]
    end_to_end: EndToEnd
    examples: tuple[TaskExample, ...]

    @property
    def label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)

    @property
    def models(self) -> tuple[str, ...]:
        return self.end_to_end.models

    def seam(self, step: str) -> SeamMetrics:
        for seam in self.seams:
            if seam.step == step:
                return seam
        raise KeyError(f"no seam {step!r}; seams: {[s.step for s in self.seams]}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "pipelines": list(self.pipelines),
            "seams": [s.to_dict() for s in self.seams],
            "end_to_end": self.end_to_end.to_dict(),
            "examples": [e.to_dict() for e in self.examples],
        }

    def __str__(self) -> str:
        from seamline.reliability.terminal import plain_text

        return plain_text(self)


@dataclass(frozen=True, slots=True)
class ReliabilityReport:
    """Reliability of a set of runs: one `ModeReport` per gate mode that was run."""

    modes: tuple[ModeReport, ...]

    @property
    def shadow(self) -> ModeReport | None:
        return self.mode("shadow")

    @property
    def gated(self) -> ModeReport | None:
        return self.mode("on")

    def mode(self, mode: str) -> ModeReport | None:
        return next((m for m in self.modes if m.mode == mode), None)

    @property
    def seams(self) -> tuple[SeamMetrics, ...]:
        """The seams of the gated runs if any, else of the first mode."""
        main = self.gated or (self.modes[0] if self.modes else None)
        return main.seams if main else ()

    @property
    def predicted(self) -> float | None:
        """The product of first-pass yields, from the ungated (shadow) runs when there are some."""
        main = self.shadow or self.gated or (self.modes[0] if self.modes else None)
        return main.end_to_end.predicted if main else None

    @property
    def pipelines(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for m in self.modes for p in m.pipelines))

    @property
    def models(self) -> tuple[str, ...]:
        """Every model the runs called, in order of first use."""
        return tuple(dict.fromkeys(name for m in self.modes for name in m.models))

    def lift(self, metric: str = "pass_rate", step: str | None = None) -> Lift | None:
        """Gated against shadow for one count, with a 95% interval of the difference.

        `metric`: "pass_rate" (right end to end, or passed every gate without expected
        artifacts), "passed" (passed every gate), "right_unaided", or with `step` a seam
        count: "right_accepted", "right", "escaped_defects", "false_alarms", "caught".
        """
        shadow, gated = self.shadow, self.gated
        if shadow is None or gated is None:
            return None

        def count(mode: ModeReport) -> tuple[int, int]:
            if step is not None:
                seam = mode.seam(step)
                return int(getattr(seam, metric) or 0), seam.scored or seam.units
            e = mode.end_to_end
            if metric == "pass_rate":
                return (e.right if e.right is not None else e.passed), e.tasks
            return int(getattr(e, metric) or 0), e.tasks

        return lift(*count(shadow), *count(gated))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "predicted": self.predicted,
            "models": list(self.models),
            "modes": {m.mode: m.to_dict() for m in self.modes},
        }
        gain = self.lift()
        if gain is not None:
            out["lift"] = {
                "pass_rate": {
                    "shadow": gain.a,
                    "gated": gain.b,
                    "difference": gain.difference,
                    "interval": [gain.interval.low, gain.interval.high],
                }
            }
        return out

    def to_html(self, title: str | None = None) -> str:
        from seamline.reliability.html import render_html

        return render_html(self, title=title)

    def __str__(self) -> str:
        from seamline.reliability.terminal import plain_text

        return plain_text(self)
