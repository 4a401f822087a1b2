"""Resume: fold a run's log into its state, check the pipeline can continue it, go on.

The state is the reducer's (`runtime/state.py`), the same one the live run kept: units
accepted before are handed back, never re-executed; an attempt whose process died runs
again under its own number (hence its own `ctx.idempotency_key`); a finished attempt whose
verdict was never written is judged without running again. What people decided while the
run waited is applied as recorded: an approval's effect at once, a rejection by recording
where it sends the work (`Rewound`) before anything runs.

Before anything is written, the run's log is checked against the pipeline given: a step
the log names that the pipeline lacks, an artifact that no longer fits its type, a step
waiting on an approval the pipeline no longer asks for — each is an `IncompatibleRun`
that names what changed. A run has one driver at a time: resuming takes the run's lease
in the store first (`RunBusy` if another process holds it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from seamline.events import ApprovalDecided, Event, RunStarted
from seamline.exceptions import (
    BudgetExceeded,
    GateRejected,
    IncompatibleRun,
    RunFailed,
    StepFailed,
    StoreError,
)
from seamline.policies import Budget
from seamline.runtime import decide
from seamline.runtime.executor import Execution
from seamline.runtime.plan import remote_plan
from seamline.runtime.state import Coerce, RunState, apply, fold, step_of

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.otel.live import LiveTrace
    from seamline.pipeline import Pipeline
    from seamline.runtime.plan import Plan
    from seamline.runtime.replay import Recording
    from seamline.runtime.unit import Remote
    from seamline.runtime.writer import EventHook
    from seamline.store.base import RunStore


def coercer(pipe: Pipeline, run_id: str) -> Coerce:
    """Artifacts as a store holds them (JSON) -> the pipeline's types; a misfit is an
    `IncompatibleRun` naming the step (or input) and the field."""
    plan = pipe.validate()
    adapters: dict[tuple[str, bool], TypeAdapter[Any]] = {}

    def coerce(name: str, raw: Any, whole: bool) -> Any:
        adapter = adapters.get((name, whole))
        if adapter is None:
            if name in pipe.inputs:
                annotation = pipe.inputs[name]
                what = f"input {name!r}"
            elif name in plan.steps:
                step = plan.steps[name]
                annotation = (step.artifact if whole else step.returns).annotation
                what = f"step {name!r}"
            else:
                raise IncompatibleRun(
                    run_id,
                    f"its log has step(s) [{name!r}], which the pipeline no longer has (renamed "
                    f"or removed?); the pipeline's inputs are {sorted(pipe.inputs)} and its steps "
                    f"{sorted(plan.steps)}",
                )
            adapter = adapters[(name, whole)] = TypeAdapter(annotation)
            adapter.what = what  # type: ignore[attr-defined]
        try:
            return adapter.validate_python(raw)
        except ValidationError as e:
            raise IncompatibleRun(
                run_id,
                f"the artifact of {adapter.what} it recorded no longer fits its type "  # type: ignore[attr-defined]
                f"({e.error_count()} error(s): {e.errors(include_url=False)[0]['loc']} "
                f"{e.errors(include_url=False)[0]['msg']})",
            ) from None

    return coerce


async def load_state(pipe: Pipeline, store: RunStore, run_id: str) -> tuple[list[Event], RunState]:
    """The run's log and its state in the pipeline's types, checked against the pipeline.

    Raises:
        StoreError: no such run, or its log is damaged.
        IncompatibleRun: the pipeline cannot continue this run (nothing is changed).
    """
    events = await _load(pipe, store, run_id)
    state = fold(run_id, events, coercer(pipe, run_id))
    _check(pipe.validate(), state)
    return events, state


async def _load(pipe: Pipeline, store: RunStore, run_id: str) -> list[Event]:
    events = await store.load(run_id)
    started = events[0] if events else None
    if not isinstance(started, RunStarted):
        raise StoreError(f"run {run_id!r}: its log does not begin with RunStarted")
    if started.pipeline != pipe.name:
        raise IncompatibleRun(
            run_id,
            f"it belongs to pipeline {started.pipeline!r}, not {pipe.name!r}",
        )
    return events


def _check(plan: Plan, state: RunState) -> None:
    """What the log holds that the pipeline no longer has."""
    named = {step_of(u) for u in state.attempts} | set(state.step_artifacts())
    named |= {a.request.step for a in state.approvals.values()} if state.approvals else set()
    missing = sorted(named - set(plan.steps))
    if missing:
        raise IncompatibleRun(
            state.run_id,
            f"its log has step(s) {missing}, which the pipeline no longer has (renamed or "
            f"removed?); the pipeline's steps are {sorted(plan.steps)}",
        )
    for request in state.pending_approvals:
        if request.reason == "approval" and request.step not in plan.approvals:
            raise IncompatibleRun(
                state.run_id,
                f"step {request.step!r} waits on an approval, but the pipeline no longer "
                f"asks for one there",
            )
    if state.shape.known:
        for name, shape in state.shape.steps.items():
            step = plan.steps.get(name)
            if step is not None and step.map != shape.map:
                raise IncompatibleRun(
                    state.run_id,
                    f"step {name!r} fanned out over {shape.map!r} when the run started, and now "
                    f"over {step.map!r}",
                )


async def prepare_resume(
    pipe: Pipeline,
    store: RunStore,
    run_id: str,
    *,
    model: str | Model | None,
    deps: Any,
    recording: Recording | None = None,
    hooks: Sequence[EventHook] = (),
    trace: LiveTrace | None = None,
) -> tuple[Execution, list[str] | RunFailed | None]:
    """Rebuild the run and take its lease; return it and the steps ready to run (None:
    it is finished, nothing to do; an error: its log holds what ends it, and it is to be
    concluded with that error)."""
    # The lease first: what is read after it cannot change under this driver's feet.
    acquire = getattr(store, "acquire", None)
    if acquire is not None:
        await acquire(run_id)
    try:
        events = await _load(pipe, store, run_id)
        engine = events[0].options.get("engine")  # type: ignore[attr-defined]
        if engine and recording is None:
            raise IncompatibleRun(
                run_id,
                f"it runs on {engine.split('?')[0]}, whose workflow drives it: it goes on by "
                "itself while a worker runs (`seamline worker PIPELINE --temporal URL`), and "
                "`seamline approve` sends decisions to it",
            )
        execution = rebuild(
            pipe,
            store,
            run_id,
            events,
            model=model,
            deps=deps,
            recording=recording,
            hooks=hooks,
            trace=trace,
        )
    except BaseException:
        if acquire is not None:
            await store.release(run_id)
        raise
    if execution.state.status.is_final:
        if acquire is not None:
            await store.release(run_id)
        return execution, None
    return execution, carry_on(execution, time.time())


def rebuild(
    pipe: Pipeline,
    store: RunStore,
    run_id: str,
    events: list[Event],
    *,
    model: str | Model | None,
    deps: Any,
    recording: Recording | None = None,
    hooks: Sequence[EventHook] = (),
    remote: Remote | None = None,
    trace: LiveTrace | None = None,
) -> Execution:
    """An execution that continues the run whose log is `events`: the log folded into it,
    checked against the pipeline (`IncompatibleRun`). Nothing is written."""
    plan = pipe.validate()
    options = events[0].options  # type: ignore[attr-defined]
    recorded_model = options.get("model")
    execution = Execution(
        # A traced run's attempts all go through the unit runner, which opens their spans.
        remote_plan(plan) if remote is not None or trace is not None else plan,
        store,
        run_id,
        gates=options.get("gates", "on"),
        budget=Budget(**options.get("budget", {})),
        model=model
        if model is not None
        else plan.model_for(recorded_model)
        if recorded_model
        else None,
        deps=deps,
        recording=recording,
        hooks=hooks,
        coerce=coercer(pipe, run_id),
        remote=remote,
        trace=trace,
    )
    state = execution.state
    for event in events:  # the same reducer, into the execution that continues the run
        apply(state, event)
    _check(plan, state)
    execution.adopt(events)
    return execution


def carry_on(execution: Execution, now: float) -> list[str] | RunFailed:
    """Continue a rebuilt run that is not final: its `RunResumed`, then what people
    decided meanwhile; the steps ready to run, or the error its log already ends it with."""
    plan, state = execution.plan, execution.state
    execution.resumed()
    ended = _ended(plan, state)
    if ended is not None:
        return ended
    _apply_decisions(execution, now)
    return _ready(plan, state, execution.remaining)


def _ended(plan: Plan, state: RunState) -> RunFailed | None:
    """The error that a decision or a step already in the log ended the run with (the
    process died before it wrote the run's end)."""
    decision = state.ending()
    if decision is not None:
        if decision.action == "budget":
            gate = plan.gates.get(decision.step)
            limit = gate.max_attempts if gate is not None and gate.max_attempts else 0
            return BudgetExceeded(
                f"attempts at the gate on {decision.step!r}",
                limit,
                decision.attempt,
                step=decision.step,
            )
        return GateRejected(decision.step, decision.verdict.reasons)
    for unit, trouble in state.trouble.items() if state.trouble else ():
        step = plan.steps.get(step_of(unit))
        if step is not None and trouble.crashes >= step.policy.attempts:
            index = None if isinstance(unit, str) else unit[1]
            return StepFailed(step.name, trouble.ended, trouble.error or "it raised", index=index)
    return None


def _apply_decisions(execution: Execution, now: float) -> None:
    """Record what people decided meanwhile (and approvals that timed out) where it needs
    more than the decision: a rejection's rework."""
    plan, state = execution.plan, execution.state
    for request in state.pending_approvals:
        if request.timeout_at is None or request.timeout_at > now:
            continue
        spec = plan.approvals.get(request.step)
        on_timeout = spec.on_timeout if spec is not None else "reject"
        execution.record(
            ApprovalDecided(
                seq=execution.next_seq(),
                approval_id=request.approval_id,
                decision="timeout",
                reason=f"no decision within the timeout; on_timeout={on_timeout} applied",
                reviewer="seamline",
            )
        )
    for approval in state.rejections_to_apply():
        execution.record(decide.rejection(plan, state, approval, execution.next_seq()))


def _ready(plan: Plan, state: RunState, remaining: dict[str, int]) -> list[str]:
    """Count what each step waits for; the steps that wait for nothing are ready."""
    ready = []
    done = state.done
    waiting = state.waiting
    for step in plan.order:
        if step in done:
            remaining[step] = -1  # counted down by its upstream steps, it never reaches 0
            continue
        left = sum(1 for up in plan.upstream[step] if up not in done)
        remaining[step] = left
        if left == 0 and step not in waiting:
            ready.append(step)
    return ready
