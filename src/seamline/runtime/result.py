"""What a run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    GateEvaluated,
    RunFinished,
    RunStatus,
)
from seamline.runtime.log import as_events

if TYPE_CHECKING:
    from seamline.exceptions import RunFailed
    from seamline.runtime.executor import Execution


@dataclass
class RunResult:
    """The outcome of a run: its status, every artifact it produced, and its whole log.

    Attributes:
        artifacts: step name -> artifact, for every step that completed (None for a
            skipped step). Kept when the run fails, waits or needs review.
        error: what ended a failed run.
    """

    run_id: str
    pipeline: str
    status: RunStatus
    artifacts: dict[str, Any]
    _log: list[Any] = field(repr=False, compare=False)  # as the executor kept it
    error: RunFailed | None = None

    @property
    def events(self) -> list[Event]:
        """The run log, in order."""
        return as_events(self._log)  # made into events on first use (runtime/log.py)

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    @property
    def verdicts(self) -> list[GateEvaluated]:
        return [e for e in self.events if isinstance(e, GateEvaluated)]

    @property
    def pending_approvals(self) -> list[ApprovalRequested]:
        decided = {e.approval_id for e in self.events if isinstance(e, ApprovalDecided)}
        return [
            e
            for e in self.events
            if isinstance(e, ApprovalRequested) and e.approval_id not in decided
        ]

    def report(self) -> Any:
        """Per seam: first-pass yield, retries, catches, escalations, gate errors; and the outcome."""
        from seamline.reliability import run_report

        return run_report(self.events)

    def __getitem__(self, step: str) -> Any:
        return self.artifacts[step]


def run_result(
    execution: Execution, error: RunFailed | None = None, raise_on_failure: bool = True
) -> RunResult:
    """What a run returns; a failure is raised (with the result attached) unless asked not to."""
    last = execution.log[-1] if execution.log else None  # never a note: see runtime/log.py
    status = last.status if isinstance(last, RunFinished) else RunStatus.RUNNING
    artifacts = execution.artifacts  # the run is over: its state becomes the result's
    for name in execution.plan.inputs:  # the shared state holds the inputs too
        artifacts.pop(name, None)
    result = RunResult(
        execution.run_id, execution.plan.pipeline, status, artifacts, execution.log, error
    )
    if error is not None:
        error.run_id = execution.run_id
        error.result = result  # type: ignore[attr-defined]
        if raise_on_failure:
            raise error
    return result
