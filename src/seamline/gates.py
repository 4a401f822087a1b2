"""Gates: the checks and judges that decide whether an artifact may cross a seam.

```python
pipe.gate(
    "storyboard",
    sl.check("at most 90 seconds", lambda storyboard: storyboard.duration_sec <= 90),
    sl.judge("matches the brief", rubric="...", threshold=0.85, reads=("brief",)),
    on_fail=sl.retry(2),
)
```
Checks run first, in the order given; judges (model calls) run last and are skipped
once a check has failed. A check that raises is a failed check, never a crash; a judge
whose own output is malformed is a gate *error*, counted apart from failures.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from seamline.agreement import Agree
from seamline.exceptions import PipelineError
from seamline.models.base import Model
from seamline.policies import Policy, retry
from seamline.steps import Param, read_params
from seamline.tools.trace import ToolTrace
from seamline.verdict import CheckResult, Outcome, Verdict


@dataclass(frozen=True, slots=True, eq=False)
class Check:
    """A deterministic predicate over the gated artifact and anything upstream.

    Its parameters are resolved by name, like a step's: the gated step's name gives the
    artifact under review, other names give inputs or upstream artifacts. It returns
    True (or None) to pass, False or a reason string to fail; raising fails with the
    exception as the reason.
    """

    name: str
    fn: Callable[..., Any]

    def params(self) -> list[Param]:
        """The parameters that name artifacts (a `ToolTrace` parameter is not one)."""
        return [p for p in self._all_params() if p.annotation is not ToolTrace]

    def trace_param(self) -> str | None:
        """The parameter annotated `sl.ToolTrace`, which receives the attempt's tool calls."""
        return next((p.name for p in self._all_params() if p.annotation is ToolTrace), None)

    def _all_params(self) -> list[Param]:
        return read_params(self.fn, owner=f"check {self.name!r}", what="check")[0]

    def reads_param(self) -> str | None:
        """The parameter that receives what the attempt read: annotated `sl.Reads`, or an
        unannotated one named `reads`."""
        for p in self._all_params():
            if _is_reads(p.annotation) or (
                p.annotation is inspect.Parameter.empty and p.name == "reads"
            ):
                return p.name
        return None

    async def run(
        self,
        values: Mapping[str, Any],
        names: Sequence[str],
        trace: tuple[str, ToolTrace] | None = None,
    ) -> CheckResult:
        try:
            kwargs = {n: values[n] for n in names}
            if trace is not None:
                kwargs[trace[0]] = trace[1]
            result = self.fn(**kwargs)
            # Asked only of what is not a plain answer: `isawaitable` is an ABC check,
            # and most checks are sync functions returning a bool.
            if not (result is True or result is False or result is None) and (
                inspect.isawaitable(result)
            ):
                result = await result
        except Exception as e:  # a broken check is a failed check, never a crash
            return CheckResult(
                self.name, "check", Outcome.FAILED, f"raised {type(e).__name__}: {e}"
            )
        if result is True or result is None:
            return CheckResult(self.name, "check", Outcome.PASSED)
        if result is False:
            return CheckResult(self.name, "check", Outcome.FAILED)
        if isinstance(result, str):
            return CheckResult(self.name, "check", Outcome.FAILED, result or None)
        return CheckResult(
            self.name,
            "check",
            Outcome.FAILED,
            f"returned {type(result).__name__}; a check returns True, False or a reason string",
        )


class JudgeScore(BaseModel):
    """What a judge model must return."""

    score: float = Field(ge=0.0, le=1.0, description="1.0 fully meets the rubric, 0.0 not at all")
    reasons: list[str] = Field(default_factory=list, description="what falls short, briefly")


# Runs a judge through the execution, which records the model call and charges budgets.
# The executor's runner also has `tool_trace()`: the gated attempt's tool calls.
# It may also have a `reads()` method: the passages the gated attempt read (calls.py).
JudgeRunner = Callable[["Judge", Mapping[str, Any]], Awaitable[CheckResult]]


def _is_reads(annotation: Any) -> bool:
    # By name, so that building a gate never imports the context layer.
    return (
        getattr(annotation, "__name__", None) == "Reads"
        and getattr(annotation, "__module__", None) == "seamline.context.provenance"
    )


def _reads_of(run_judge: JudgeRunner) -> Any:
    """The gated attempt's reads (`sl.Reads`), from the runner calls.py made."""
    reads = getattr(run_judge, "reads", None)
    if reads is not None:
        return reads()
    from seamline.context.provenance import Reads

    return Reads()


@dataclass(frozen=True, slots=True, eq=False)
class Judge:
    """An evaluator model scores the artifact against a rubric; below `threshold` fails."""

    name: str
    rubric: str
    threshold: float
    model: str | Model | None = None
    reads: tuple[str, ...] = ()  # upstream inputs/artifacts shown to the judge as context
    with_reads: bool = False  # show the judge the passages the attempt read (ctx.search)

    def prompt(self, step: str, values: Mapping[str, Any], passages: Sequence[Any] = ()) -> str:
        context = "".join(
            f"\n{name}:\n{json.dumps(to_jsonable_python(values[name]), ensure_ascii=False)}\n"
            for name in self.reads
        )
        if passages:
            context += "\nPassages the step read:\n" + "".join(
                f"[{p.document}#{p.chunk}] {p.text}\n" for p in passages
            )
        artifact = json.dumps(to_jsonable_python(values[step]), ensure_ascii=False)
        return (
            f"Rubric: {self.rubric}\n{context}\nArtifact to judge ({step}):\n{artifact}\n\n"
            "Score from 0.0 to 1.0 how well the artifact meets the rubric, and list what falls short."
        )

    def result(
        self, score: JudgeScore | None, error: str | None, cost: float, seconds: float
    ) -> CheckResult:
        if score is None:
            return CheckResult(
                self.name,
                "judge",
                Outcome.ERROR,
                f"judge output malformed: {error}",
                None,
                cost,
                seconds,
            )
        if score.score >= self.threshold:
            return CheckResult(self.name, "judge", Outcome.PASSED, None, score.score, cost, seconds)
        why = "; ".join(score.reasons) or "no reasons given"
        return CheckResult(
            self.name,
            "judge",
            Outcome.FAILED,
            f"scored {score.score:.2f} < {self.threshold:.2f}: {why}",
            score.score,
            cost,
            seconds,
        )


def check(name: str, fn: Callable[..., Any]) -> Check:
    """A deterministic gate check. See `Check`."""
    return Check(name, fn)


def judge(
    name: str,
    rubric: str,
    threshold: float = 0.8,
    *,
    model: str | Model | None = None,
    reads: Sequence[str] = (),
    with_reads: bool = False,
) -> Judge:
    """An LLM judge. `model` defaults to the step's model; `reads` adds upstream context;
    `with_reads` shows it the passages the attempt read from the context store."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"judge {name!r}: threshold must be within [0, 1], got {threshold}")
    return Judge(name, rubric, threshold, model, tuple(reads), with_reads)


@dataclass(frozen=True, slots=True, eq=False)
class Gate:
    """The checks on one step's output, and what to do when they fail."""

    step: str
    checks: tuple[Check, ...]
    judges: tuple[Judge, ...]
    policy: Policy
    max_attempts: int | None  # a per-gate budget on attempts of one unit of work
    check_params: tuple[tuple[str, ...], ...]  # parameter names of each check, read once
    # "when_checks_pass" saves a model call once a check has failed; "always" gathers
    # every reason in one pass, so one retry can fix them all.
    judges_run: str = "when_checks_pass"
    # Per check, the parameter that receives the attempt's `ToolTrace`, if it has one.
    trace_params: tuple[str | None, ...] = ()
    # Per check: the parameter that receives the attempt's reads (`sl.Reads`), or None.
    check_reads: tuple[str | None, ...] = ()
    # A consensus check (`sl.agree`): samples of the step, after the checks, before judges.
    agree: Agree | None = None

    async def evaluate(self, values: Mapping[str, Any], run_judge: JudgeRunner) -> Verdict:
        if not (self.trace_params or self.check_reads or self.judges or self.agree):
            return await self._checks_only(values)
        results: list[CheckResult] = []
        failed = False
        trace: ToolTrace | None = None
        traced = self.trace_params or (None,) * len(self.checks)
        wants_reads = self.check_reads or (None,) * len(self.checks)
        for c, names, trace_param, reads_param in zip(
            self.checks, self.check_params, traced, wants_reads, strict=True
        ):
            started = time.perf_counter()
            if reads_param is not None:
                values = {**values, reads_param: _reads_of(run_judge)}
                names = (*names, reads_param)
            if trace_param is None:
                r = await c.run(values, names)
            else:
                if trace is None:
                    read = getattr(run_judge, "tool_trace", None)
                    trace = read() if read is not None else ToolTrace()
                r = await c.run(values, names, (trace_param, trace))
            if r.outcome is not Outcome.PASSED:
                failed = True
            results.append(
                r if r.outcome is Outcome.PASSED else _timed(r, time.perf_counter() - started)
            )
        if self.agree is not None:
            if failed:  # a failed check already decided: the samples are saved
                results.append(CheckResult(self.agree.name, "agree", Outcome.SKIPPED))
            else:
                started = time.perf_counter()
                r = await self.agree.run(values[self.step], run_judge.sample)  # type: ignore[attr-defined]
                failed = failed or r.outcome is not Outcome.PASSED
                r.seconds = time.perf_counter() - started
                results.append(r)
        for j in self.judges:
            if failed and self.judges_run != "always":  # a failed check already decided
                results.append(CheckResult(j.name, "judge", Outcome.SKIPPED))
            else:
                results.append(await run_judge(j, values))
        scores = [r.score for r in results if r.score is not None]
        passed = all(r.outcome is Outcome.PASSED for r in results)
        return Verdict(passed, tuple(results), min(scores) if scores else None)

    async def _checks_only(self, values: Mapping[str, Any]) -> Verdict:
        """`evaluate` for the most common gate (checks of artifacts, no judge, no reads or
        tool trace), kept short: it runs on every seam of every run."""
        results = []
        passed = True
        for c, names in zip(self.checks, self.check_params, strict=True):
            started = time.perf_counter()
            r = await c.run(values, names)
            if r.outcome is not Outcome.PASSED:
                passed = False
                r = _timed(r, time.perf_counter() - started)
            results.append(r)
        return Verdict(passed, tuple(results), None)


def _timed(r: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(r.name, r.kind, r.outcome, r.reason, r.score, r.cost_usd, seconds)


def make_gate(
    step: str,
    items: Sequence[Check | Judge | Agree],
    on_fail: Policy | None,
    max_attempts: int | None,
    judges: str = "when_checks_pass",
) -> Gate:
    checks = tuple(i for i in items if isinstance(i, Check))
    model_judges = tuple(i for i in items if isinstance(i, Judge))
    agreements = [i for i in items if isinstance(i, Agree)]
    bad = [i for i in items if not isinstance(i, Check | Judge | Agree)]
    if bad:
        raise PipelineError(
            "gate items must be sl.check(...), sl.judge(...) or sl.agree(...), got "
            f"{type(bad[0]).__name__}; wrap a plain function as sl.check('name', fn)",
            step=step,
        )
    if len(agreements) > 1:
        raise PipelineError(
            "a gate takes one sl.agree(...); list every field that must agree in its fields=",
            step=step,
        )
    reads = tuple(c.reads_param() for c in checks)
    names = tuple(
        tuple(p.name for p in c.params() if p.name != r) for c, r in zip(checks, reads, strict=True)
    )
    traces = tuple(c.trace_param() for c in checks)
    if judges not in ("when_checks_pass", "always"):
        raise PipelineError(f"judges={judges!r}: use 'when_checks_pass' or 'always'", step=step)
    policy = on_fail if on_fail is not None else retry(2)
    return Gate(
        step,
        checks,
        model_judges,
        policy,
        max_attempts,
        names,
        judges,
        traces if any(t is not None for t in traces) else (),
        reads if any(r is not None for r in reads) else (),
        agreements[0] if agreements else None,
    )


def schema_verdict(kind: str, reason: str) -> Verdict:
    """The verdict for an attempt that produced no artifact: the model's output did not
    validate (`kind="schema"`), or the step raised `Retry` (`kind="retry"`)."""
    # Named for what was checked, not for a hoped-for outcome: "failed: output matches the
    # artifact type" read as if the output did match.
    name = "artifact schema" if kind == "schema" else "step's own Retry"
    return Verdict(False, (CheckResult(name, kind, Outcome.FAILED, reason),))
