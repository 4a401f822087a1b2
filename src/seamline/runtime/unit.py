"""One unit of work: a step's call, or one item of a map= step, through all its attempts.

An attempt runs the step's code; its artifact goes through the seam's gate; a failed
verdict gets the ladder's decision (`runtime/decide.py`), which is recorded and then
applied from the state like any other event: another attempt with feedback, the work
sent back to an earlier step, a person asked, or the run ended. A crash (the code raised,
hung or returned the wrong type) is retried per the step's `attempts`.

Everything here reads the unit's history from the run's state, so a resumed unit carries
on where it stopped: a unit accepted before is not run again, an attempt whose process
died runs again under its own number, and a finished attempt whose verdict was never
written is judged without running it again.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from seamline.events import ApprovalRequested, GateEvaluated, StepErrored
from seamline.exceptions import (
    BudgetExceeded,
    ConfigError,
    GateRejected,
    InvalidOutput,
    ReplayDivergence,
    Retry,
    RunFailed,
    StepFailed,
)
from seamline.gates import schema_verdict
from seamline.redact import scrub
from seamline.runtime import decide
from seamline.runtime.calls import judge_runner
from seamline.runtime.log import FINISHED, STARTED
from seamline.steps import StepContext

if TYPE_CHECKING:
    from seamline.agreement import Agree
    from seamline.events import Event
    from seamline.runtime.executor import Execution
    from seamline.runtime.state import Unit
    from seamline.steps import Step
    from seamline.verdict import Verdict

# An attempt already made (by the executor's fast path): its number, and what the step
# returned or raised.
Attempt = tuple[int, Any, Exception | None]


@dataclass(slots=True)
class Made:
    """An attempt made elsewhere: what the step returned (or why it did not), and, for
    a gated step with an artifact, the gate's verdict and its judges' calls."""

    result: Any
    failure: Failure | None
    verdict: Verdict | None = None
    judge_calls: list[Event] = field(default_factory=list)


class Remote(Protocol):
    """Where the attempts of a run are made when not in its own process (the Temporal
    engine's activities). `attempt` records the step's own model and tool calls in the
    run before it returns; `record_calls` records the judges' calls after the step's
    `StepFinished`."""

    async def attempt(
        self,
        x: Execution,
        step: Step,
        unit: Unit,
        index: int | None,
        item: Any,
        attempt: int,
        model: str | None,
    ) -> Made: ...

    def record_calls(self, x: Execution, events: list[Event]) -> None: ...

    def uniform(self, low: float, high: float) -> float:
        """A random number for the run's backoff jitter."""
        ...


class _Pending:
    def __repr__(self) -> str:
        return "PENDING"


PENDING: Any = _Pending()  # the unit waits for a person


class Stopped(Exception):
    """Control flow inside the executor: the run decided to end (a failed gate, a spent
    budget, a step out of attempts); no further attempt starts. Never escapes a run."""


class Reroute(Exception):
    """Control flow inside the executor: the work went back to `target` (its `Rewound` is
    recorded). Never escapes a run."""

    def __init__(self, target: str):
        self.target = target


async def run_map(x: Execution, step: Step) -> Any:
    """Every item of a map= step, concurrently within its limit; the step's artifact (a
    list in input order) is in the state once every item is accepted."""
    items = x.state.artifacts[step.map]  # type: ignore[index]
    if items is None:
        return None
    if not items:  # nothing to fan out over: the step is done with an empty list
        unit_finished(x, step.name, None, 1, [])
        return []
    limit = asyncio.Semaphore(step.concurrency)
    artifacts = x.state.artifacts

    async def one(index: int, item: Any) -> Any:
        async with limit:
            if artifacts.get(step.map) is not items:  # type: ignore[arg-type]
                raise Stopped  # an item sent the work back meanwhile: this one is void
            return await run_unit(x, step, index, item)

    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(one(i, item)) for i, item in enumerate(items)]
    except BaseExceptionGroup as group:
        rerouted = group.subgroup(Reroute)
        if rerouted is not None:  # an item's gate sent the work back: the map is redone
            raise _leaf(rerouted) from None
        raise
    results = [t.result() for t in tasks]
    return PENDING if any(r is PENDING for r in results) else results


def _leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    first = group.exceptions[0]
    return _leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def run_unit(
    x: Execution, step: Step, index: int | None, item: Any, first: Attempt | None = None
) -> Any:
    """Attempts of one unit until its artifact is accepted (returned), or it waits for a
    person (`PENDING`). Raises `Reroute`, or a `RunFailed` that ends the run."""
    name = step.name
    unit: Unit = name if index is None else (name, index)
    state = x.state
    gate = x.gates.get(name)
    acting = gate is not None and x.gates_mode == "on"
    judged: Any = None  # a finished attempt to judge before anything runs (a resume)
    made: Any = None  # an attempt made by `x.remote`, with its verdict
    if not x._fresh:
        accepted, artifact = state.accepted(unit)
        if accepted:
            return await _after_accepted(x, step, unit, index, artifact)
        if state.waiting and unit in state.waiting:
            return PENDING
        if state.awaiting and unit in state.awaiting:
            judged = state.awaiting[unit]
    buffer = x._buffer
    trace = x.trace  # None unless the run is traced (seamline.otel)
    # The completion of a chain's last step is written with the run's end, next.
    flush_each = x._flushes and (name != x.plan.last or index is not None)
    while True:
        if judged is not None:  # finished before a resume, never judged: judge it now
            (attempt, result), error = judged, None
            judged = None
        else:
            if first is not None:
                attempt, result, error = first
                first = None
            else:
                if x.stopping:
                    raise Stopped
                attempt = state.next_attempt(unit)
                state.attempts[unit] = attempt
                trouble = state.trouble.get(unit) if state.trouble else None
                model = trouble.model if trouble is not None else None
                seq = state.seq
                state.seq = seq + 1
                buffer += (STARTED, seq, time.time(), name, attempt, index, model)
                remote = x.remote
                if remote is None:
                    # `attempt_step`, inlined: a coroutine per attempt shows on map steps
                    # (benchmarks/callgrind_core.py map: +1.7% instructions per run).
                    error = None
                    entered = None
                    if trace is not None:  # a traced attempt's span is current while it runs
                        entered = trace.enter(seq, name, index, attempt, model)
                    try:
                        if step.arg_names is not None:  # the common case: no kwargs dict
                            call = step.fn(*map(state.artifacts.__getitem__, step.arg_names))
                        else:
                            call = step.fn(**_kwargs(x, step, unit, index, item, attempt, model))
                        timeout = step.policy.timeout
                        if timeout is not None:
                            async with asyncio.timeout(timeout):
                                result = await call if step.is_async else call
                        else:
                            result = await call if step.is_async else call
                    except (RunFailed, ReplayDivergence, ConfigError):
                        raise  # ends the run, or stops it until a setting is fixed
                    except asyncio.CancelledError:
                        x.record_cancelled(name, index, attempt)
                        raise
                    except Exception as e:
                        error = e
                    finally:
                        if trace is not None:
                            trace.leave(entered)
                else:  # made elsewhere (an activity of the Temporal engine)
                    try:
                        made = await remote.attempt(x, step, unit, index, item, attempt, model)
                    except asyncio.CancelledError:
                        x.record_cancelled(name, index, attempt)
                        raise
                    result, error = made.result, made.failure
            if (
                error is None
                and type(result) is not step.returns.model
                and not step.returns.holds(result)
            ):
                error = _WrongType(
                    f"returned {type(result).__name__}, but its annotation says "
                    f"{step.returns.annotation!r}"
                )
            if error is None:
                seq = state.seq
                state.seq = seq + 1
                buffer += (FINISHED, seq, time.time(), name, attempt, result, index)
                if gate is None:
                    state.accept(unit, result)
                    if flush_each:
                        await x.flush()
                    return await _after_accepted(x, step, unit, index, result)
                state.await_verdict(unit, attempt, result)

        if error is not None:
            outcome = await _failed_attempt(x, step, unit, index, attempt, error, acting)
            if outcome is not None:
                return outcome
            continue

        assert gate is not None
        if made is not None:  # judged where it was made: its judges' calls come with it
            verdict = made.verdict
            x.remote.record_calls(x, made.judge_calls)  # type: ignore[union-attr]
            made = None
        else:
            verdict = await judge_attempt(x, step, unit, index, item, attempt, result)
        if verdict.passed or not acting:
            x.record(
                GateEvaluated(
                    seq=x.next_seq(),
                    step=name,
                    attempt=attempt,
                    index=index,
                    verdict=verdict,
                    action="pass" if acting else "shadow",
                    effect="pass",
                )
            )
            if flush_each:
                await x.flush()
            return await _after_accepted(x, step, unit, index, result)
        outcome = await _on_failed_verdict(x, step, unit, index, attempt, verdict, result)
        if outcome is not None:
            return outcome


class _WrongType(Exception):
    """An attempt returned something its annotation does not allow."""


async def attempt_step(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    item: Any,
    attempt: int,
    model: str | None,
) -> tuple[Any, Exception | None]:
    """Run the step's code once, within its timeout: (artifact, None), or (what it
    returned, the error). An error that ends or stops the run is raised. (`run_unit`
    makes local attempts with this code inlined; the two must stay the same.)"""
    try:
        if step.arg_names is not None:  # the common case, kept cheap: no kwargs dict
            call = step.fn(*map(x.state.artifacts.__getitem__, step.arg_names))
        else:
            call = step.fn(**_kwargs(x, step, unit, index, item, attempt, model))
        timeout = step.policy.timeout
        if timeout is not None:
            async with asyncio.timeout(timeout):
                result = await call if step.is_async else call
        else:
            result = await call if step.is_async else call
    except (RunFailed, ReplayDivergence, ConfigError):
        raise  # ends the run, or stops it until a setting is fixed; never a retry
    except asyncio.CancelledError:
        x.record_cancelled(step.name, index, attempt)
        raise
    except Exception as e:
        return None, e
    if type(result) is not step.returns.model and not step.returns.holds(result):
        return result, _WrongType(
            f"returned {type(result).__name__}, but its annotation says {step.returns.annotation!r}"
        )
    return result, None


async def judge_attempt(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    item: Any,
    attempt: int,
    artifact: Any,
) -> Verdict:
    """The verdict of the step's gate on one attempt's artifact (its judges' model calls
    are recorded in the run)."""
    gate = x.gates[step.name]
    values = x.state.copy_artifacts()
    values[step.name] = artifact
    if index is not None:
        values[step.map] = item  # type: ignore[index]
    runner = judge_runner(x, step, unit, index, attempt)
    if gate.agree is not None:
        runner.sample = _sampler(x, step, unit, index, item, attempt, gate.agree)
    return await gate.evaluate(values, runner)


def _sampler(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    item: Any,
    attempt: int,
    agree: Agree,
) -> Any:
    """Runs sample k of an attempt for its consensus gate: the step's code again, its
    model calls at the gate's temperature with the sample's own seed (`sl.agree`)."""
    trouble = x.state.trouble.get(unit) if x.state.trouble else None
    model = trouble.model if trouble is not None else None

    async def sample(k: int) -> tuple[Any, str | None]:
        kwargs = _kwargs(x, step, unit, index, item, attempt, model)
        ctx = kwargs[step.ctx_param]  # type: ignore[index]  # checked by validate()
        ctx.sample = k
        ctx._sampling = (agree.temperature, agree.seed(attempt, k))
        try:
            call = step.fn(**kwargs)
            timeout = step.policy.timeout
            async with asyncio.timeout(timeout):
                result = await call if step.is_async else call
        except (RunFailed, ReplayDivergence, ConfigError):
            raise  # ends the run (a spent budget, a replay that diverged), as in the attempt
        except Exception as e:  # a sample without an artifact disagrees on every field
            return None, classify(step, e).reason
        if not step.returns.holds(result):
            return None, f"returned {type(result).__name__}"
        return result, None

    return sample


@dataclass(frozen=True, slots=True)
class Failure:
    """An attempt that produced no artifact, as its `StepErrored` records it."""

    kind: str  # "retry", "exception", "timeout" or "type"
    reason: str
    # For output that did not fit ("schema") or a `Retry` ("retry"): the failed verdict
    # it is where a gate acts on it.
    verdict: str | None = None


def classify(step: Step, error: Exception) -> Failure:
    """What an attempt's error is: the same words wherever the attempt was made."""
    # Output that does not fit the artifact type (the model's, or what the step's own
    # validation rejected) is a failed "schema" verdict; `Retry` a failed "retry" one.
    if isinstance(error, Retry | ValidationError):
        kind = "schema" if isinstance(error, InvalidOutput | ValidationError) else "retry"
        reason = error.reason if isinstance(error, Retry) else _validation_reason(error)
        return Failure("retry", scrub(reason), kind)  # the model's words may quote a key
    if isinstance(error, TimeoutError) and step.policy.timeout is not None:
        return Failure("timeout", f"timed out after {step.policy.timeout:g} s")
    if isinstance(error, _WrongType):
        return Failure("type", str(error))
    return Failure("exception", scrub(f"{type(error).__name__}: {error}"))


def _kwargs(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    item: Any,
    attempt: int,
    model: str | None,
) -> dict[str, Any]:
    artifacts = x.state.artifacts
    kwargs = {p.name: artifacts[p.name] for p in step.params}
    if index is not None:
        kwargs[step.map] = item  # type: ignore[index]
    if step.ctx_param is not None:
        kwargs[step.ctx_param] = StepContext(
            x,
            step.name,
            attempt,
            index,
            x.state.feedback(unit),
            x.plan.model_for(model) if model is not None else step.model or x.model,
        )
    return kwargs


async def _failed_attempt(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    attempt: int,
    error: Exception | Failure,
    acting: bool,
) -> Any:
    """An attempt without an artifact. Returns None to try again, else the unit's outcome."""
    name = step.name
    failure = error if isinstance(error, Failure) else classify(step, error)
    x.record(
        StepErrored(
            seq=x.next_seq(),
            step=name,
            attempt=attempt,
            index=index,
            error=failure.reason,
            kind=failure.kind,
        )
    )
    if failure.verdict is not None:
        if acting:
            assert x.gates.get(name) is not None
            verdict = schema_verdict(failure.verdict, failure.reason)
            return await _on_failed_verdict(x, step, unit, index, attempt, verdict, None)
        await _crashed(x, step, unit, index, attempt, failure.reason)
        return None
    cause = error if failure.kind == "exception" and isinstance(error, Exception) else None
    await _crashed(x, step, unit, index, attempt, cause or failure.reason)
    return None


def _validation_reason(error: ValidationError) -> str:
    from seamline.models.base import describe_validation

    return describe_validation(error)


async def _crashed(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    attempt: int,
    cause: BaseException | str,
) -> None:
    """An attempt raised: wait and return to try again, or raise StepFailed."""
    await x.flush()
    trouble = x.state.unit_trouble(unit)
    policy = step.policy
    if trouble.crashes >= policy.attempts:
        x.stopping = True
        raise StepFailed(step.name, attempt, cause, index=index) from (
            cause if isinstance(cause, BaseException) else None
        )
    wait = min(policy.backoff * 2 ** (trouble.crashes - 1), policy.max_backoff)
    if policy.jitter:
        # Made elsewhere, the run is a Temporal workflow: its randomness is Temporal's,
        # the same when the workflow is replayed.
        draw = random.uniform if x.remote is None else x.remote.uniform
        wait *= draw(0.5, 1.0)
    await asyncio.sleep(wait)


async def _on_failed_verdict(
    x: Execution,
    step: Step,
    unit: Unit,
    index: int | None,
    attempt: int,
    verdict: Verdict,
    artifact: Any,
) -> Any:
    """Record the ladder's decision on a failed verdict, and carry it out. Returns None to
    try the unit again, `PENDING` when it escalated; raises to reroute or end the run."""
    gate = x.gates[step.name]
    decision = decide.gate_decision(gate, x.state, unit, attempt, verdict, x.next_seq())
    x.record(decision)
    effect = decision.effect
    if effect == "again":
        await x.flush()
        return None
    if effect == "rewind":
        assert decision.target is not None
        x.record(
            decide.rewind(
                x.plan,
                x.state,
                x.next_seq(),
                step=decision.target,
                index=None,
                feedback=decision.feedback or [],
                cause="reroute",
            )
        )
        await x.flush()
        raise Reroute(decision.target)
    if effect == "escalate":
        await request_approval(x, step, artifact, index, "escalation")
        return PENDING
    x.stopping = True
    await x.flush()
    if decision.action == "budget":
        raise BudgetExceeded(
            f"attempts at the gate on {step.name!r}",
            gate.max_attempts or 0,
            attempt,
            step=step.name,
        )
    raise GateRejected(step.name, verdict.reasons)


async def _after_accepted(
    x: Execution, step: Step, unit: Unit, index: int | None, artifact: Any
) -> Any:
    """An accepted item of a map= step that needs a person's approval asks for it."""
    if index is None:
        return artifact
    spec = x.plan.approvals.get(step.name)
    state = x.state
    if spec is None or not spec.per_item or (state.approved and unit in state.approved):
        return artifact
    if not (state.waiting and unit in state.waiting):
        await request_approval(x, step, artifact, index, "approval")
    return PENDING


async def request_approval(
    x: Execution, step: Step, artifact: Any, index: int | None, reason: str
) -> None:
    """Ask a person: record the request and flush it. The unit waits (its decision is
    applied when the run is resumed)."""
    seq = x.next_seq()
    spec = x.plan.approvals.get(step.name)
    timeout_at = time.time() + spec.timeout if spec is not None and spec.timeout else None
    x.record(
        ApprovalRequested(
            seq=seq,
            approval_id=f"{x.run_id}.{seq}",
            step=step.name,
            artifact=artifact,
            reason=reason,
            index=index,
            timeout_at=timeout_at,
        )
    )
    await x.flush()


def unit_finished(x: Execution, step: str, index: int | None, attempt: int, artifact: Any) -> None:
    """Record an artifact no code had to make (a map over no items): a StepFinished alone."""
    seq = x.seq
    x.seq = seq + 1
    x._buffer.extend((FINISHED, seq, time.time(), step, attempt, artifact, index))
    x.accept(step if index is None else (step, index), artifact)
