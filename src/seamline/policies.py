"""What a seam does when its gate fails: an escalation ladder, and the budgets that bound it.

```python
on_fail = sl.retry(2, feedback=True).then(sl.fallback_model("openai:gpt-4o")).then(sl.escalate_to_human())
```
Failure 1 and 2 retry the producing step with the reasons as feedback, failure 3 runs it
once more on the fallback model, failure 4 asks a human. Every ladder ends, so every loop
is bounded: past the last rung the run fails.

A rung is an object with one method, `decide`, which turns a failed verdict into a
`Decision`. The decision is recorded in the run log and applied from there, so a new kind
of rung is one subclass of `Rung`: nothing in the executor, resume or the metrics changes.
What a decision can do is one of four effects: run the unit again (possibly on another
model), send the work back to an earlier step, ask a person, or end the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.verdict import Verdict

Effect = Literal["again", "rewind", "escalate", "fail"]


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed verdict, as a rung sees it.

    Attributes:
        failures: the failed verdicts of this unit so far, this one included.
    """

    step: str
    index: int | None
    attempt: int
    failures: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Decision:
    """What a rung decided about a failed verdict.

    Attributes:
        label: how the log and the reports name it ("retry", "reroute:draft", ...).
        effect: "again" (the unit runs again), "rewind" (the work goes back to `target`),
            "escalate" (a person decides), "fail" (the run ends with `GateRejected`).
        target: the step the work goes back to, for "rewind".
        model: the model the unit's next attempts use, for "again"; None keeps the current.
        feedback: whether the verdict's reasons go to the next attempt.
    """

    label: str
    effect: Effect
    target: str | None = None
    model: str | Model | None = None
    feedback: bool = True


class Rung:
    """One rung of an escalation ladder. Subclass it and implement `decide`.

    Attributes:
        times: how many failed verdicts of one unit this rung handles before the next
            rung takes over. A `final` rung (escalate, fail) handles every one after it.
    """

    times: int = 1
    final: ClassVar[bool] = False

    def decide(self, failure: Failure) -> Decision:
        """The decision for this failed verdict. Must not have side effects: it is made
        once, recorded, and never made again for the same verdict."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        return type(self).__name__.lower()

    def targets(self) -> tuple[str, ...]:
        """Steps this rung may send work back to (checked when the pipeline is validated)."""
        return ()

    def models(self) -> tuple[str | Model, ...]:
        """Models this rung may switch to (so a resumed run can find them again)."""
        return ()


@dataclass(frozen=True, slots=True)
class RetryRung(Rung):
    times: int = 2
    feedback: bool = True

    @property
    def label(self) -> str:
        return "retry"

    def decide(self, failure: Failure) -> Decision:
        return Decision("retry", "again", feedback=self.feedback)


@dataclass(frozen=True, slots=True)
class RerouteRung(Rung):
    target: str
    times: int = 1
    feedback: bool = True

    @property
    def label(self) -> str:
        return f"reroute:{self.target}"

    def decide(self, failure: Failure) -> Decision:
        return Decision(self.label, "rewind", target=self.target, feedback=self.feedback)

    def targets(self) -> tuple[str, ...]:
        return (self.target,)


@dataclass(frozen=True, slots=True)
class FallbackRung(Rung):
    model: str | Model
    times: int = 1
    feedback: bool = True

    @property
    def label(self) -> str:
        return f"fallback:{getattr(self.model, 'name', self.model)}"

    def decide(self, failure: Failure) -> Decision:
        return Decision(self.label, "again", model=self.model, feedback=self.feedback)

    def models(self) -> tuple[str | Model, ...]:
        return (self.model,)


@dataclass(frozen=True, slots=True)
class EscalateRung(Rung):
    final: ClassVar[bool] = True

    @property
    def label(self) -> str:
        return "escalate"

    def decide(self, failure: Failure) -> Decision:
        return Decision("escalate", "escalate")


@dataclass(frozen=True, slots=True)
class FailRung(Rung):
    final: ClassVar[bool] = True

    @property
    def label(self) -> str:
        return "fail"

    def decide(self, failure: Failure) -> Decision:
        return Decision("fail", "fail", feedback=False)


_FAIL = FailRung()


@dataclass(frozen=True, slots=True)
class Policy:
    """An escalation ladder. Build with `retry`, `reroute`, `fallback_model`,
    `escalate_to_human`, `fail` (or a `Rung` of your own, as `Policy((rung,))`), and chain
    with `.then(...)`."""

    rungs: tuple[Rung, ...]

    def then(self, next_policy: Policy) -> Policy:
        if self.rungs and self.rungs[-1].final:
            raise ValueError(f"nothing can follow {self.rungs[-1].label}(): it ends the ladder")
        return Policy(self.rungs + next_policy.rungs)

    def rung_for(self, failures: int) -> Rung:
        """The rung that handles the `failures`-th failed verdict of one unit of work."""
        absorbed = 0
        for rung in self.rungs:
            if rung.final:
                return rung
            absorbed += rung.times
            if failures <= absorbed:
                return rung
        return _FAIL

    @property
    def reroute_targets(self) -> list[str]:
        return [target for rung in self.rungs for target in rung.targets()]

    @property
    def models(self) -> list[str | Model]:
        return [model for rung in self.rungs for model in rung.models()]

    def __repr__(self) -> str:
        return " → ".join(f"{r.label}×{r.times}" for r in self.rungs) or "fail"


def retry(times: int = 2, *, feedback: bool = True) -> Policy:
    """Run the producing step again, up to `times` times, with the verdict's reasons as feedback."""
    if times < 1:
        raise ValueError(f"retry() needs times >= 1, got {times}")
    return Policy((RetryRung(times, feedback),))


def reroute(step: str, times: int = 1, *, feedback: bool = True) -> Policy:
    """Run an earlier `step` again with the feedback; everything downstream of it is recomputed."""
    if times < 1:
        raise ValueError(f"reroute() needs times >= 1, got {times}")
    return Policy((RerouteRung(step, times, feedback),))


def fallback_model(model: str | Model, times: int = 1) -> Policy:
    """Run the producing step again with `model` as its default model.

    A `Model` object is found again by its name when the run resumes in another process:
    the pipeline registers every model its gates and steps name (see `Pipeline(models=...)`).
    """
    if times < 1:
        raise ValueError(f"fallback_model() needs times >= 1, got {times}")
    return Policy((FallbackRung(model, times),))


def escalate_to_human() -> Policy:
    """Stop this branch and ask a human: the run waits with status `needs_review`."""
    return Policy((EscalateRung(),))


def fail() -> Policy:
    """End the run with `GateRejected`."""
    return Policy((_FAIL,))


@dataclass(frozen=True, slots=True)
class Budget:
    """Per-run limits, counted from the run log, so they hold across resumes and processes.
    Exceeding one ends the run with `BudgetExceeded`; what was produced is kept. None
    means unlimited.

    Attributes:
        model_calls: model calls (steps' and judges').
        tokens: input plus output tokens.
        cost_usd: priced cost.
        tool_calls: tool calls.
        seconds: wall time the run spends being driven (time waiting for a person excluded).
    """

    model_calls: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    seconds: float | None = None
    tool_calls: int | None = None

    def as_dict(self) -> dict[str, float]:
        return {
            k: v
            for k in ("model_calls", "tokens", "cost_usd", "seconds", "tool_calls")
            if (v := getattr(self, k)) is not None
        }
