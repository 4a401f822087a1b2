"""What a run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seamline.events import ApprovalRequested, Event, GateEvaluated, RunStatus
from seamline.runtime.log import as_events

if TYPE_CHECKING:
    from seamline.exceptions import RunFailed
    from seamline.runtime.state import RunState
    from seamline.runtime.writer import LogWriter


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
    _state: RunState | None = field(default=None, repr=False, compare=False)

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
    def state(self) -> RunState:
        """The run's state, as its log describes it (see `seamline.runtime.state`)."""
        if self._state is None:
            from seamline.runtime.state import fold

            self._state = fold(self.run_id, self.events)
        return self._state

    @property
    def pending_approvals(self) -> list[ApprovalRequested]:
        """Approvals requested and neither decided nor superseded, in the order asked."""
        return self.state.pending_approvals

    def report(self) -> Any:
        """Per seam: first-pass yield, retries, catches, escalations, gate errors; and the outcome."""
        from seamline.reliability import run_report

        return run_report(self.events)

    def __getitem__(self, step: str) -> Any:
        return self.artifacts[step]


def run_result(
    execution: LogWriter, error: RunFailed | None = None, raise_on_failure: bool = True
) -> RunResult:
    """What a run returns; a failure is raised (with the result attached) unless asked not to."""
    state = execution  # the writer is the run's state (runtime/writer.py)
    # The run is over: its state's artifacts become the result's (the inputs left out);
    # `RunResult.state` folds the log again when someone asks for it.
    artifacts = state.artifacts
    for name in state.inputs:
        artifacts.pop(name, None)
    result = RunResult(
        execution.run_id, state.pipeline or "", state.status, artifacts, execution.log, error
    )
    if error is not None:
        error.run_id = execution.run_id
        error.result = result  # type: ignore[attr-defined]
        if raise_on_failure:
            raise error
    return result
