"""The values a gate produces: one `CheckResult` per check, one `Verdict` per evaluation.

Slotted, not frozen (a gate on every seam makes their construction cost count);
treat them as immutable values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # The check itself broke (a judge's output was malformed, a check raised before
    # it could judge): the artifact may be fine, so it is counted apart from failures.
    ERROR = "error"
    # Not evaluated: a cheaper deterministic check had already failed.
    SKIPPED = "skipped"


@dataclass(slots=True)
class CheckResult:
    name: str
    kind: str  # "check", "judge", "schema" (the artifact failed to validate) or "retry"
    outcome: Outcome
    reason: str | None = None
    score: float | None = None
    cost_usd: float = 0.0
    seconds: float = 0.0


@dataclass(slots=True)
class Verdict:
    """What a gate decided about one artifact, and why."""

    passed: bool
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    score: float | None = None

    @property
    def reasons(self) -> list[str]:
        """The reasons of every check that failed or errored, in evaluation order."""
        return [
            f"{c.name}: {c.reason}" if c.reason else c.name
            for c in self.checks
            if c.outcome in (Outcome.FAILED, Outcome.ERROR)
        ]

    @property
    def errored(self) -> bool:
        """True when the verdict failed only because a check broke, not because one failed."""
        outcomes = {c.outcome for c in self.checks}
        return not self.passed and Outcome.ERROR in outcomes and Outcome.FAILED not in outcomes

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.checks)

    @property
    def skipped_judges(self) -> int:
        return sum(1 for c in self.checks if c.outcome is Outcome.SKIPPED)
