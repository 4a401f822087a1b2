"""Every error seamline raises, under one root.

```
SeamlineError
├── PipelineError          a pipeline is malformed; raised by validate(), before anything runs
├── ConfigError            a model, store or setting cannot be used (missing key, bad URL, ...)
├── ModelCallFailed        a model could not be reached, or refused, after its retries
├── StoreError             the run log cannot be opened or written
│   ├── SchemaMismatch     a store written by a newer seamline, or not a seamline store
│   ├── RunBusy            another process (or task) is driving the run
│   └── RunCorrupted       a stored run's log fails its checksum or cannot be decoded
├── IncompatibleRun        a stored run that this version of its pipeline cannot continue
├── RunFailed              a run ended without producing its artifacts
│   ├── StepFailed         a step raised or returned the wrong type, attempts exhausted
│   ├── GateRejected       a gate's policy ended with fail()
│   └── BudgetExceeded     a per-gate or per-run budget ran out
├── ApprovalError          an approval cannot be decided (unknown id, already decided, bad edit)
│   └── StaleApproval      the approval is not what the reviewer saw (its fingerprint differs)
├── ReplayDivergence       a replayed run asked for something its recording does not hold
└── ToolApprovalRequired   a signal: an agent's tool calls wait for a person; the attempt
                           is suspended (the run waits) and runs again once they decide

Retry                      a signal, not an error: step code raises it to fail the attempt
├── InvalidOutput          with a reason that the seam's policy handles like a failed gate
└── ToolError              a tool failed in a way the model cannot fix (its server died, ...)
```

Messages name the step, what was wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SeamlineError(Exception):
    """Root of every error seamline raises."""


class PipelineError(SeamlineError):
    """A pipeline is malformed. Raised at build time, before any model is called."""

    def __init__(self, message: str, *, step: str | None = None, param: str | None = None):
        self.step = step
        self.param = param
        where = ""
        if step is not None:
            where = f"step {step!r}" + (f", parameter {param!r}" if param else "") + ": "
        super().__init__(where + message)


class ConfigError(SeamlineError):
    """A model, store or setting cannot be used as given."""


class ModelCallFailed(SeamlineError):
    """A model could not be reached, or refused the request, after the configured retries."""

    def __init__(self, model: str, message: str, *, status_code: int | None = None):
        self.model = model
        self.status_code = status_code
        super().__init__(f"model {model!r}: {message}")


class StoreError(SeamlineError):
    """The run log cannot be opened, read or written."""


class SchemaMismatch(StoreError):
    """The store was written by a newer seamline, or is not a seamline store. Left untouched."""


class RunBusy(StoreError):
    """Another driver holds the run's lease: it is being resumed or decided elsewhere."""

    def __init__(self, run_id: str, owner: str, detail: str = ""):
        self.run_id = run_id
        self.owner = owner
        super().__init__(
            f"run {run_id!r} is being driven by {owner}{detail}; nothing was changed. Wait "
            "for it to finish or wait, or, if that process is gone, resume once its lease "
            "expires (`seamline runs` then lists the run as interrupted)"
        )


class RunCorrupted(StoreError):
    """A run's stored log is damaged: a row fails its checksum, or cannot be decoded.

    Only that run is affected: the store's other runs, and its listings, stay readable.
    """

    def __init__(self, store: str, run_id: str, seq: int | tuple[int, int], problem: str):
        self.store = store
        self.run_id = run_id
        first, last = seq if isinstance(seq, tuple) else (seq, seq)
        self.seq = first
        where = f"seq {first}" if first == last else f"seqs {first}-{last}"
        super().__init__(
            f"run {run_id!r} in {store} is damaged at {where}: {problem}. Nothing was "
            "changed; the store's other runs are unaffected. Restore the store from a "
            "backup to read this run again"
        )


class IncompatibleRun(SeamlineError):
    """A stored run cannot be continued by the pipeline given: the pipeline changed since
    the run started (a step renamed or removed, an artifact type changed). Nothing in the
    store was changed."""

    def __init__(self, run_id: str, problem: str):
        self.run_id = run_id
        self.problem = problem
        super().__init__(
            f"run {run_id!r} cannot be continued by this pipeline: {problem}. Resume or "
            "decide it with the version of the pipeline that started it, or start a new run; "
            "nothing in the store was changed"
        )


class RunFailed(SeamlineError):
    """A run ended without completing. The run result still holds every artifact produced."""

    def __init__(self, message: str, *, run_id: str | None = None, step: str | None = None):
        self.run_id = run_id
        self.step = step
        super().__init__(message)


class StepFailed(RunFailed):
    """A step raised, timed out, or returned the wrong type, on its last allowed attempt."""

    def __init__(
        self, step: str, attempt: int, cause: BaseException | str, *, index: int | None = None
    ):
        self.attempt = attempt
        self.cause = cause
        self.index = index
        item = f" (item {index})" if index is not None else ""
        reason = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        super().__init__(f"step {step!r}{item} failed on attempt {attempt}: {reason}", step=step)


class GateRejected(RunFailed):
    """A gate failed and its policy said fail()."""

    def __init__(self, step: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(
            f"gate on {step!r} rejected the artifact: " + "; ".join(reasons), step=step
        )


class BudgetExceeded(RunFailed):
    """A budget ran out. The run stops; its status and artifacts are kept."""

    def __init__(
        self,
        budget: str,
        limit: float,
        used: float,
        *,
        step: str | None = None,
        more: bool = False,
    ):
        """`more`: `used` reached the limit and another unit (a call) was asked for."""
        self.budget = budget
        self.limit = limit
        self.used = used
        where = f" at step {step!r}" if step else ""
        what = f"{used:g} of {limit:g} used" + (", and another was needed" if more else "")
        super().__init__(
            f"budget {budget!r} exceeded{where}: {what}. "
            f"Raise it with sl.Budget({budget}=...) if the work is worth it.",
            step=step,
        )


class ApprovalError(SeamlineError):
    """An approval cannot be decided as asked."""


class StaleApproval(ApprovalError):
    """A decision was made on a view of an approval that is not the approval as it is."""


class ReplayDivergence(SeamlineError):
    """A replayed run made a request that its recording does not hold."""

    def __init__(self, step: str, detail: str):
        self.step = step
        self.detail = detail
        super().__init__(f"replay diverged at step {step!r}: {detail}")


class Retry(Exception):
    """Raise inside a step to fail this attempt with a reason.

    The seam's gate policy (or, without a gate, the step's attempts) decides what
    happens next; the reason reaches the next attempt as `ctx.feedback`.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class InvalidOutput(Retry):
    """A model's output did not validate against the artifact type."""


class ToolError(Retry):
    """A tool failed in a way the model cannot fix: its MCP server died or timed out, its
    result broke its output schema, or it raised with `on_tool_error="fail"`. The attempt
    fails with the reason, and the seam's policy decides what happens next."""

    def __init__(self, tool: str, reason: str):
        self.tool = tool
        super().__init__(f"tool {tool!r}: {reason}")


class ToolApprovalRequired(SeamlineError):
    """A signal, not an error: an agent step's model called tools marked
    `requires_approval`, and no person has decided on those exact calls yet.

    `ctx.agent` raises it once the turn's other calls are made; the executor records an
    approval request per call (`seamline approvals` lists them, with their arguments),
    and the attempt waits, neither failed nor finished. Once every call is decided, the
    attempt runs again under its own number: what it did before is answered from the
    run log, and an approved call is made then, once. Step code that catches `Exception`
    around `ctx.agent` must re-raise it, or the calls are never asked about.

    Attributes:
        step: the step whose attempt waits.
        calls: the calls that wait (`seamline.tools.approval.DeferredCall`: what each
            approval shows, and its timeout).
    """

    def __init__(self, step: str, calls: Sequence[Any]) -> None:
        self.step = step
        self.calls = tuple(calls)
        names = ", ".join(f"{c.shown.tool}({c.shown.arguments})" for c in self.calls)
        super().__init__(f"step {step!r} waits for a person's approval of: {names}")
