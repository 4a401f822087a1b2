"""What a seam does when its gate fails: an escalation ladder, and the budgets that bound it.

```python
on_fail = sl.retry(2, feedback=True).then(sl.fallback_model("openai:gpt-4o")).then(sl.escalate_to_human())
```
Failure 1 and 2 retry the producing step with the reasons as feedback, failure 3 runs it
once more on the fallback model, failure 4 asks a human. Every ladder ends, so every loop
is bounded: past the last rung the run fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamline.models.base import Model


class Action(StrEnum):
    RETRY = "retry"
    REROUTE = "reroute"
    FALLBACK = "fallback"
    ESCALATE = "escalate"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Rung:
    action: Action
    times: int = 1  # how many failures this rung absorbs; escalate and fail absorb all
    target: str | None = None  # the step to re-run, for reroute
    model: Any = None  # for fallback: a model string or a Model object
    feedback: bool = True

    @property
    def label(self) -> str:
        if self.action is Action.REROUTE:
            return f"reroute:{self.target}"
        if self.action is Action.FALLBACK:
            return f"fallback:{getattr(self.model, 'name', self.model)}"
        return self.action.value


_FAIL = Rung(Action.FAIL)


@dataclass(frozen=True, slots=True)
class Policy:
    """An escalation ladder. Build with `retry`, `reroute`, `fallback_model`,
    `escalate_to_human`, `fail`, and chain with `.then(...)`."""

    rungs: tuple[Rung, ...]

    def then(self, next_policy: Policy) -> Policy:
        if self.rungs and self.rungs[-1].action in (Action.ESCALATE, Action.FAIL):
            raise ValueError(
                f"nothing can follow {self.rungs[-1].action.value}(): it ends the ladder"
            )
        return Policy(self.rungs + next_policy.rungs)

    def decide(self, failures: int) -> Rung:
        """The rung that handles the `failures`-th failed verdict of one unit of work."""
        absorbed = 0
        for rung in self.rungs:
            if rung.action in (Action.ESCALATE, Action.FAIL):
                return rung
            absorbed += rung.times
            if failures <= absorbed:
                return rung
        return _FAIL

    @property
    def reroute_targets(self) -> list[str]:
        return [r.target for r in self.rungs if r.target is not None]

    def __repr__(self) -> str:
        return " → ".join(f"{r.label}×{r.times}" for r in self.rungs) or "fail"


def retry(times: int = 2, *, feedback: bool = True) -> Policy:
    """Run the producing step again, up to `times` times, with the verdict's reasons as feedback."""
    if times < 1:
        raise ValueError(f"retry() needs times >= 1, got {times}")
    return Policy((Rung(Action.RETRY, times, feedback=feedback),))


def reroute(step: str, times: int = 1, *, feedback: bool = True) -> Policy:
    """Run an earlier `step` again with the feedback; everything downstream of it is recomputed."""
    if times < 1:
        raise ValueError(f"reroute() needs times >= 1, got {times}")
    return Policy((Rung(Action.REROUTE, times, target=step, feedback=feedback),))


def fallback_model(model: str | Model, times: int = 1) -> Policy:
    """Run the producing step again with `model` as its default model."""
    return Policy((Rung(Action.FALLBACK, times, model=model),))


def escalate_to_human() -> Policy:
    """Stop this branch and ask a human: the run waits with status `needs_review`."""
    return Policy((Rung(Action.ESCALATE),))


def fail() -> Policy:
    """End the run with `GateRejected`."""
    return Policy((_FAIL,))


@dataclass(frozen=True, slots=True)
class Budget:
    """Per-run limits. Exceeding one ends the run with `BudgetExceeded`; what was
    produced is kept. None means unlimited."""

    model_calls: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    seconds: float | None = None
    tool_calls: int | None = None  # calls an agent step (or `ctx.call_tool`) makes to tools

    def as_dict(self) -> dict[str, float]:
        return {
            k: v
            for k in ("model_calls", "tokens", "cost_usd", "seconds", "tool_calls")
            if (v := getattr(self, k)) is not None
        }
