"""The run's workflow: the local engine's own executor, its attempts made by activities.

The workflow drives an `Execution` (`runtime/executor.py`) with the same plan, the same
reducer and the same decisions as a run in one process; three things differ:

- its attempts are made by the `seamline.attempt` activity (`Execution(remote=...)`), on
  any worker, with the step's timeout; Temporal gives an attempt whose worker died to
  another one, under the same seamline attempt number;
- its log reaches the store through the `seamline.append` activity, in the batches the
  executor flushes, idempotently;
- a run that waits for a person ends its execution as it does locally, and the workflow
  then waits for the decision (a `seamline.decide` signal, which `seamline approve`
  sends), for days if need be, holding nothing but its history; the decision is written
  and the run continues from its log (`runtime/resume.py`'s `rebuild` and `carry_on`).

Workflow code does no I/O and reads no clock but Temporal's: the executor's sleeps and
timeouts are Temporal timers here. The times events carry are the worker's clock, only
written to the log, never decided on. seamline is imported through the sandbox
unchanged (see `worker.py`): its modules are pure where the workflow uses them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from pydantic import TypeAdapter

    from seamline.approvals import check_decision
    from seamline.engines.temporal import codec
    from seamline.engines.temporal.registry import pipeline_for
    from seamline.events import ApprovalDecided, Event
    from seamline.exceptions import ApprovalError, RunFailed
    from seamline.pipeline import Pipeline
    from seamline.policies import Budget
    from seamline.runtime.executor import Execution
    from seamline.runtime.log import as_events
    from seamline.runtime.plan import remote_plan
    from seamline.runtime.resume import carry_on, rebuild
    from seamline.runtime.state import Unit
    from seamline.runtime.unit import Made
    from seamline.steps import Step
    from seamline.store.base import RunStore

WORKFLOW = "seamline.run"
DECIDE = "seamline.decide"
# An attempt with no timeout of its own may take this long; its heartbeats tell a live
# worker from a dead one long before.
_ATTEMPT_CAP = timedelta(hours=6)
_JUDGING = timedelta(minutes=10)  # on top of a step's timeout: its gate's judges
_RETRIES = RetryPolicy(maximum_interval=timedelta(seconds=10))


@workflow.defn(name=WORKFLOW)
class RunWorkflow:
    """One seamline run. Started by `pipe.run(..., engine="temporal://...")`."""

    def __init__(self) -> None:
        self._decisions: list[dict[str, Any]] = []

    @workflow.signal(name=DECIDE)
    def decide(self, decision: dict[str, Any]) -> None:
        """A person's decision on one of the run's approvals (an `ApprovalDecided`'s
        fields), checked when the run next waits."""
        self._decisions.append(decision)

    @workflow.run
    async def run(self, start: dict[str, Any]) -> dict[str, Any]:
        pipe = pipeline_for(workflow.info().task_queue, start["pipeline"])
        plan = remote_plan(pipe.validate())
        run = start["run"]
        writer = ActivityLog(pipe.name)
        # The executor only appends to its store (and releases it): this one is enough.
        log = cast(RunStore, writer)
        attempts = ActivityAttempts(pipe, run, start["heartbeat"])
        x = Execution(
            plan,
            log,
            start["run_id"],
            gates=run["gates"],
            budget=Budget(**run["budget"]),
            model=plan.model_for(run["model"]) if run["model"] else None,
            deps=None,
            remote=attempts,
        )
        ready = x.start(pipe._coerce_inputs(start["inputs"]), start["options"])
        try:
            result = await x.execute(ready, raise_on_failure=False)
        except asyncio.CancelledError:  # the workflow was cancelled: its end is logged
            await writer.drained()
            raise
        await writer.drained()
        while not result.status.is_final:
            await self._decided(pipe, x)
            x = rebuild(
                pipe, log, x.run_id, as_events(x.log), model=x.model, deps=None, remote=attempts
            )
            going = carry_on(x, workflow.now().timestamp())
            if isinstance(going, RunFailed):
                result = await x.conclude(going, raise_on_failure=False)
            else:
                result = await x.execute(going, raise_on_failure=False)
            await writer.drained()
        return {"status": result.status.value}

    async def _decided(self, pipe: Pipeline, x: Execution) -> None:
        """Wait for decisions (or the first approval timeout), and write the valid ones."""
        while True:
            deadlines = [r.timeout_at for r in x.pending_approvals if r.timeout_at is not None]
            wait = None
            if deadlines:
                # A second's slack: the deadline was set by the worker's clock.
                wait = max(0.0, min(deadlines) - workflow.now().timestamp()) + 1.0
            try:
                await workflow.wait_condition(lambda: bool(self._decisions), timeout=wait)
            except TimeoutError:
                return  # `carry_on` applies the approvals' `on_timeout`
            decisions, self._decisions = self._decisions, []
            written = False
            for d in decisions:
                try:
                    edit = check_decision(
                        x, d["approval_id"], d["decision"], d.get("edit"), d.get("route_to"), pipe
                    )
                except ApprovalError as e:  # checked by the sender too: a late duplicate
                    workflow.logger.warning("seamline: decision ignored: %s", e)
                    continue
                x.record(
                    ApprovalDecided(
                        seq=x.next_seq(),
                        at=d.get("at") or workflow.now().timestamp(),
                        approval_id=d["approval_id"],
                        decision=d["decision"],
                        reason=d.get("reason"),
                        edit=codec.to_json(edit),
                        reviewer=d.get("reviewer"),
                        route_to=d.get("route_to"),
                        # A simulated reviewer's decision stays labelled simulated.
                        reviewer_kind=d.get("reviewer_kind", "human"),
                        reason_code=d.get("reason_code"),
                    )
                )
                written = True
            if written:
                await x.flush()
                return  # `rebuild` reads the log as written; the append is on its way


class ActivityLog:
    """The run's store, as the workflow sees it: its flushes become `seamline.append`s.

    The executor awaits a flush before the next unit starts so that, in one process, a
    completed unit is durable before anything downstream of it: a crash resumes from
    the store. Here Temporal's history holds that already, so a flush only queues its
    batch and the run goes on; the batches are appended in order, one at a time, by a
    task of the workflow, and the workflow waits for them all before it waits for a
    person or ends (`drained`). Readers see the log as soon as each append lands.
    """

    url = "temporal://activities"
    keeps_nothing = False
    append_never_yields = True  # a flush cannot be overtaken: batches queue in order

    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        self._queue: list[tuple[str, list[Event]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def append(self, run_id: str, events: list[Event]) -> None:
        self._queue.append((run_id, list(events)))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._queue:
            run_id, events = self._queue.pop(0)
            # A local activity: made by the worker that runs the workflow task, its
            # result recorded with the task's completion, without a round trip through
            # the server to schedule it. Appends are short and idempotent.
            await workflow.execute_local_activity(
                "seamline.append",
                {
                    "run_id": run_id,
                    "pipeline": self.pipeline,
                    "events": codec.events_to_json(events),
                },
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=_RETRIES,
            )

    async def drained(self) -> None:
        """Once every batch queued so far is in the store."""
        while self._writing is not None and not self._writing.done():
            await self._writing

    async def release(self, run_id: str) -> None:
        pass  # the workflow is the run's one driver: there is no lease to give up

    async def close(self) -> None:
        pass


class ActivityAttempts:
    """Every attempt of the run, made by the `seamline.attempt` activity."""

    def __init__(self, pipe: Pipeline, run: dict[str, Any], heartbeat: float) -> None:
        self.pipe = pipe
        self.run = run  # gates, budget and default model, as the run was started
        self.heartbeat = timedelta(seconds=heartbeat)
        self._reads: dict[str, tuple[str, ...]] = {}
        self._returns: dict[str, TypeAdapter[Any]] = {}

    async def attempt(
        self,
        x: Execution,
        step: Step,
        unit: Unit,
        index: int | None,
        item: Any,
        attempt: int,
        model: str | None,
    ) -> Made:
        state = x.state
        request = {
            "run_id": x.run_id,
            "pipeline": self.pipe.name,
            "step": step.name,
            "index": index,
            "attempt": attempt,
            "model": model,
            "run": self.run,
            "feedback": state.feedback(unit),
            "artifacts": {
                name: codec.to_json(state.artifacts[name])
                for name in self._reads_of(step)
                if name in state.artifacts
            },
            "item": codec.to_json(item) if index is not None else None,
            "started_at": state.started_at,
            "context_pins": dict(state.context_pins) if state.context_pins else {},
            "used": {
                "model_calls": state.model_calls,
                "tokens": state.tokens,
                "tool_calls": state.tool_calls,
                "cost_usd": state.cost_usd,
            },
        }
        timeout = step.policy.timeout
        out = await workflow.execute_activity(
            "seamline.attempt",
            request,
            start_to_close_timeout=timedelta(seconds=timeout) + _JUDGING
            if timeout is not None
            else _ATTEMPT_CAP,
            heartbeat_timeout=self.heartbeat,
            retry_policy=_RETRIES,
            cancellation_type=ActivityCancellationType.TRY_CANCEL,
        )
        self.record_calls(x, codec.events_from_json(out["calls"]))
        if out["raise"] is not None:
            x.stopping = True
            raise codec.error_from_json(out["raise"])
        failure = codec.failure_from_json(out["failure"])
        result = None if failure is not None else self._artifact(step, out["artifact"])
        return Made(
            result,
            failure,
            codec.verdict_from_json(out["verdict"]),
            codec.events_from_json(out["judge_calls"]),
        )

    def record_calls(self, x: Execution, events: list[Event]) -> None:
        """The attempt's calls, in the order made, numbered as the run's next events."""
        for event in events:
            event.seq = x.next_seq()
            x.record(event)

    def uniform(self, low: float, high: float) -> float:
        return workflow.random().uniform(low, high)  # deterministic on replay

    def _reads_of(self, step: Step) -> tuple[str, ...]:
        """What an attempt of `step` reads: its parameters, and what its gate reads."""
        reads = self._reads.get(step.name)
        if reads is None:
            names = {p.name for p in step.params}
            gate = self.pipe.validate().gates.get(step.name)
            if gate is not None:
                for params in gate.check_params:
                    names.update(params)
                for judge in gate.judges:
                    names.update(judge.reads)
            names.discard(step.name)
            if step.map is not None:
                names.discard(step.map)  # its one item travels on its own
            reads = self._reads[step.name] = tuple(sorted(names))
        return reads

    def _artifact(self, step: Step, raw: Any) -> Any:
        adapter = self._returns.get(step.name)
        if adapter is None:
            adapter = self._returns[step.name] = TypeAdapter(step.returns.annotation)
        return adapter.validate_python(raw)
