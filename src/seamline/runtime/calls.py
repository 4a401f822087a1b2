"""Model and tool calls made from inside a run: recorded, budgeted, and replayable.

Every call goes through here, from `ctx.generate`, `ctx.call_tool` or a gate's judge:
the budget is checked, the call is made (or, in a replay, answered from the recording),
and a `ModelCalled` / `ToolCalled` event with the full request goes into the run log.
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from seamline.events import ModelCalled, ToolCalled
from seamline.exceptions import (
    BudgetExceeded,
    ConfigError,
    InvalidOutput,
    ModelCallFailed,
    ReplayDivergence,
    RunFailed,
)
from seamline.gates import Judge, JudgeScore
from seamline.redact import scrub
from seamline.runtime.feedback import with_feedback
from seamline.tools.trace import ToolTrace, trace_of
from seamline.verdict import CheckResult

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.runtime.executor import Execution
    from seamline.runtime.state import Unit
    from seamline.steps import Step, StepContext

T = TypeVar("T", bound=BaseModel)


def judge_runner(
    execution: Execution, step: Step, unit: Unit, index: int | None, attempt: int
) -> Any:
    """Runs a gate's judges through `call_model`, so they are recorded and budgeted.

    Its `tool_trace()` gives the gated attempt's tool calls, for checks that read them."""

    async def run_judge(judge: Judge, values: Mapping[str, Any]) -> CheckResult:
        passages = reads() if judge.with_reads else ()
        state = execution.state
        trouble = state.trouble.get(unit) if state.trouble else None
        switched = execution.plan.model_for(trouble.model) if trouble and trouble.model else None
        model = judge.model or switched or step.model or execution.model
        started = time.perf_counter()
        try:
            score, error, cost = await call_model(
                execution,
                (step.name, attempt, index),
                JudgeScore,
                model,
                "judge",
                prompt=judge.prompt(step.name, values, passages),
                system="You are a strict reviewer. Answer only with the JSON asked for.",
            )
        except (RunFailed, ReplayDivergence, ConfigError):
            raise
        except Exception as e:  # a judge that cannot answer is a gate error, not a crash
            return judge.result(
                None, f"{type(e).__name__}: {e}", 0.0, time.perf_counter() - started
            )
        return judge.result(score, error, cost, time.perf_counter() - started)

    def tool_trace() -> ToolTrace:
        log = execution.log
        buffer = execution._buffer
        events = log if buffer is log else itertools.chain(log, buffer)
        return trace_of(events, step.name, index, attempt)

    run_judge.tool_trace = tool_trace  # type: ignore[attr-defined]

    def reads() -> Any:
        """The passages this attempt read with ctx.search, for checks and judges."""
        from seamline.context.reads import attempt_reads

        return attempt_reads(execution, step.name, index, attempt)

    run_judge.reads = reads  # type: ignore[attr-defined]
    return run_judge


async def generate(
    execution: Execution,
    ctx: StepContext[Any],
    output_type: type[T],
    prompt: str,
    system: str | None,
    model: str | Model | None,
    examples: Sequence[tuple[str, str]],
    max_tokens: int | None,
) -> T:
    sampling = ctx._sampling
    extra: dict[str, Any] = {}
    if sampling is not None:  # a consensus gate's sample: its own temperature and seed
        extra = {"temperature": sampling[0], "seed": sampling[1]}
    output, error, _ = await call_model(
        execution,
        (ctx.step, ctx.attempt, ctx.index),
        output_type,
        model or ctx.model,
        "step" if sampling is None else "sample",
        prompt=with_feedback(prompt, ctx.feedback),
        system=system,
        examples=tuple(examples),
        max_tokens=max_tokens,
        **extra,
    )
    if output is None:
        raise InvalidOutput(error or "the model returned no valid output")
    return output


async def call_tool(
    execution: Execution,
    ctx: StepContext[Any],
    name: str,
    fn: Any,
    returns: type[BaseModel] | None,
    arguments: dict[str, Any],
) -> Any:
    request = to_jsonable_python(arguments)
    started = time.perf_counter()
    charge_tool_call(execution, ctx.step)
    if execution.recording is not None:
        recorded = execution.recording.tool(ctx.step, ctx.index, ctx.attempt, name, request)
        if recorded.error is not None:
            raise RuntimeError(f"tool {name!r} failed (recorded): {recorded.error}")
        response = recorded.response
        return returns.model_validate(response) if returns is not None else response
    error = None
    try:
        response = fn(**arguments)
        if inspect.isawaitable(response):
            response = await response
    except Exception as e:
        error, response = scrub(f"{type(e).__name__}: {e}"), None
        raise
    finally:
        execution.record(
            ToolCalled(
                seq=execution.next_seq(),
                step=ctx.step,
                attempt=ctx.attempt,
                index=ctx.index,
                tool=name,
                request=request,
                response=to_jsonable_python(response),
                seconds=time.perf_counter() - started,
                error=error,
                outcome="ok" if error is None else "failed",
            )
        )
    return response


async def call_model(
    execution: Execution,
    where: tuple[str, int, int | None],
    output_type: type[T],
    model_spec: str | Model | None,
    purpose: str,
    **request_fields: Any,
) -> tuple[T | None, str | None, float]:
    """One model call: budgets checked, the call (or its recording) made, and logged.

    `where` is (step, attempt, item index); `request_fields` are ModelRequest's
    prompt, system, examples and max_tokens, and a sample's temperature and seed."""
    from seamline.models import ModelRequest
    from seamline.testing.guard import check_model_allowed

    step, attempt, index = where

    if model_spec is None:
        raise ConfigError(
            f"step {step!r} called a model but none is configured: pass model= to "
            "ctx.generate, @pipe.step(model=...), or pipe.run(..., model='local')"
        )
    budget = execution.budget
    state = execution.state
    # Counted from the log, plus the calls made but not yet recorded (concurrent items).
    used = state.model_calls + execution.calls_out
    if budget.model_calls is not None and used >= budget.model_calls:
        execution.stopping = True
        raise BudgetExceeded("model_calls", budget.model_calls, used, step=step, more=True)
    schema = output_type.model_json_schema()
    name = model_spec if isinstance(model_spec, str) else model_spec.name
    request = ModelRequest(model=name, output_schema=schema, **request_fields)
    execution.calls_out += 1
    try:
        if execution.recording is not None:  # a replay: the recording answers, no model is built
            reply = execution.recording.reply(step, index, attempt, request, output_type)
        else:
            model = _resolve(model_spec, step)
            if model.name != name:
                request = ModelRequest(model=model.name, output_schema=schema, **request_fields)
            check_model_allowed(model)
            reply = await model.generate(output_type, request)
    except ModelCallFailed as e:  # recorded too: a replay fails the same way
        execution.record(
            ModelCalled(
                seq=execution.next_seq(),
                step=step,
                attempt=attempt,
                index=index,
                model=request.model,
                request=request.to_record(),
                response=None,
                error=scrub(f"ModelCallFailed: {e}"),
                purpose=purpose,
            )
        )
        raise
    finally:
        execution.calls_out -= 1
    execution.record(
        ModelCalled(
            seq=execution.next_seq(),
            step=step,
            attempt=attempt,
            index=index,
            model=request.model,
            request=request.to_record(),
            response={"raw_output": reply.raw_output, **reply.response},
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cost_usd=reply.cost_usd,
            seconds=reply.seconds,
            error=scrub(reply.error) if reply.error else None,
            purpose=purpose,
        )
    )
    if budget.tokens is not None and state.tokens > budget.tokens:
        execution.stopping = True
        raise BudgetExceeded("tokens", budget.tokens, state.tokens, step=step)
    if budget.cost_usd is not None and state.cost_usd > budget.cost_usd:
        execution.stopping = True
        raise BudgetExceeded("cost_usd", budget.cost_usd, state.cost_usd, step=step)
    return reply.output, reply.error, reply.cost_usd


def _resolve(spec: str | Model, step: str) -> Model:
    """The model to call; a bare name that no provider knows is most often a model
    object's name recorded by a run that is now resumed without the object."""
    from seamline.models import get_model

    try:
        return get_model(spec)
    except ConfigError as e:
        if isinstance(spec, str) and ":" not in spec and spec != "local":
            raise ConfigError(
                f"step {step!r} needs model {spec!r}, which the run recorded by name: it was "
                "a Model object when the run started. Register it on the pipeline "
                f"(sl.Pipeline(..., models={{{spec!r}: model}})) or pass model= to "
                f"resume/decide. ({e})"
            ) from None
        raise


# Budget checks for agent turns and tool calls (`seamline.tools`). What was used is the
# run state's, counted from the log by the reducer; a call in flight is counted by
# `calls_out` (model calls) until its event is recorded.


def charge_model_call(execution: Execution, step: str) -> None:
    """Before an agent turn: refuse it past `Budget.model_calls`. The caller holds
    `execution.calls_out` up while the turn is out, and records its `ModelCalled`."""
    budget = execution.budget
    used = execution.state.model_calls + execution.calls_out
    if budget.model_calls is not None and used >= budget.model_calls:
        execution.stopping = True
        raise BudgetExceeded("model_calls", budget.model_calls, used, step=step, more=True)


def check_usage(execution: Execution, step: str) -> None:
    """After a turn's `ModelCalled` is recorded: past `Budget.tokens` or `cost_usd`, the
    run ends."""
    budget = execution.budget
    state = execution.state
    if budget.tokens is not None and state.tokens > budget.tokens:
        execution.stopping = True
        raise BudgetExceeded("tokens", budget.tokens, state.tokens, step=step)
    if budget.cost_usd is not None and state.cost_usd > budget.cost_usd:
        execution.stopping = True
        raise BudgetExceeded("cost_usd", budget.cost_usd, state.cost_usd, step=step)


def charge_tool_call(execution: Execution, step: str) -> None:
    """Before a tool call: refuse it past `Budget.tool_calls` (calls recorded so far)."""
    limit = execution.budget.tool_calls
    used = execution.state.tool_calls
    if limit is not None and used >= limit:
        execution.stopping = True
        raise BudgetExceeded("tool_calls", limit, used, step=step, more=True)
