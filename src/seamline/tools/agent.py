"""`ctx.agent`: a step whose model chooses and calls tools, on pydantic-ai's agent loop.

The loop is pydantic-ai's `Agent`; seamline supplies the model (wrapped so every turn is
budgeted, recorded and replayable, see `turns.py`) and the toolsets (wrapped so every
call is allowlisted, budgeted, recorded and replayable, see `toolset.py`), and turns the
ways an agent run can end into what the executor understands:

- a validated artifact of the output type;
- `InvalidOutput` (a failed attempt the seam's gate policy handles, with the reason as
  feedback): no valid final answer within `max_turns`, output that never validated, a
  tool whose errors used up its retries;
- `ToolError` (also a failed attempt): a tool that could not answer at all;
- `ToolApprovalRequired`: calls of tools marked `requires_approval` that wait for a
  person (pydantic-ai's deferred tool calls: the turn's other calls are made first); the
  executor suspends the attempt;
- `BudgetExceeded`, `ReplayDivergence`: end the run, as from `ctx.generate`.

An attempt that runs again under its own number (it was suspended, or its process died)
answers the turns and calls it made before from the log, then goes on live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai import Tool as PaiTool
from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.output import ToolOutput
from pydantic_ai.tools import DeferredToolRequests, ToolDefinition
from pydantic_ai.toolsets import FunctionToolset
from pydantic_ai.usage import UsageLimits

from seamline.exceptions import (
    InvalidOutput,
    ModelCallFailed,
    PipelineError,
    ReplayDivergence,
    Retry,
    RunFailed,
    SeamlineError,
    ToolApprovalRequired,
)
from seamline.models.base import traced_by_seamline
from seamline.runtime.feedback import with_feedback
from seamline.tools.specs import Allowlist, ToolSpec
from seamline.tools.toolset import DEFERRED, AgentCall, OnToolError, RecordedToolset, ToolEntry
from seamline.tools.turns import RecordedTurns

if TYPE_CHECKING:
    from seamline.mcp.servers import MCPServer
    from seamline.models.agent import AgentModel
    from seamline.runtime.executor import Execution
    from seamline.steps import StepContext

T = TypeVar("T", bound=BaseModel)

FINAL_TOOL = "final_result"


async def run_agent(
    execution: Execution,
    ctx: StepContext[Any],
    output_type: type[T],
    prompt: str,
    *,
    tools: Sequence[ToolSpec] | None,
    system: str | None,
    model: Any,
    max_turns: int,
    on_tool_error: OnToolError,
    tool_retries: int,
    max_tokens: int | None,
    must_use_tools: bool = False,
) -> T:
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    if on_tool_error not in ("retry", "fail"):
        raise ValueError(f"on_tool_error={on_tool_error!r}: use 'retry' or 'fail'")
    step = execution.plan.steps[ctx.step]
    allowlist: Allowlist = step.tools
    if tools is not None:
        if not allowlist:
            raise PipelineError(
                "calls ctx.agent(tools=...) but declares no tools; list them on the step: "
                "@pipe.step(tools=[...]) (that list is the step's allowlist)",
                step=ctx.step,
            )
        allowlist = allowlist.narrow(tools, ctx.step)
    agent_model = _agent_model(execution, ctx, model, max_tokens, output_type)
    call = AgentCall(execution, ctx, max_turns, on_tool_error, must_use_tools, ctx._recorded())
    toolsets = _function_toolsets(allowlist, call, tool_retries)
    for server_name in allowlist.server_names:
        toolsets.append(
            await _server_toolset(step.tool_servers[server_name], allowlist, call, tool_retries)
        )
    turns = RecordedTurns(agent_model, execution, ctx, _names(toolsets), call)
    final: Any = ToolOutput(output_type, name=FINAL_TOOL)
    if any(e.requires_approval for ts in toolsets for e in ts.entries.values()):
        final = [final, DeferredToolRequests]  # a call that waits for a person ends the run
    agent: Agent[None, Any] = Agent(
        turns,
        output_type=final,
        instructions=system,
        toolsets=toolsets,
        retries={"tools": tool_retries, "output": 1},
        model_settings=agent_model.settings,
        name=ctx.step,
    )
    if traced_by_seamline.get():  # a traced run's turns and tool calls are seamline's spans
        agent.instrument = False
    try:
        # In a task of its own: on Python 3.11 a TaskGroup that failed (a map step's, an
        # earlier run's) leaves its task's cancel count raised, which pydantic-ai reads as
        # a pending cancellation. A cancel of this task still reaches the agent's.
        result = await asyncio.create_task(
            agent.run(
                with_feedback(prompt, ctx.feedback),
                usage_limits=UsageLimits(request_limit=max_turns, tool_calls_limit=None),
            )
        )
    except BaseExceptionGroup as group:
        raise _first(group) from None
    except UsageLimitExceeded:
        raise InvalidOutput(
            f"the agent gave no valid final answer within max_turns={max_turns} model turns "
            f"({len(call.calls)} tool calls made)"
        ) from None
    except UnexpectedModelBehavior as e:
        raise InvalidOutput(f"the agent stopped: {e.message}") from None
    except ModelAPIError as e:
        raise ModelCallFailed(
            agent_model.name, str(e), status_code=getattr(e, "status_code", None)
        ) from e
    output = result.output
    if isinstance(output, DeferredToolRequests):
        waits = [output.metadata[c.tool_call_id][DEFERRED] for c in output.approvals]
        raise ToolApprovalRequired(ctx.step, waits)
    assert isinstance(output, output_type)
    return output


def _agent_model(
    execution: Execution,
    ctx: StepContext[Any],
    spec: Any,
    max_tokens: int | None,
    output_type: type[Any],
) -> AgentModel:
    from seamline.models.agent import AgentModel, agent_model_for
    from seamline.testing.guard import check_model_allowed

    spec = spec or ctx.model
    if spec is None:
        raise SeamlineError(
            f"step {ctx.step!r} called ctx.agent but no model is configured: pass model= to "
            "ctx.agent, @pipe.step(model=...), or pipe.run(..., model='local')"
        )
    if execution.recording is not None:  # a replay: the recording answers, no model is built
        from pydantic_ai.models.function import FunctionModel

        name = spec if isinstance(spec, str) else getattr(spec, "name", None) or spec.model_name
        return AgentModel(name, FunctionModel(_not_in_replay), {}, offline=True)
    agent_model = agent_model_for(spec, max_tokens=max_tokens, output_type=output_type)
    check_model_allowed(agent_model)
    return agent_model


def _not_in_replay(*_: Any) -> Any:
    raise AssertionError("a replay answers every turn from its recording")


def _function_toolsets(
    allowlist: Allowlist, call: AgentCall, retries: int
) -> list[RecordedToolset]:
    if not allowlist.functions:
        return []
    tools = [
        PaiTool(
            t.fn,
            takes_ctx=False,
            name=t.name,
            description=t.description,
            max_retries=t.retries if t.retries is not None else retries,
            timeout=t.timeout,
        )
        for t in allowlist.functions
    ]
    entries = [
        ToolEntry(t.name, t.name, None, t.requires_approval, t.approval_timeout)
        for t in allowlist.functions
    ]
    return [RecordedToolset(FunctionToolset(tools, max_retries=retries), entries, call)]


async def _server_toolset(
    server: MCPServer, allowlist: Allowlist, call: AgentCall, retries: int
) -> RecordedToolset:
    from seamline.mcp.check import check_connected
    from seamline.mcp.pool import connect
    from seamline.mcp.toolset import MCPTools, definitions

    ctx = call.ctx
    recording = call.execution.recording
    if recording is not None:  # the tools as recorded; the server is not needed
        recorded = [
            d
            for d in recording.agent_tools(ctx.step, ctx.index, ctx.attempt)
            if d.get("server") == server.name
        ]
        tools = [
            (
                ToolEntry(
                    d["name"],
                    d["tool"],
                    server.name,
                    server.needs_approval(d["tool"].split(".", 1)[1]),
                    server.approval_timeout,
                ),
                ToolDefinition(
                    name=d["name"],
                    description=d["description"],
                    parameters_json_schema=d["parameters"],
                ),
            )
            for d in recorded
        ]
        mcp_tools = MCPTools(None, tools, retries=retries)
    else:
        connection = await connect(server)
        check_connected(server, connection, ctx.step, allowlist)
        listed = [t for name, t in connection.tools.items() if allowlist.allows(server.name, name)]
        mcp_tools = MCPTools(connection, definitions(server, listed), retries=retries)
    return RecordedToolset(mcp_tools, mcp_tools.entries, call)


def _names(toolsets: Sequence[RecordedToolset]) -> dict[str, tuple[str, str | None]]:
    return {e.model_name: (e.name, e.server) for ts in toolsets for e in ts.entries.values()}


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    """The error that matters in a group from the agent's task groups."""
    flat: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        e = stack.pop(0)
        if isinstance(e, BaseExceptionGroup):
            stack[:0] = list(e.exceptions)
        else:
            flat.append(e)
    for kinds in ((RunFailed, ReplayDivergence), (Retry,)):
        for e in flat:
            if isinstance(e, kinds):
                return e
    return flat[0]
