"""Small statistics for pass rates: the Wilson score interval and the predicted product."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval for a proportion, as fractions in [0, 1]."""

    low: float
    high: float


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval:
    """The Wilson score interval for `successes` out of `trials` (95% by default).

    Unlike the normal approximation it stays inside [0, 1] and behaves at 0 and at
    `trials`, which is where small evals live (0 of 10 is not "0% ± 0").
    """
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be in [0, {trials}], got {successes}")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 and at `trials` the bound is exactly 0 or 1; floating point would miss it.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low, high)


def product(rates: Iterable[float]) -> float:
    """The end-to-end pass rate the per-seam rates predict if seams fail independently."""
    return math.prod(rates)


@dataclass(frozen=True, slots=True)
class Lift:
    """How much a rate moved between two sets of runs (b - a), with a 95% interval."""

    a: float
    b: float
    difference: float
    interval: Interval  # of the difference, in [-1, 1]

    @property
    def significant(self) -> bool:
        """The interval excludes zero: the rates differ beyond chance at 95%."""
        return self.interval.low > 0 or self.interval.high < 0


def lift(a_successes: int, a_trials: int, b_successes: int, b_trials: int) -> Lift | None:
    """The difference of two proportions (b - a) with Newcombe's hybrid score interval.

    Built from the two Wilson intervals (Newcombe 1998, method 10), it stays inside
    [-1, 1] and behaves at 0% and 100%, where a normal-approximation interval collapses.
    It treats the two samples as independent, which for shadow and gated runs of the same
    tasks makes it a little wider than a paired interval: it never overstates a lift.
    """
    if a_trials <= 0 or b_trials <= 0:
        return None
    p1, p2 = a_successes / a_trials, b_successes / b_trials
    w1, w2 = wilson_interval(a_successes, a_trials), wilson_interval(b_successes, b_trials)
    d = p2 - p1
    low = d - math.sqrt((p2 - w2.low) ** 2 + (w1.high - p1) ** 2)
    high = d + math.sqrt((w2.high - p2) ** 2 + (p1 - w1.low) ** 2)
    return Lift(p1, p2, d, Interval(max(-1.0, low), min(1.0, high)))
