"""The values `measure` returns: per seam, end to end, per gate mode, and failing examples.

Plain frozen dataclasses; `to_dict()` gives the JSON form, `str()` the terminal table.
Definitions of the numbers are in `seamline.reliability.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.reliability.stats import Interval, wilson_interval
from seamline.verdict import CheckResult, Outcome

__all__ = [
    "MODE_LABELS",
    "EndToEnd",
    "ModeReport",
    "ReliabilityReport",
    "SeamMetrics",
    "TaskExample",
    "VerdictExample",
]

MODE_LABELS = {"shadow": "shadow", "on": "gated", "off": "gates off"}


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

    @property
    def first_pass_yield(self) -> float | None:
        return self.first_pass / self.units if self.units else None

    @property
    def catch_rate(self) -> float | None:
        return self.catches / self.evaluations if self.evaluations else None

    @property
    def retries_to_pass(self) -> float | None:
        return self.retries_to_pass_total / self.passed_units if self.passed_units else None

    def to_dict(self) -> dict[str, Any]:
        return {
            **_fields(self),
            "first_pass_yield": self.first_pass_yield,
            "catch_rate": self.catch_rate,
            "retries_to_pass": self.retries_to_pass,
        }


@dataclass(frozen=True, slots=True)
class EndToEnd:
    """Tasks through the whole pipeline, for one gate mode."""

    mode: str
    tasks: int
    passed: int
    predicted: float | None  # product of the per-seam first-pass yields
    escalated: int  # tasks where a gate handed work to a human
    escaped_defects: int | None  # passed tasks with a wrong artifact; None without expected
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    model_seconds: float
    wall_seconds: float
    losses: tuple[tuple[str, int], ...]  # (seam, tasks lost there), most first
    statuses: tuple[tuple[str, int], ...] = ()  # (run status, runs), most first

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.tasks if self.tasks else None

    @property
    def interval(self) -> Interval | None:
        """95% Wilson interval of the pass rate."""
        return wilson_interval(self.passed, self.tasks) if self.tasks else None

    @property
    def worst_seam(self) -> str | None:
        """The seam that loses the most tasks."""
        return self.losses[0][0] if self.losses else None

    def per_success(self, total: float) -> float | None:
        """`total` spread over the passed tasks: failures are paid for by the successes."""
        return total / self.passed if self.passed else None

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

    @property
    def wall_seconds_per_success(self) -> float | None:
        return self.per_success(self.wall_seconds)

    def to_dict(self) -> dict[str, Any]:
        interval = self.interval
        return {
            **_fields(self),
            "losses": dict(self.losses),
            "statuses": dict(self.statuses),
            "pass_rate": self.pass_rate,
            "interval": [interval.low, interval.high] if interval else None,
            "worst_seam": self.worst_seam,
            "per_success": {
                "model_calls": self.calls_per_success,
                "tokens": self.tokens_per_success,
                "cost_usd": self.cost_per_success,
                "model_seconds": self.seconds_per_success,
                "wall_seconds": self.wall_seconds_per_success,
            },
        }


@dataclass(frozen=True, slots=True)
class VerdictExample:
    """A verdict that did not pass, with the artifact it judged."""

    step: str
    index: int | None
    attempt: int
    action: str
    checks: tuple[CheckResult, ...]
    artifact: Any  # JSON-ready; None when the attempt produced none
    error: str | None  # the attempt's error, for schema / retry verdicts

    @property
    def reasons(self) -> list[str]:
        return [
            f"{c.name}: {c.reason}" if c.reason else c.name
            for c in self.checks
            if c.outcome in (Outcome.FAILED, Outcome.ERROR)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {**_fields(self), "reasons": self.reasons}


@dataclass(frozen=True, slots=True)
class TaskExample:
    """A task that did not pass, or passed with a wrong artifact (an escaped defect)."""

    run_id: str | None
    status: str
    # "failed"; "caught" for a shadow run that succeeded though a gate would have stopped
    # it; "escaped" for a task that passed with an artifact that differs from the expected.
    outcome: str
    lost_at: str | None
    error: str | None
    verdicts: tuple[VerdictExample, ...]
    mismatches: tuple[str, ...]  # differences from the expected artifacts
    # What the run's steps read from the context store: step, attempt, collection,
    # revision, query, and (document, chunk, version, score) of each passage.
    reads: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**_fields(self), "verdicts": [v.to_dict() for v in self.verdicts]}


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

    def to_dict(self) -> dict[str, Any]:
        return {"predicted": self.predicted, "modes": {m.mode: m.to_dict() for m in self.modes}}

    def to_html(self, title: str | None = None) -> str:
        from seamline.reliability.html import render_html

        return render_html(self, title=title)

    def __str__(self) -> str:
        from seamline.reliability.terminal import plain_text

        return plain_text(self)


def _fields(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: to_jsonable_python(getattr(value, name), fallback=repr)
        for name in value.__dataclass_fields__
    }
    return out
