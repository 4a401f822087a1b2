"""Resume: rebuild a run's state from its log, and continue it.

The log is replayed in order into the same bookkeeping the executor keeps while it
runs: attempts per unit of work, failed verdicts and feedback, artifacts that passed
their gates, approvals and their decisions. Completed units are restored, never
re-executed. A unit whose last attempt started but never ended was in flight when the
process died: it runs again under the same attempt number, hence the same
`ctx.idempotency_key`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    GateEvaluated,
    RunFinished,
    RunStarted,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from seamline.exceptions import StoreError
from seamline.policies import Budget
from seamline.runtime.executor import Execution, Unit

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.pipeline import Pipeline
    from seamline.runtime.plan import Plan
    from seamline.store.base import RunStore


def _unit(step: str, index: int | None) -> Unit:
    return step if index is None else (step, index)


class _Replayer:
    """Feeds a log into an Execution's bookkeeping."""

    def __init__(self, execution: Execution, plan: Plan) -> None:
        self.x = execution
        self.plan = plan
        self.finished: dict[Unit, Any] = {}  # last artifact of each unit, gate not yet passed
        self.passed: dict[Unit, Any] = {}  # artifacts that crossed their seam
        self.in_flight: dict[Unit, int] = {}
        self.skipped: set[str] = set()
        self.requests: dict[str, ApprovalRequested] = {}
        self.decisions: dict[str, ApprovalDecided] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}

    def artifact(self, step: str, raw: Any) -> Any:
        """Raw JSON from a store -> the step's artifact type (objects pass through)."""
        adapter = self._adapters.get(step)
        if adapter is None:
            adapter = self._adapters[step] = TypeAdapter(self.plan.steps[step].returns.annotation)
        return adapter.validate_python(raw)

    def feed(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            unit = _unit(event.step, event.index)
            self.x.attempts[unit] = event.attempt
            self.in_flight[unit] = event.attempt
            if event.model is not None:
                self.x.unit_trouble(unit).model = event.model
        elif isinstance(event, StepFinished):
            unit = _unit(event.step, event.index)
            self.in_flight.pop(unit, None)
            artifact = self.artifact(event.step, event.artifact)
            if event.step in self.x.plan.gates and self.x.gates_mode != "off":
                self.finished[unit] = artifact
            else:
                self.passed[unit] = artifact
        elif isinstance(event, StepErrored):
            unit = _unit(event.step, event.index)
            self.in_flight.pop(unit, None)
            if event.kind in ("exception", "timeout", "type") or (
                event.kind == "retry" and event.step not in self.x.plan.gates
            ):
                self.x.unit_trouble(unit).crashes += 1
        elif isinstance(event, GateEvaluated):
            self._verdict(event)
        elif isinstance(event, StepSkipped):
            self.skipped.add(event.step)
        elif isinstance(event, ApprovalRequested):
            self.requests[event.approval_id] = event
        elif isinstance(event, ApprovalDecided):
            self.decisions[event.approval_id] = event
            self._decision(event)

    def _verdict(self, event: GateEvaluated) -> None:
        unit = _unit(event.step, event.index)
        if event.action in ("pass", "shadow"):
            if unit in self.finished:
                self.passed[unit] = self.finished.pop(unit)
            return
        gate = self.plan.gates[event.step]
        trouble = self.x.unit_trouble(unit)
        trouble.failures += 1
        rung = gate.policy.decide(trouble.failures)
        self.finished.pop(unit, None)
        if event.action.startswith("reroute:"):
            target = event.action.split(":", 1)[1]
            if rung.feedback:
                self.x.unit_trouble(target).feedback.extend(event.verdict.reasons)
            self._forget_downstream(target)
        elif rung.feedback:
            trouble.feedback.extend(event.verdict.reasons)
        if event.action.startswith("fallback:"):
            trouble.model = event.action.split(":", 1)[1]

    def _decision(self, decided: ApprovalDecided) -> None:
        request = self.requests.get(decided.approval_id)
        if request is None:
            return
        unit = _unit(request.step, request.index)
        verdict = decided.decision
        if verdict == "timeout":
            spec = self.plan.approvals.get(request.step)
            verdict = spec.on_timeout if spec is not None else "reject"
        if verdict in ("approve", "edit"):
            artifact = decided.edit if verdict == "edit" else request.artifact
            if request.reason == "escalation":
                self.passed[unit] = self.artifact(request.step, artifact)
            else:
                self.x.approved = self.x.approved | {request.step}
                if verdict == "edit":
                    self._replace(request.step, artifact)
            return
        # Rejected: the work goes back, with the reason as feedback, and is recomputed.
        spec = self.plan.approvals.get(request.step)
        target = decided.route_to or (spec.route_to if spec else None) or request.step
        reason = (
            f"rejected by {decided.reviewer or 'a reviewer'}: {decided.reason or 'no reason given'}"
        )
        self.x.unit_trouble(unit if target == request.step else target).feedback.append(reason)
        self._forget_downstream(target)

    def _replace(self, step: str, edit: Any) -> None:
        value = (
            self.artifact(step, edit)
            if not self.plan.steps[step].map
            else TypeAdapter(self.plan.steps[step].artifact.annotation).validate_python(edit)
        )
        if self.plan.steps[step].map:
            for i, item in enumerate(value):
                self.passed[(step, i)] = item
        else:
            self.passed[step] = value

    def _forget_downstream(self, target: str) -> None:
        stale = self.plan.downstream[target]
        for table in (self.passed, self.finished):
            for unit in [u for u in table if (u if isinstance(u, str) else u[0]) in stale]:
                del table[unit]
        self.skipped -= stale
        self.x.approved = self.x.approved - stale
        # Approvals of the recomputed steps will be asked again.
        for aid in [
            a for a, r in self.requests.items() if r.step in stale and a not in self.decisions
        ]:
            del self.requests[aid]


async def prepare_resume(
    pipe: Pipeline, store: RunStore, run_id: str, *, model: str | Model | None, deps: Any
) -> tuple[Execution, list[str] | None]:
    """Rebuild the run; return it and the steps ready to run (None: nothing to do)."""
    events = await store.load(run_id)
    started = events[0]
    if not isinstance(started, RunStarted):
        raise StoreError(f"run {run_id!r}: its log does not begin with RunStarted")
    if started.pipeline != pipe.name:
        raise StoreError(
            f"run {run_id!r} belongs to pipeline {started.pipeline!r}, not {pipe.name!r}; "
            "resume it with the pipeline that started it"
        )
    plan = pipe.validate()
    options = started.options
    execution = Execution(
        plan,
        store,
        run_id,
        gates=options.get("gates", "on"),
        budget=Budget(**options.get("budget", {})),
        model=model or options.get("model"),
        deps=deps,
    )
    execution.adopt_log(events)
    last = events[-1]
    if isinstance(last, RunFinished) and last.status.is_final:
        return execution, None

    replayer = _Replayer(execution, plan)
    for event in events:
        replayer.feed(event)
    execution.artifacts.update(pipe._coerce_inputs(started.inputs))
    _expire_approvals(execution, replayer)
    for unit, attempt in replayer.in_flight.items():
        execution.attempts[unit] = attempt - 1  # run again under the same attempt number
    return execution, _restore(execution, replayer, plan)


def _expire_approvals(execution: Execution, replayer: _Replayer) -> None:
    """Pending approvals past their timeout are decided by their policy, in the log."""
    now = time.time()
    for aid, request in list(replayer.requests.items()):
        if aid in replayer.decisions or request.timeout_at is None or request.timeout_at > now:
            continue
        spec = replayer.plan.approvals.get(request.step)
        decided = ApprovalDecided(
            seq=execution.next_seq(),
            approval_id=aid,
            decision="timeout",
            reason=f"no decision within the timeout; applied on_timeout={spec.on_timeout if spec else 'reject'}",
            reviewer="seamline",
        )
        execution.record(decided)
        replayer.decisions[aid] = decided
        replayer._decision(decided)


def _restore(execution: Execution, replayer: _Replayer, plan: Plan) -> list[str]:
    """Mark what is done, hand completed units to the executor, and list what is ready."""
    waiting: dict[str, str] = {}
    for aid, request in replayer.requests.items():
        if aid not in replayer.decisions:
            waiting[request.step] = request.reason
    for step in plan.order:
        spec = plan.steps[step]
        if step in replayer.skipped:
            execution.artifacts[step] = None
            execution.done[step] = None
            continue
        units = replayer.passed
        if spec.map is None:
            complete = step in units
            artifact = units.get(step)
        else:
            items = execution.artifacts.get(spec.map)
            indexes = range(len(items)) if items is not None else range(0)
            complete = items is not None and all((step, i) in units for i in indexes)
            artifact = [units[(step, i)] for i in indexes] if complete else None
        needs_approval = step in plan.approvals and step not in execution.approved
        if complete and not needs_approval and step not in waiting:
            execution.artifacts[step] = artifact
            execution.done[step] = None
            continue
        if step in waiting:
            execution.suspend(step, waiting[step])
        for unit, value in units.items():
            if (unit if isinstance(unit, str) else unit[0]) == step:
                execution.restore(unit, value)
    ready = []
    for step in plan.order:
        if step in execution.done or step in execution.suspended:
            continue
        left = sum(1 for up in plan.upstream[step] if up not in execution.done)
        execution.remaining[step] = left
        if left == 0:
            ready.append(step)
    return ready
