"""The consensus gate: an artifact crosses its seam only when samples of its step agree.

```python
pipe.gate(
    "claim",
    sl.check("amount is positive", lambda claim: claim.amount > 0),
    sl.agree(n=3, fields=["amount", "policy_id", "incident_date"]),
    on_fail=sl.retry(2).then(sl.escalate_to_human()),
)
```

The attempt's own artifact is sample 0. The gate runs the step's code again, up to
`n - 1` times, as samples 1, 2, ... of the same attempt: same inputs, same feedback, but
every `ctx.generate` of a sample asks the model at the gate's `temperature` with a seed of
its own (`seed = sample + n * (attempt - 1)`), both recorded in the call's request. So the
diversity is the model's own uncertainty, drawn reproducibly: a replay sends the same
requests and gets the recorded answers back in order.

A field passes when at least `quorum` of the `n` samples (all of them by default) give
the attempt's value; the gate stops sampling once every field has its quorum or one
cannot reach it any more (a disagreement on a unanimous gate costs one extra call, not
`n - 1`). A failed agreement's reason says, per field, what the samples said, and goes
back to the step as feedback like any check's. The samples are model calls: they count
against the run's `Budget`, are recorded with `purpose="sample"` and are the gate's cost
in reports. Checks run first (a failed check saves the samples); judges run after.

The step's code runs once per sample, so `sl.agree` belongs on steps whose only effects
are model calls (tool calls of a sample are recorded, but made).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.verdict import CheckResult, Outcome

# Runs sample k (1, 2, ...) of the gated attempt: (its artifact, None), or (None, why not).
Sampler = Callable[[int], Awaitable[tuple[Any, str | None]]]


@dataclass(frozen=True, slots=True, eq=False)
class Agree:
    """A consensus check: `n` samples of the step must agree on `fields`. See `sl.agree`."""

    name: str
    n: int
    fields: tuple[str, ...]  # empty: every field of the artifact
    quorum: int
    temperature: float

    def seed(self, attempt: int, sample: int) -> int:
        """The sampling seed of `sample` of `attempt`: distinct per attempt and sample."""
        return sample + self.n * (attempt - 1)

    async def run(self, artifact: Any, sample: Sampler) -> CheckResult:
        """The agreement of up to `n - 1` new samples with `artifact` (sample 0)."""
        fields = self.fields or tuple(_fields_of(artifact))
        mine = {f: _value(artifact, f) for f in fields}
        said: dict[str, list[tuple[Any, Any]]] = {f: [] for f in fields}  # (compared, shown)
        failed: list[str] = []  # samples that produced no artifact
        support = dict.fromkeys(fields, 1)
        taken = 1
        for k in range(1, self.n):
            other, error = await sample(k)
            taken += 1
            for f in fields:
                value = (_MISSING, _MISSING) if other is None else _value(other, f)
                said[f].append(value)
                support[f] += value[0] == mine[f][0]
            if other is None:
                failed.append(f"sample {k} produced no artifact ({error})")
            left = self.n - taken
            if all(s >= self.quorum for s in support.values()):
                break  # every field has its quorum: the rest could not change the outcome
            if any(s + left < self.quorum for s in support.values()):
                break  # a field can no longer reach it
        score = min((s / taken for s in support.values()), default=1.0)
        # A field no sample contradicted is not a disagreement, even if sampling stopped
        # (for another field) before it reached its quorum.
        short = [f for f, s in support.items() if s < self.quorum and s < taken]
        if not short:
            return CheckResult(self.name, "agree", Outcome.PASSED, None, score)
        reasons = [_disagreement(f, mine[f][1], [v for _, v in said[f]], taken) for f in short]
        return CheckResult(self.name, "agree", Outcome.FAILED, "; ".join(reasons + failed), score)


class _Missing:
    def __repr__(self) -> str:
        return "no answer"


_MISSING: Any = _Missing()


def _fields_of(artifact: Any) -> list[str]:
    dumped = to_jsonable_python(artifact)
    return list(dumped) if isinstance(dumped, dict) else []


def _value(artifact: Any, field: str) -> tuple[Any, Any]:
    """The field as compared (JSON, so 1250 and 1250.0 or a date and its ISO string are
    equal; text without case or spacing, so "Ana  Ruiz" is "ana ruiz"), and as shown."""
    raw = artifact.get(field) if isinstance(artifact, dict) else getattr(artifact, field, None)
    value = to_jsonable_python(raw)
    if isinstance(value, str):
        return " ".join(value.split()).casefold(), value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value), value
    return value, value


def _disagreement(field: str, mine: Any, others: Sequence[Any], taken: int) -> str:
    counts: dict[str, int] = {}
    for v in others:
        shown = _show(v)
        counts[shown] = counts.get(shown, 0) + 1
    said = ", ".join(f"{v} ×{c}" if c > 1 else v for v, c in counts.items())
    return (
        f"{field}: this attempt gave {_show(mine)}, but {taken - 1} other "
        f"sample{'s' if taken > 2 else ''} gave {said}"
    )


def _show(value: Any) -> str:
    if value is _MISSING:
        return "no answer"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def agree(
    n: int = 3,
    fields: Sequence[str] = (),
    *,
    quorum: int | None = None,
    temperature: float = 0.7,
    name: str | None = None,
) -> Agree:
    """A consensus gate item: accept the attempt's artifact only if `n` samples of its
    step agree with it on `fields`.

    Args:
        n: samples in all, the attempt's own included (at least 2).
        fields: the artifact's fields that must agree (top-level names); empty: all.
        quorum: how many of the `n` samples must give the attempt's value, per field;
            default `n` (unanimous). More than half of `n`.
        temperature: the samples' sampling temperature (the attempt itself keeps the
            model's own settings).
        name: how verdicts and reports name it; default "samples agree".
    """
    if n < 2:
        raise ValueError(f"sl.agree(n={n}): n counts the attempt itself, so it must be >= 2")
    q = n if quorum is None else quorum
    if not n // 2 < q <= n:
        raise ValueError(
            f"sl.agree(n={n}, quorum={quorum}): the quorum must be more than half of n and "
            f"at most n (here {n // 2 + 1}..{n})"
        )
    if not 0.0 < temperature <= 2.0:
        raise ValueError(
            f"sl.agree(temperature={temperature}): samples need a temperature in (0, 2] to "
            "differ from the attempt at all"
        )
    if isinstance(fields, str):
        fields = (fields,)
    label = name or ("samples agree" if not fields else f"samples agree on {', '.join(fields)}")
    return Agree(label, n, tuple(fields), q, temperature)
