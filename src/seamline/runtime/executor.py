"""The executor: drives one run of a validated plan, writing every fact to the run log.

This module is the scheduling: which steps run, when, and in which coroutine. One unit's
attempts (its gate, its ladder, its approvals) are `runtime/unit.py`; the decisions are
`runtime/decide.py`; the log and the state it feeds are `runtime/writer.py` and
`runtime/state.py`. Everything the executor knows about the run is that state, so a run
resumed from its log continues exactly as the live one would have.

Scheduling is continuation-style. A coroutine runs a step, then continues with the
first dependent that became ready and spawns tasks only for the others, so a linear
chain runs with no task creation at all and fan-out costs one task per branch.

Events are buffered and flushed to the store in one batch when a unit ends, so a completed
unit is durable before anything downstream of it starts. (A chain's last step has nothing
downstream: its events go in the same batch as the RunFinished that follows at once.) The
run's `RunStarted` is durable before its first step starts, so a run is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from seamline.events import (
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepSkipped,
)
from seamline.exceptions import BudgetExceeded, ConfigError, ReplayDivergence, RunFailed
from seamline.redact import scrub
from seamline.runtime import unit as units
from seamline.runtime.log import FINISHED, STARTED
from seamline.runtime.result import RunResult, run_result
from seamline.runtime.state import Coerce, on_run_finished, on_run_started
from seamline.runtime.writer import EventHook, LogWriter

if TYPE_CHECKING:
    from seamline.gates import Gate
    from seamline.models.base import Model
    from seamline.otel.live import LiveTrace
    from seamline.policies import Budget
    from seamline.runtime.plan import Plan
    from seamline.runtime.replay import Recording
    from seamline.runtime.unit import Remote
    from seamline.steps import Step
    from seamline.store.base import RunStore

_NONE: Any = MappingProxyType({})  # shared empty mapping


class Execution(LogWriter):
    """One run in progress. Created by `Pipeline.run` / `Pipeline.resume`."""

    # Slots: no per-run __dict__ for the garbage collector to track and traverse.
    __slots__ = (
        "_fresh",
        "_running",
        "_tg",
        "_track_tasks",
        "budget",
        "calls_out",
        "context",
        "deps",
        "gates",
        "gates_mode",
        "model",
        "plan",
        "recording",
        "remaining",
        "remote",
        "stopping",
        "tools_out",
        "trace",
    )

    def __init__(
        self,
        plan: Plan,
        store: RunStore | str,
        run_id: str,
        *,
        gates: str,
        budget: Budget,
        model: str | Model | None,
        deps: Any,
        recording: Recording | None = None,
        hooks: Sequence[EventHook] = (),
        coerce: Coerce | None = None,
        trace: LiveTrace | None = None,
        remote: Remote | None = None,
    ) -> None:
        """`coerce` is given to resume a run: its log is then folded into this execution
        (`runtime/resume.py`) before it is driven; without it, this is a new run.
        `remote` makes every attempt elsewhere (the Temporal engine's activities): the
        plan it drives has no `direct` steps, whose attempts are made inline. `trace`: the
        run is traced (`seamline.otel`); its spans are built from the events it writes."""
        fresh = coerce is None
        if trace is not None:
            hooks = (*hooks, trace.on_event)
        self.trace = trace
        super().__init__(
            run_id,
            store,
            hooks,
            coerce=coerce,
            shape=plan.shapes[gates] if fresh else None,
            concurrent=plan.concurrent,
        )
        self.plan = plan
        self.gates_mode = gates
        self.gates: Mapping[str, Gate] = plan.gates if gates != "off" else _NONE
        self.budget = budget
        self.model = model
        self.deps = deps
        self.recording = recording
        self.remote = remote
        # Model and tool calls made and not yet recorded (see runtime/calls.py).
        self.calls_out = self.tools_out = 0
        self.stopping = False  # the run decided to end: no further attempt starts
        # A new run has nothing done before it: its steps' first attempts can be made
        # inline (see `_drive`). A resumed one must look at what its log holds first.
        self._fresh = fresh
        # The context store ctx.search reads (a URL, a store, or None: the run store's
        # file), replaced on first use by the run's reading state (context/reads.py).
        self.context: Any = None
        self.remaining = dict(plan.initial_remaining)
        # Only a reroute needs to find and cancel the task running a step.
        self._track_tasks = plan.reroutes
        self._running: dict[str, asyncio.Task[None]] = {} if plan.reroutes else _NONE
        self._tg: asyncio.TaskGroup | None = None

    # -- the run ---------------------------------------------------------------------------

    def start(self, inputs: dict[str, Any], options: dict[str, Any]) -> Sequence[str]:
        """Begin a new run; returns the steps to execute()."""
        # `record`, with its reducer's handler called directly: once per run, it shows.
        started = RunStarted(seq=0, pipeline=self.plan.pipeline, inputs=inputs, options=options)
        self._buffer.append(started)
        self.seq = 1
        on_run_started(self, started)
        return self.plan.roots

    def resumed(self) -> None:
        seq = self.next_seq()
        trace = self.trace.begin_session(self.log) if self.trace is not None else None
        self.record(RunResumed(seq=seq, pid=os.getpid(), traceparent=trace))

    async def execute(self, ready: Sequence[str], *, raise_on_failure: bool = True) -> RunResult:
        """Drive the run until every step is done, or waits, or the run fails.

        The one coroutine a run awaits (`Pipeline.run` returns it as is): at thousands of
        concurrent runs, every further frame kept alive per run costs memory and GC time.
        A store given as a URL is opened here and closed at the end.
        """
        if self._store_url is not None:
            await self.open()
        error: BaseException | None = None
        try:
            if self._flushes:
                await self.flush()  # the run is in the store before any step starts
            seconds = self.budget.seconds
            if seconds is not None:
                left = seconds - self.busy_seconds
                try:
                    async with asyncio.timeout(max(left, 0.0)):
                        await self._drive_all(ready)
                except TimeoutError:
                    raise BudgetExceeded("seconds", seconds, seconds) from None
            elif not self.plan.branches and len(ready) == 1:
                await self._drive(ready[0])  # a chain never spawns a task: no group needed
            else:
                await self._drive_all(ready)
        except asyncio.CancelledError:
            if self.broken is None:
                self._end(RunStatus.CANCELLED, "the run was cancelled", "CancelledError")
                if self._flushes:
                    await self.flush()
            if self._store_url is not None:
                await self.close()
            raise
        except BaseExceptionGroup as group:
            error = _first_error(group)
        except Exception as e:
            error = e
        try:
            # A setting that is missing or wrong (a model, a key) failed nothing about the
            # run itself: it stops where it is, to be resumed once that is fixed. A store
            # that failed gets nothing more written: the run is left to be resumed.
            stopped = isinstance(error, ConfigError)
            if self.broken is None and not stopped:
                if error is None:
                    self._end(self._final_status(), None, None)
                else:
                    self._end(RunStatus.FAILED, str(error), type(error).__name__)
            if self._flushes and self.broken is None:
                with contextlib.suppress(Exception):
                    await self.flush()  # what fails here is self.broken, raised below
            if self.broken is not None or stopped:
                if self._persist:
                    await self.release()
                raise error if error is not None else self.broken  # type: ignore[misc]
            if error is None:
                return run_result(self)
            if isinstance(error, RunFailed):
                return run_result(self, error, raise_on_failure)
            raise error
        finally:
            if self._store_url is not None:
                await self.close()

    async def _drive_all(self, ready: Sequence[str]) -> None:
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            for name in ready[1:]:
                self._spawn(name)
            if ready:
                await self._drive(ready[0])

    def _final_status(self) -> RunStatus:
        if len(self.done) == len(self.plan.steps):
            return RunStatus.SUCCEEDED
        if any(r.reason == "escalation" for r in self.pending_approvals):
            return RunStatus.NEEDS_REVIEW
        return RunStatus.WAITING

    async def conclude(self, error: RunFailed, *, raise_on_failure: bool) -> RunResult:
        """End a resumed run whose log already holds the decision that ends it."""
        await self.open()
        try:
            self._end(RunStatus.FAILED, str(error), type(error).__name__)
            await self.flush()
            return run_result(self, error, raise_on_failure)
        finally:
            await self.close()

    def _end(self, status: RunStatus, error: str | None, error_type: str | None) -> None:
        """Record the end of the run; the caller flushes it."""
        seq = self.seq
        self.seq = seq + 1
        if error:  # a provider's error body or a URL in it may carry a key: never stored
            error = scrub(error)
        finished = RunFinished(seq=seq, status=status, error=error, error_type=error_type)
        self._buffer.append(finished)  # `record`, inlined as in `start`
        on_run_finished(self, finished)

    def _spawn(self, name: str) -> None:
        assert self._tg is not None
        task = self._tg.create_task(self._drive(name))
        if self._track_tasks:
            self._running[name] = task

    async def _drive(self, name: str) -> None:
        """Run `name`, then continue with a dependent it made ready (spawning the others)."""
        plan = self.plan
        state = self  # the execution is the run's state (runtime/writer.py)
        done = state.done
        running = self._running if self._track_tasks else None
        while True:
            if self.stopping:
                return  # another branch ended the run
            if running is not None:
                running[name] = asyncio.current_task()  # type: ignore[assignment]
            step = plan.steps[name]
            if step.when is not None and not self._should_run(step):
                pass  # the skip is recorded: the step is done
            else:
                first: units.Attempt | None = None
                if name in plan.direct and self._fresh and not state.trouble:
                    # The most common step's first attempt is made right here: at
                    # thousands of runs in flight, a coroutine or even a function call
                    # per step shows (benchmarks/bench_core.py). The state changes are
                    # those `state.apply` makes for StepStarted and an accepted
                    # StepFinished, inlined (tests/runtime/test_state.py holds the two
                    # equal). Anything but a success goes on in `units.run_unit`.
                    buffer = self._buffer
                    attempts = state.attempts
                    attempt = attempts.get(name, 0) + 1
                    attempts[name] = attempt
                    seq = state.seq
                    state.seq = seq + 1
                    buffer += (STARTED, seq, time.time(), name, attempt, None, None)
                    try:
                        args: tuple[str, ...] = step.arg_names  # type: ignore[assignment]
                        artifacts = state.artifacts
                        if len(args) == 1:
                            artifact = await step.fn(artifacts[args[0]])
                        else:
                            artifact = await step.fn(*map(artifacts.__getitem__, args))
                    except (RunFailed, ReplayDivergence, ConfigError):
                        raise
                    except asyncio.CancelledError:
                        self.record_cancelled(name, None, attempt)
                        raise
                    except Exception as e:
                        first = (attempt, None, e)
                    else:
                        if type(artifact) is step.returns.model:
                            seq = state.seq
                            state.seq = seq + 1
                            buffer += (FINISHED, seq, time.time(), name, attempt, artifact, None)
                            artifacts[name] = artifact
                            done[name] = None
                            if self._flushes and name != plan.last:
                                await self.flush()
                        else:
                            first = (attempt, artifact, None)
                if name not in done:
                    outcome: Any
                    try:
                        if step.map is None:
                            outcome = await units.run_unit(self, step, None, None, first)
                        else:
                            outcome = await units.run_map(self, step)
                    except units.Reroute as r:
                        outcome = r
                    target = await self._settle(step, outcome)
                    if target is not None:
                        name = target
                        continue
            if running is not None:
                running.pop(name, None)
            if name not in done:
                return  # it waits for a person
            if plan.chain:  # its one dependent, if any, waits for nothing else
                if not plan.dependents[name]:
                    return
                name = plan.dependents[name][0]
                continue
            next_step = None
            remaining = self.remaining
            for dependent in plan.dependents[name]:
                left = remaining[dependent] - 1
                remaining[dependent] = left
                if left == 0:
                    if next_step is None:
                        next_step = dependent  # continued here, in this coroutine
                    else:
                        self._spawn(dependent)
            if next_step is None:
                return
            name = next_step

    async def _settle(self, step: Step, outcome: Any) -> str | None:
        """After a step's units ran: the step to go back to (a reroute), or None. A step
        whose units are all accepted but that needs its approval asks for it here."""
        if type(outcome) is units.Reroute:
            self._reset_from(outcome.target)
            return outcome.target
        name = step.name
        state = self
        if name in state.done or name not in state.artifacts or name in state.waiting:
            return None
        spec = self.plan.approvals.get(name)
        if spec is None or spec.per_item:
            return None
        await units.request_approval(self, step, state.artifacts[name], None, "approval")
        return None

    def _reset_from(self, target: str) -> None:
        """Stop what is running downstream of `target`, whose state a `Rewound` just reset,
        and count again what each of those steps waits for."""
        stale = self.plan.downstream[target]
        current = asyncio.current_task()
        for name in stale:
            task = self._running.pop(name, None) if self._running else None
            if task is not None and task is not current:
                task.cancel()  # its attempt in flight records its own end (units.cancelled)
        done = self.done
        for name in stale:
            self.remaining[name] = sum(1 for up in self.plan.upstream[name] if up not in done)

    def _should_run(self, step: Step) -> bool:
        """Evaluate a when= condition; record the skip when it is false."""
        assert step.when is not None
        artifacts = self.artifacts
        if step.when(**{p.name: artifacts[p.name] for p in step.when_params}):
            return True
        self.record(StepSkipped(seq=self.next_seq(), step=step.name, reason="when= was false"))
        return False

    def record_cancelled(self, step: str, index: int | None, attempt: int) -> None:
        self.record(
            StepErrored(
                seq=self.next_seq(),
                step=step,
                attempt=attempt,
                index=index,
                error="cancelled: the work it was doing is being redone, or the run was cancelled",
                kind="cancelled",
            )
        )


def _first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The error that ended the run: a RunFailed if there is one, else the first error."""
    flat: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        e = stack.pop(0)
        if isinstance(e, BaseExceptionGroup):
            stack[:0] = list(e.exceptions)
        else:
            flat.append(e)
    for e in flat:
        if isinstance(e, RunFailed):
            return e
    return flat[0]
