"""Two evals side by side: which differences in pass rates and yields are significant.

A difference is marked significant when a two-sided two-proportion z-test gives
p < 0.05 (pooled variance; undefined when either side has no trials).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from seamline.reliability.report import ReliabilityReport


@dataclass(frozen=True, slots=True)
class Difference:
    metric: str  # e.g. "gated pass rate", "first-pass yield: claim"
    a: float | None
    b: float | None
    a_of: tuple[int, int]  # (successes, trials)
    b_of: tuple[int, int]
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value that two proportions differ (pooled z-test)."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return 1.0 if x1 / n1 == x2 / n2 else 0.0
    z = abs(x1 / n1 - x2 / n2) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def _rate(successes: int, trials: int) -> float | None:
    return successes / trials if trials else None


def _diff(metric: str, a: tuple[int, int], b: tuple[int, int]) -> Difference:
    return Difference(metric, _rate(*a), _rate(*b), a, b, two_proportion_p(a[0], a[1], b[0], b[1]))


def compare_reports(a: ReliabilityReport, b: ReliabilityReport) -> list[Difference]:
    """End-to-end pass rates per gate mode, then first-pass yield per seam."""
    rows = []
    for mode, label in (("shadow", "shadow pass rate"), ("on", "gated pass rate")):
        ma, mb = a.mode(mode), b.mode(mode)
        if ma is not None and mb is not None:
            ea, eb = ma.end_to_end, mb.end_to_end
            rows.append(_diff(label, (ea.passed, ea.tasks), (eb.passed, eb.tasks)))
    seams_a = {s.step: s for s in a.seams}
    for seam_b in b.seams:
        seam_a = seams_a.get(seam_b.step)
        if seam_a is not None:
            rows.append(
                _diff(
                    f"first-pass yield: {seam_b.step}",
                    (seam_a.first_pass, seam_a.units),
                    (seam_b.first_pass, seam_b.units),
                )
            )
    return rows
