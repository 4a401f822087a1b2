"""The tools of one `ctx.agent` call: allowlisted, budgeted, recorded, replayable.

`RecordedToolset` wraps every toolset an agent step is given (its Python functions, and
one toolset per MCP server). For each call the model makes it:

1. refuses a tool outside the step's allowlist (the model is only shown allowed tools,
   so this is the call-time half of the check);
2. charges `Budget.tool_calls`;
3. holds a call marked `requires_approval` until a person approved those exact arguments;
4. makes the call, or in a replay returns the recorded result (the tool and its server
   are not needed);
5. records a `ToolCalled` event: tool, server, arguments, result or error, duration.

Errors: a tool that raises `ModelRetry`, or returns an MCP error result, is fed back to
the model, which may try again (`outcome="retry"`). Any other exception from a Python
tool is fed back too, unless `on_tool_error="fail"`. A tool that cannot answer at all —
its server died, timed out, broke its output schema — raises `ToolError`, which fails the
attempt (`outcome="failed"`) and hands it to the seam's policy. The run never crashes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic_ai import ModelRetry
from pydantic_ai.toolsets.abstract import AbstractToolset, ToolsetTool
from pydantic_ai.toolsets.wrapper import WrapperToolset
from pydantic_core import to_jsonable_python

from seamline.events import ToolCalled
from seamline.exceptions import ReplayDivergence, RunFailed, ToolApprovalRequired, ToolError
from seamline.runtime.calls import charge_tool_call
from seamline.tools.approval import find_decision, fingerprint

if TYPE_CHECKING:
    from pydantic_ai import RunContext

    from seamline.runtime.executor import Execution
    from seamline.steps import StepContext

OnToolError = Literal["retry", "fail"]


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """One tool as seamline knows it, under the name the model sees."""

    model_name: str  # e.g. "fs_read_file"
    name: str  # e.g. "fs.read_file"
    server: str | None
    requires_approval: bool = False


@dataclass(slots=True)
class AgentCall:
    """What the toolsets of one `ctx.agent` call share."""

    execution: Execution
    ctx: StepContext[Any]
    max_turns: int
    on_tool_error: OnToolError
    must_use_tools: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)  # (tool, arguments JSON) made
    answered: int = 0  # calls that returned a result
    # Set when the model repeats a call it already made: it has nothing new to ask, so
    # the next turn offers only the final answer (small models otherwise loop).
    repeated: bool = False

    def answer_only(self, run_step: int) -> bool:
        """Whether this turn offers the final answer only: the last turn, or after a repeat."""
        return self.repeated or run_step >= self.max_turns

    def tools_only(self, run_step: int) -> bool:
        """Whether this turn withholds the final answer: `must_use_tools` and no tool has
        answered yet (the last turn offers the answer all the same)."""
        return self.must_use_tools and not self.answered and not self.answer_only(run_step)


class RecordedToolset(WrapperToolset[Any]):
    """Wraps one toolset of an agent step; see the module docstring."""

    def __init__(
        self, wrapped: AbstractToolset[Any], entries: Iterable[ToolEntry], call: AgentCall
    ) -> None:
        super().__init__(wrapped)
        self.entries = {e.model_name: e for e in entries}
        self.call = call

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        if self.call.answer_only(ctx.run_step):
            return {}
        tools = await self.wrapped.get_tools(ctx)
        return {name: t for name, t in tools.items() if name in self.entries}

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        call = self.call
        execution, step_ctx = call.execution, call.ctx
        entry = self.entries.get(name)
        arguments = to_jsonable_python(tool_args)
        if entry is None:  # never offered; refuse before any call
            self._record(
                name, None, arguments, None, "not in this step's tools", "refused", ctx, 0.0
            )
            raise ModelRetry(f"there is no tool {name!r}; use one of {sorted(self.entries)}")
        charge_tool_call(execution, step_ctx.step)
        key = (entry.name, repr(sorted(arguments.items())))
        if key in call.calls:
            call.repeated = True
        call.calls.append(key)
        if entry.requires_approval:
            arguments = self._approved(entry, arguments, ctx)
        started = time.perf_counter()
        recording = execution.recording
        if recording is not None:
            recorded = recording.tool_call(
                step_ctx.step,
                step_ctx.index,
                step_ctx.attempt,
                ctx.tool_call_id or "",
                entry.name,
                arguments,
            )
            self._record_event(recorded)
            if recorded.error is None:
                call.answered += 1
            if recorded.outcome == "failed":
                raise ToolError(entry.name, recorded.error or "failed (recorded)")
            if recorded.error is not None:
                raise ModelRetry(recorded.error)
            return recorded.response
        try:
            result = await self.wrapped.call_tool(name, tool_args, ctx, tool)
        except (RunFailed, ReplayDivergence, asyncio.CancelledError):
            raise
        except ModelRetry as e:
            self._record(entry.name, entry.server, arguments, None, str(e), "retry", ctx, started)
            raise
        except ToolError as e:
            self._record(
                entry.name, entry.server, arguments, None, e.reason, "failed", ctx, started
            )
            raise
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            if call.on_tool_error == "fail":
                self._record(
                    entry.name, entry.server, arguments, None, error, "failed", ctx, started
                )
                raise ToolError(entry.name, error) from e
            self._record(entry.name, entry.server, arguments, None, error, "retry", ctx, started)
            raise ModelRetry(f"the tool raised {error}") from e
        self._record(
            entry.name,
            entry.server,
            arguments,
            to_jsonable_python(result, fallback=str),
            None,
            "ok",
            ctx,
            started,
        )
        call.answered += 1
        return result

    def _approved(
        self, entry: ToolEntry, arguments: dict[str, Any], ctx: RunContext[Any]
    ) -> dict[str, Any]:
        """The arguments a person approved for this exact call, or stop the run."""
        step_ctx = self.call.ctx
        execution = self.call.execution
        print_ = fingerprint(entry.name, arguments)
        log = execution.log
        buffer = execution._buffer
        events = log if buffer is log else [*log, *buffer]
        decision = find_decision(events, step_ctx.step, step_ctx.index, print_)
        if decision is None:
            self._record(
                entry.name,
                entry.server,
                arguments,
                None,
                "needs a person's approval",
                "refused",
                ctx,
                0.0,
            )
            raise ToolApprovalRequired(step_ctx.step, entry.name, arguments, print_)
        if decision.decision == "reject":
            why = f"a person rejected this call: {decision.reason or 'no reason given'}"
            self._record(entry.name, entry.server, arguments, None, why, "refused", ctx, 0.0)
            raise ModelRetry(why)
        return decision.arguments

    def _record(
        self,
        tool: str,
        server: str | None,
        arguments: dict[str, Any],
        result: Any,
        error: str | None,
        outcome: str,
        ctx: RunContext[Any],
        started: float,
    ) -> None:
        execution, step_ctx = self.call.execution, self.call.ctx
        execution.record(
            ToolCalled(
                seq=execution.next_seq(),
                step=step_ctx.step,
                attempt=step_ctx.attempt,
                index=step_ctx.index,
                tool=tool,
                request=arguments,
                response=result,
                seconds=time.perf_counter() - started if started else 0.0,
                error=error,
                server=server,
                call_id=ctx.tool_call_id,
                outcome=outcome,
            )
        )

    def _record_event(self, recorded: ToolCalled) -> None:
        """In a replay, the recorded call goes into the new log as it was."""
        execution = self.call.execution
        execution.record(
            ToolCalled(
                seq=execution.next_seq(),
                step=recorded.step,
                attempt=recorded.attempt,
                index=recorded.index,
                tool=recorded.tool,
                request=recorded.request,
                response=recorded.response,
                seconds=0.0,
                error=recorded.error,
                server=recorded.server,
                call_id=recorded.call_id,
                outcome=recorded.outcome,
            )
        )
