"""The executor: drives one run of a validated plan, writing every fact to the run log.

Scheduling is continuation-style. A coroutine runs a step, then continues with the
first dependent that became ready and spawns tasks only for the others, so a linear
chain runs with no task creation at all and fan-out costs one task per branch.

The unit of work is (step, index): one call of a step, or one item of a map= step.
Each unit has its own attempts, gate verdicts, feedback and ladder position. Events are
buffered and flushed to the store in one batch when a unit ends, so a completed unit is
durable before anything downstream of it starts. (A chain's last step has nothing
downstream: its events go in the same batch as the RunFinished that follows at once.)
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from seamline.events import (
    ApprovalRequested,
    Event,
    GateEvaluated,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepSkipped,
)
from seamline.exceptions import (
    BudgetExceeded,
    GateRejected,
    InvalidOutput,
    ReplayDivergence,
    Retry,
    RunFailed,
    StepFailed,
)
from seamline.gates import Gate, schema_verdict
from seamline.policies import Action, Budget
from seamline.runtime.calls import judge_runner
from seamline.runtime.log import FINISHED, STARTED, as_events
from seamline.runtime.result import RunResult, run_result
from seamline.steps import Step, StepContext
from seamline.store import open_store
from seamline.verdict import Verdict

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.runtime.plan import Plan
    from seamline.runtime.replay import Recording
    from seamline.store.base import RunStore

T = TypeVar("T", bound=BaseModel)
# A unit of work: a step's name, or (name, item index) for an item of a map= step.
Unit = str | tuple[str, int]
# An attempt made: its number, and what the step returned or raised.
Attempt = tuple[int, Any, Exception | None]

# Where a step leaves the run, for _drive; any other string is a step to re-route to.
_DONE = "\x00done"
_SUSPENDED = "\x00suspended"
_PENDING = object()  # a unit that stopped without an artifact (escalated)
_NO_STEPS: frozenset[str] = frozenset()
_NONE: Any = MappingProxyType({})  # shared empty state, replaced by a dict on first write


@dataclass(slots=True)
class UnitTrouble:
    """What a unit of work accumulates once something went wrong with it."""

    failures: int = 0  # failed verdicts: the position on the gate's ladder
    crashes: int = 0  # attempts that raised: counted against the step's attempts
    feedback: list[str] = field(default_factory=list)
    model: str | Model | None = None  # set by fallback_model()


class Reroute(Exception):
    """Control flow inside the executor: send work back to an earlier step. Never escapes."""

    def __init__(self, target: str):
        self.target = target


class Execution:
    """One run in progress. Created by `Pipeline.run` / `Pipeline.resume`."""

    # Slots: no per-run __dict__ for the garbage collector to track and traverse.
    __slots__ = (
        "_buffer",
        "_gates",
        "_lock",
        "_persist",
        "_running",
        "_seq",
        "_store_url",
        "_tg",
        "_track_tasks",
        "approved",
        "artifacts",
        "attempts",
        "budget",
        "context",
        "cost_usd",
        "deps",
        "done",
        "gates_mode",
        "log",
        "model",
        "model_calls",
        "plan",
        "recording",
        "remaining",
        "restored",
        "run_id",
        "store",
        "suspended",
        "tokens",
        "trouble",
    )
    store: RunStore

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
    ) -> None:
        self.plan = plan
        self.run_id = run_id
        self.gates_mode = gates
        self._gates: Mapping[str, Gate] = plan.gates if gates != "off" else _NONE
        self.budget = budget
        self.model = model
        self.deps = deps
        self.recording = recording
        # The context store ctx.search reads (a URL, a store, or None: the run store's
        # file), replaced on first use by the run's reading state (context/reads.py).
        self.context: Any = None

        self.artifacts: dict[str, Any] = {}  # inputs and completed steps: the shared typed state
        self.remaining = dict(plan.initial_remaining)
        # Steps done, as a dict of names: one the garbage collector ignores (a set it
        # would track), which at thousands of runs in flight shows.
        self.done: dict[str, None] = {}
        self.attempts: dict[Unit, int] = {}
        # What only some runs need is created on first use: at thousands of concurrent
        # runs, every container allocated per run shows up as garbage-collector time.
        self.trouble: dict[Unit, UnitTrouble] = _NONE
        self.restored: dict[Unit, Any] = _NONE  # units completed before a resume: not re-run
        self.suspended: dict[str, str] = _NONE  # step -> "approval" or "escalation"
        self.approved: frozenset[str] = _NO_STEPS  # steps whose approval was granted
        self.model_calls = 0
        self.tokens = 0
        self.cost_usd = 0.0
        # The log so far, and what is yet to reach the store: events, and notes of
        # step attempts (runtime/log.py).
        self.log: list[Any] = []
        self._buffer: list[Any] = []  # one list for the whole run: callers may hold it
        self._seq = 0
        # A URL is opened by execute(), in the run's own event loop.
        self._store_url = store if isinstance(store, str) else None
        if not isinstance(store, str):
            self._use_store(store)
        # Only a reroute needs to find and cancel the task running a step.
        self._track_tasks = plan.reroutes
        self._running: dict[str, asyncio.Task[None]] = {} if plan.reroutes else _NONE
        self._tg: asyncio.TaskGroup | None = None

    def _use_store(self, store: RunStore) -> None:
        self.store = store
        # A store that keeps nothing (the default, private log) is never called: the
        # events go straight into the log the result returns.
        self._persist = not getattr(store, "keeps_nothing", False)
        if not self._persist:
            self.log[:0] = self._buffer
            self._buffer = self.log
        self._lock = None if getattr(store, "append_never_yields", False) else asyncio.Lock()

    def unit_trouble(self, unit: Unit) -> UnitTrouble:
        """The unit's trouble record, created on first use."""
        if self.trouble is _NONE:
            self.trouble = {}
        trouble = self.trouble.get(unit)
        if trouble is None:
            trouble = self.trouble[unit] = UnitTrouble()
        return trouble

    def restore(self, unit: Unit, artifact: Any) -> None:
        """Hand back a unit completed before a resume, instead of running it again."""
        if self.restored is _NONE:
            self.restored = {}
        self.restored[unit] = artifact

    def suspend(self, step: str, why: str) -> None:
        """Mark a step's branch as waiting on a human ("approval" or "escalation")."""
        if self.suspended is _NONE:
            self.suspended = {}
        self.suspended[step] = why

    # -- the run log -------------------------------------------------------------------

    def next_seq(self) -> int:
        """The seq of the next event this run writes."""
        seq = self._seq
        self._seq = seq + 1
        return seq

    def record(self, event: Event) -> None:
        """Add an event to the log; it reaches the store with the next flush."""
        self._buffer.append(event)

    async def flush(self) -> None:
        buffer = self._buffer
        if not buffer or not self._persist:
            return
        if self._lock is None:  # the store's append never suspends: no one can overtake
            events = as_events(buffer)
            await self.store.append(self.run_id, events)
            self.log.extend(events)
            buffer.clear()
            return
        # An append that suspends could let a later batch overtake an earlier one.
        async with self._lock:
            batch = as_events(buffer[:])
            buffer.clear()
            if batch:
                await self.store.append(self.run_id, batch)
                self.log.extend(batch)

    def adopt_log(self, events: list[Event]) -> None:
        """Continue a run whose log already holds `events` (resume)."""
        self.log[:0] = events
        self._seq = len(events)

    # -- the run -------------------------------------------------------------------------

    def start(self, inputs: dict[str, Any], options: dict[str, Any]) -> Sequence[str]:
        """Begin a new run; returns the steps to execute()."""
        self.artifacts.update(inputs)
        self._buffer.append(
            RunStarted(
                seq=self.next_seq(), pipeline=self.plan.pipeline, inputs=inputs, options=options
            )
        )
        return self.plan.roots

    def resumed(self) -> None:
        self._buffer.append(RunResumed(seq=self.next_seq(), pid=os.getpid()))

    async def execute(self, ready: Sequence[str], *, raise_on_failure: bool = True) -> RunResult:
        """Drive the run until every step is done, or waits, or the run fails.

        The one coroutine a run awaits (`Pipeline.run` returns it as is): at thousands of
        concurrent runs, every further frame kept alive per run costs memory and GC time.
        A store given as a URL is opened here and closed at the end.
        """
        url = self._store_url
        if url is not None:
            self._use_store(await open_store(url))
        error: BaseException | None = None
        try:
            if self.budget.seconds is not None:
                try:
                    async with asyncio.timeout(self.budget.seconds):
                        await self._drive_all(ready)
                except TimeoutError:
                    raise BudgetExceeded(
                        "seconds", self.budget.seconds, self.budget.seconds
                    ) from None
            elif not self.plan.branches and len(ready) == 1:
                await self._drive(ready[0])  # a chain never spawns a task: no group needed
            else:
                await self._drive_all(ready)
        except asyncio.CancelledError:
            self._end(RunStatus.CANCELLED, "the run was cancelled", "CancelledError")
            if self._persist:
                await self.flush()
            if url is not None:
                await self.store.close()
            raise
        except BaseExceptionGroup as group:
            error = _first_error(group)
        except Exception as e:
            error = e
        try:
            if error is None:
                self._end(self._final_status(), None, None)
            else:
                self._end(RunStatus.FAILED, str(error), type(error).__name__)
            if self._persist:
                await self.flush()
            if error is None:
                return run_result(self)
            if isinstance(error, RunFailed):
                return run_result(self, error, raise_on_failure)
            raise error
        finally:
            if url is not None:
                await self.store.close()

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
        if "escalation" in self.suspended.values():
            return RunStatus.NEEDS_REVIEW
        return RunStatus.WAITING

    def _end(self, status: RunStatus, error: str | None, error_type: str | None) -> None:
        """Record the end of the run; the caller flushes it."""
        self._buffer.append(
            RunFinished(seq=self.next_seq(), status=status, error=error, error_type=error_type)
        )

    def _spawn(self, name: str) -> None:
        assert self._tg is not None
        task = self._tg.create_task(self._drive(name))
        if self._track_tasks:
            self._running[name] = task

    async def _drive(self, name: str) -> None:
        """Run `name`, then continue with a dependent it made ready (spawning the others)."""
        plan = self.plan
        running = self._running if self._track_tasks else None
        while True:
            if running is not None:
                running[name] = asyncio.current_task()  # type: ignore[assignment]
            step = plan.steps[name]
            if step.when is not None and not self._should_run(step):
                outcome = _DONE
            else:
                try:
                    if name in plan.direct and not self.restored and not self.trouble:
                        # The most common step's first attempt is made right here: at
                        # thousands of runs in flight, a coroutine or even a function
                        # call per step shows (benchmarks/bench_core.py, 3). Anything but
                        # a success goes on in `_run_unit`, which does all this too.
                        buffer = self._buffer
                        attempts = self.attempts
                        attempt = attempts.get(name, 0) + 1
                        attempts[name] = attempt
                        seq = self._seq
                        self._seq = seq + 1
                        buffer += (STARTED, seq, time.time(), name, attempt, None, None)
                        try:
                            args: tuple[str, ...] = step.arg_names  # type: ignore[assignment]
                            if len(args) == 1:
                                artifact = await step.fn(self.artifacts[args[0]])
                            else:
                                artifact = await step.fn(*map(self.artifacts.__getitem__, args))
                        except (RunFailed, ReplayDivergence, asyncio.CancelledError):
                            raise
                        except Exception as e:
                            artifact = await self._run_unit(step, None, None, (attempt, None, e))
                        else:
                            if type(artifact) is step.returns.model:
                                seq = self._seq
                                self._seq = seq + 1
                                buffer += (
                                    FINISHED,
                                    seq,
                                    time.time(),
                                    name,
                                    attempt,
                                    artifact,
                                    None,
                                )
                                if self._persist and name != plan.last:
                                    await self.flush()
                            else:
                                artifact = await self._run_unit(
                                    step, None, None, (attempt, artifact, None)
                                )
                    elif step.map is None:
                        artifact = await self._run_unit(step, None, None)
                    else:
                        artifact = await self._run_map(step)
                except Reroute as r:
                    artifact = r
                if type(artifact) is Reroute or artifact is _PENDING or name in plan.approvals:
                    outcome = await self._settle(step, artifact)
                else:  # the common case: the step is done
                    self.artifacts[name] = artifact
                    outcome = _DONE
            if running is not None:
                running.pop(name, None)
            if outcome is _DONE:
                self.done[name] = None
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
            elif outcome is _SUSPENDED:
                return
            else:
                self._reset_from(outcome)
                name = outcome

    def _reset_from(self, target: str) -> None:
        """Forget `target` and everything downstream of it, to recompute them (reroute)."""
        stale = self.plan.downstream[target]
        current = asyncio.current_task()
        for name in stale:
            task = self._running.pop(name, None)
            if task is not None and task is not current:
                task.cancel()
                if self.attempts.get(name, 0):  # it had started: its attempt ends here
                    self._buffer.append(
                        StepErrored(
                            seq=self.next_seq(),
                            step=name,
                            attempt=self.attempts[name],
                            error=f"superseded: {target!r} is being recomputed",
                            kind="cancelled",
                        )
                    )
            self.done.pop(name, None)
            self.artifacts.pop(name, None)
            if self.suspended:
                self.suspended.pop(name, None)
        for unit in [u for u in self.restored if (u if isinstance(u, str) else u[0]) in stale]:
            del self.restored[unit]
        for name in stale:
            self.remaining[name] = sum(1 for up in self.plan.upstream[name] if up not in self.done)

    # -- one step --------------------------------------------------------------------------

    def _should_run(self, step: Step) -> bool:
        """Evaluate a when= condition; record the skip when it is false."""
        assert step.when is not None
        if step.when(**{p.name: self.artifacts[p.name] for p in step.when_params}):
            return True
        self._buffer.append(
            StepSkipped(seq=self.next_seq(), step=step.name, reason="when= was false")
        )
        self.artifacts[step.name] = None
        return False

    async def _settle(self, step: Step, artifact: Any) -> str:
        """The rarer ways a step leaves the run: back to a reroute target, waiting on an
        escalation, or waiting on its approval checkpoint."""
        if type(artifact) is Reroute:
            return artifact.target
        if artifact is _PENDING:
            return _SUSPENDED
        self.artifacts[step.name] = artifact
        if step.name in self.approved:
            return _DONE
        await self._request_approval(step, artifact, None, "approval")
        self.suspend(step.name, "approval")
        return _SUSPENDED

    async def _run_map(self, step: Step) -> Any:
        items = self.artifacts[step.map]  # type: ignore[index]
        if items is None:
            return None
        limit = asyncio.Semaphore(step.concurrency)

        async def one(index: int, item: Any) -> Any:
            async with limit:
                return await self._run_unit(step, index, item)

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(one(i, item)) for i, item in enumerate(items)]
        results = [t.result() for t in tasks]
        if any(r is _PENDING for r in results):
            return _PENDING
        return results

    async def _run_unit(
        self, step: Step, index: int | None, item: Any, first: Attempt | None = None
    ) -> Any:
        """Attempts of one unit until its artifact passes the gate (or the ladder ends).

        `first`: an attempt `_drive` already made, whose outcome is handled first.
        """
        name = step.name
        unit: Unit = name if index is None else (name, index)
        if self.restored:
            done = self.restored.pop(unit, _PENDING)
            if done is not _PENDING:  # completed before a resume: never run twice
                return done
        gate = self._gates.get(name)
        acting = gate is not None and self.gates_mode == "on"
        policy = step.policy
        buffer = self._buffer
        artifacts = self.artifacts
        # The completion of a chain's last step is written with the run's end, next.
        flush_each = self._persist and (name != self.plan.last or index is not None)
        while True:
            if first is not None:
                attempt, result, error = first
                first = None
            else:
                attempt = self.attempts.get(unit, 0) + 1
                self.attempts[unit] = attempt
                trouble = self.trouble.get(unit) if self.trouble else None
                model = trouble.model if trouble is not None else None
                seq = self._seq
                self._seq = seq + 1
                model_name = model if model is None or isinstance(model, str) else model.name
                buffer += (STARTED, seq, time.time(), name, attempt, index, model_name)
                error = None
                try:
                    if step.arg_names is not None:  # the common case, kept cheap: no kwargs dict
                        call = step.fn(*map(artifacts.__getitem__, step.arg_names))
                    else:
                        call = step.fn(**self._kwargs(step, index, item, attempt, trouble, model))
                    if policy.timeout is not None:
                        async with asyncio.timeout(policy.timeout):
                            result = await call if step.is_async else call
                    else:
                        result = await call if step.is_async else call
                except (RunFailed, ReplayDivergence, asyncio.CancelledError):
                    raise  # ends the run; never a retry
                except Exception as e:
                    error = e

            if isinstance(error, Retry):
                kind = "schema" if isinstance(error, InvalidOutput) else "retry"
                buffer.append(
                    StepErrored(
                        seq=self.next_seq(),
                        step=name,
                        attempt=attempt,
                        index=index,
                        error=error.reason,
                        kind="retry",
                    )
                )
                if acting:
                    assert gate is not None
                    verdict = schema_verdict(kind, error.reason)
                    outcome = await self._on_failed_verdict(
                        gate, unit, index, attempt, verdict, None
                    )
                    if outcome is not None:
                        return outcome
                    continue
                await self._crashed(step, unit, index, attempt, error.reason)
                continue
            if isinstance(error, TimeoutError) and policy.timeout is not None:
                await self._errored(
                    step, unit, index, attempt, f"timed out after {policy.timeout:g} s", "timeout"
                )
                continue
            if error is not None:
                await self._errored(step, unit, index, attempt, error, "exception")
                continue

            if type(result) is not step.returns.model and not step.returns.holds(result):
                await self._errored(
                    step,
                    unit,
                    index,
                    attempt,
                    f"returned {type(result).__name__}, but its annotation says {step.returns.annotation!r}",
                    "type",
                )
                continue
            seq = self._seq
            self._seq = seq + 1
            buffer += (FINISHED, seq, time.time(), name, attempt, result, index)
            if gate is None:
                if flush_each:
                    await self.flush()
                return result

            values = self.artifacts.copy()
            values[name] = result
            if index is not None:
                values[step.map] = item  # type: ignore[index]
            verdict = await gate.evaluate(values, judge_runner(self, step, unit, index, attempt))
            if verdict.passed or not acting:
                buffer.append(
                    GateEvaluated(
                        seq=self.next_seq(),
                        step=name,
                        attempt=attempt,
                        index=index,
                        verdict=verdict,
                        action="pass" if acting else "shadow",
                    )
                )
                if flush_each:
                    await self.flush()
                return result
            outcome = await self._on_failed_verdict(gate, unit, index, attempt, verdict, result)
            if outcome is not None:
                return outcome

    def _kwargs(
        self,
        step: Step,
        index: int | None,
        item: Any,
        attempt: int,
        trouble: UnitTrouble | None,
        model: str | Model | None,
    ) -> dict[str, Any]:
        artifacts = self.artifacts
        kwargs = {p.name: artifacts[p.name] for p in step.params}
        if index is not None:
            kwargs[step.map] = item  # type: ignore[index]
        if step.ctx_param is not None:
            kwargs[step.ctx_param] = StepContext(
                self,
                step.name,
                attempt,
                index,
                trouble.feedback if trouble is not None else (),
                model or step.model or self.model,
            )
        return kwargs

    async def _on_failed_verdict(
        self,
        gate: Gate,
        unit: Unit,
        index: int | None,
        attempt: int,
        verdict: Verdict,
        artifact: Any,
    ) -> Any:
        """Apply the gate's ladder to a failed verdict. Returns None to try the unit again,
        `_PENDING` when it escalated; raises to reroute or end the run."""
        name = gate.step
        trouble = self.unit_trouble(unit)
        trouble.failures += 1
        rung = gate.policy.decide(trouble.failures)
        over_budget = gate.max_attempts is not None and attempt >= gate.max_attempts
        action = (
            "budget"
            if over_budget and rung.action not in (Action.ESCALATE, Action.FAIL)
            else rung.label
        )
        self._buffer.append(
            GateEvaluated(
                seq=self.next_seq(),
                step=name,
                attempt=attempt,
                index=index,
                verdict=verdict,
                action=action,
            )
        )
        if action == "budget":
            await self.flush()
            raise BudgetExceeded(
                f"attempts at the gate on {name!r}", gate.max_attempts or 0, attempt, step=name
            )
        if rung.feedback:
            target = rung.target if rung.action is Action.REROUTE else unit
            self.unit_trouble(target).feedback.extend(verdict.reasons)  # type: ignore[arg-type]
        if rung.action is Action.FALLBACK:
            trouble.model = rung.model
        elif rung.action is Action.ESCALATE:
            await self._request_approval(self.plan.steps[name], artifact, index, "escalation")
            return _PENDING
        elif rung.action is Action.FAIL:
            await self.flush()
            raise GateRejected(name, verdict.reasons)
        await self.flush()
        if rung.action is Action.REROUTE:
            raise Reroute(rung.target)  # type: ignore[arg-type]
        return None

    async def _errored(
        self,
        step: Step,
        unit: Unit,
        index: int | None,
        attempt: int,
        cause: BaseException | str,
        kind: str,
    ) -> None:
        error = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        self._buffer.append(
            StepErrored(
                seq=self.next_seq(),
                step=step.name,
                attempt=attempt,
                index=index,
                error=error,
                kind=kind,
            )
        )
        await self._crashed(step, unit, index, attempt, cause)

    async def _crashed(
        self, step: Step, unit: Unit, index: int | None, attempt: int, cause: BaseException | str
    ) -> None:
        """An attempt raised: wait and return to try again, or raise StepFailed."""
        trouble = self.unit_trouble(unit)
        trouble.crashes += 1
        crashes = trouble.crashes
        await self.flush()
        policy = step.policy
        if crashes >= policy.attempts:
            raise StepFailed(step.name, attempt, cause, index=index) from (
                cause if isinstance(cause, BaseException) else None
            )
        wait = min(policy.backoff * 2 ** (crashes - 1), policy.max_backoff)
        if policy.jitter:
            wait *= random.uniform(0.5, 1.0)
        await asyncio.sleep(wait)

    async def _request_approval(
        self, step: Step, artifact: Any, index: int | None, reason: str
    ) -> None:
        seq = self.next_seq()
        spec = self.plan.approvals.get(step.name)
        timeout_at = time.time() + spec.timeout if spec is not None and spec.timeout else None
        self._buffer.append(
            ApprovalRequested(
                seq=seq,
                approval_id=f"{self.run_id}.{seq}",
                step=step.name,
                artifact=artifact,
                reason=reason,
                index=index,
                timeout_at=timeout_at,
            )
        )
        if reason == "escalation":
            self.suspend(step.name, "escalation")
        await self.flush()


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
