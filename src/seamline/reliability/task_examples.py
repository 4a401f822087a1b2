"""Tasks worth a look, as a report keeps them: the verdicts that stopped a task, and the
artifacts it handed on beside the expected ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.verdict import CheckResult, Outcome

__all__ = ["ArtifactDiff", "TaskExample", "VerdictExample", "fields_of"]


def fields_of(value: Any) -> dict[str, Any]:
    """A dataclass's fields, JSON-ready."""
    out: dict[str, Any] = {
        name: to_jsonable_python(getattr(value, name), fallback=repr)
        for name in value.__dataclass_fields__
    }
    return out


@dataclass(frozen=True, slots=True)
class ArtifactDiff:
    """An artifact a unit handed on (or was judged on) next to the expected one."""

    step: str
    index: int | None
    accepted: bool | None  # whether the gate passed it; None for a step without a gate
    artifact: Any  # JSON-ready
    expected: Any  # JSON-ready
    differences: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return fields_of(self)


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
        return {**fields_of(self), "reasons": self.reasons}


@dataclass(frozen=True, slots=True)
class TaskExample:
    """A task worth a look: wrong, stopped, failed or waiting.

    `outcome` is "escaped" (passed every gate with a wrong artifact: `artifacts` holds the
    accepted artifacts that differ, beside the expected ones), "false alarm" (a gate
    rejected an artifact that was right), "caught" (a gate rejected a wrong artifact), "wrong"
    (finished wrong some other way, e.g. a person approved it), "escalated" (without expected
    artifacts: a person let through what a gate stopped), "waiting" (for a person), or
    "failed" (a step failed, or the run stopped without a gate's say).
    """

    run_id: str | None
    status: str
    outcome: str
    lost_at: str | None
    error: str | None
    verdicts: tuple[VerdictExample, ...]
    mismatches: tuple[str, ...]  # differences from the expected artifacts
    artifacts: tuple[ArtifactDiff, ...] = ()
    pending: int = 0  # approvals waiting for a person
    # What the run's steps read from the context store: step, attempt, collection,
    # revision, query, and (document, chunk, version, score) of each passage.
    reads: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **fields_of(self),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "artifacts": [a.to_dict() for a in self.artifacts],
        }
