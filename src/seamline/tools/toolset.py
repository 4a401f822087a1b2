"""The tools of one `ctx.agent` call: allowlisted, budgeted, recorded, replayable.

`RecordedToolset` wraps every toolset an agent step is given (its Python functions, and
one toolset per MCP server). For each call the model makes it:

1. refuses a tool outside the step's allowlist (the model is only shown allowed tools,
   so this is the call-time half of the check);
2. for a tool marked `requires_approval`, applies a person's decision on this exact call
   (see `approval.py`), or, when there is none yet, defers the call: the attempt is
   suspended once the turn's other calls are made, and the run waits;
3. answers a call this attempt made before it ran again under its own number from the
   log (its prefix), or in a replay from the recording (the tool and its server are not
   needed);
4. else charges `Budget.tool_calls` and makes the call;
5. records a `ToolCalled` event: tool, server, arguments, result or error, duration. An
   approved call is written to the store at once: a process that dies after it replays
   its result instead of calling again.

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

from pydantic_ai import ApprovalRequired, ModelRetry
from pydantic_ai.toolsets.abstract import AbstractToolset, ToolsetTool
from pydantic_ai.toolsets.wrapper import WrapperToolset
from pydantic_core import ValidationError, to_jsonable_python

from seamline.events import ToolCalled
from seamline.exceptions import ReplayDivergence, RunFailed, ToolError
from seamline.runtime.calls import charge_tool_call
from seamline.tools.approval import ToolCallApproval, ToolDecision, find_decision, fingerprint

if TYPE_CHECKING:
    from pydantic_ai import RunContext

    from seamline.runtime.executor import Execution
    from seamline.runtime.replay import Recording
    from seamline.steps import StepContext

OnToolError = Literal["retry", "fail"]
APPROVAL = "seamline"  # where a deferred call's metadata holds its ToolCallApproval


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """One tool as seamline knows it, under the name the model sees."""

    model_name: str  # e.g. "fs_read_file"
    name: str  # e.g. "fs.read_file"
    server: str | None
    requires_approval: bool = False
    approval_timeout: float | None = None  # seconds a call waits for a decision


@dataclass(slots=True)
class AgentCall:
    """What the toolsets of one `ctx.agent` call share."""

    execution: Execution
    ctx: StepContext[Any]
    max_turns: int
    on_tool_error: OnToolError
    must_use_tools: bool = False
    # The calls this attempt made before it ran again under its own number (answered from
    # the log first), or None.
    prefix: Recording | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)  # (tool, arguments JSON) made
    answered: int = 0  # calls that returned a result
    # Set when the model repeats a call it already made: it has nothing new to ask, so
    # the next turn offers only the final answer (small models otherwise loop).
    repeated: bool = False
    _approved: asyncio.Lock | None = None

    def one_at_a_time(self) -> asyncio.Lock:
        """Held while an approved call is made and written to the store."""
        if self._approved is None:
            self._approved = asyncio.Lock()
        return self._approved

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
        entry = self.entries.get(name)
        arguments = to_jsonable_python(tool_args)
        if entry is None:  # never offered; refuse before any call
            if self._made(name, arguments, ctx, charge=False) is None:
                self._record(
                    name, None, arguments, None, "not in this step's tools", "refused", ctx, 0.0
                )
            raise ModelRetry(f"there is no tool {name!r}; use one of {sorted(self.entries)}")
        key = (entry.name, repr(sorted(arguments.items())))
        if key in call.calls:
            call.repeated = True
        call.calls.append(key)
        approved = False
        if entry.requires_approval:
            decision = self._decision(entry, arguments, ctx, tool)
            if decision.effect == "reject":  # the model is told, as the call's result
                refusal = decision.refusal
                if self._made(entry.name, arguments, ctx, charge=False) is None:
                    self._record(
                        entry.name, entry.server, arguments, None, refusal, "refused", ctx, 0.0
                    )
                return refusal
            if decision.arguments != arguments:  # an edit: checked by the tool's validator
                tool_args = _validated(entry, tool, decision.arguments)
                arguments = decision.arguments
            approved = True
        if not approved:
            made = self._made(entry.name, arguments, ctx, charge=True)
            if made is not None:
                return self._answer(entry, made)
            return await self._call(entry, name, tool_args, arguments, ctx, tool)
        # An approved call is made once: one at a time, each written to the store before
        # the next starts, so a process that dies after it replays it instead.
        async with call.one_at_a_time():
            made = self._made(entry.name, arguments, ctx, charge=True)
            if made is not None:
                return self._answer(entry, made)
            try:
                result = await self._call(entry, name, tool_args, arguments, ctx, tool)
            except (ModelRetry, ToolError):
                await call.execution.flush()
                raise
            await call.execution.flush()
            return result

    async def _call(
        self,
        entry: ToolEntry,
        name: str,
        tool_args: dict[str, Any],
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
    ) -> Any:
        """Make the call, and record it however it ends."""
        call = self.call
        execution = call.execution
        started = time.perf_counter()
        execution.tools_out += 1
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
        finally:
            execution.tools_out -= 1
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

    def _answer(self, entry: ToolEntry, made: ToolCalled) -> Any:
        """A call made before, answered as it was."""
        if made.error is None:
            self.call.answered += 1
        if made.outcome == "failed":
            raise ToolError(entry.name, made.error or "failed (recorded)")
        if made.error is not None:
            raise ModelRetry(made.error)
        return made.response

    def _made(
        self, tool: str, arguments: dict[str, Any], ctx: RunContext[Any], *, charge: bool
    ) -> ToolCalled | None:
        """The call as made already: by this attempt before it ran again (its prefix: in
        the log, nothing to record), or in the run a replay replays (recorded again into
        the replay's log). None: make it now (charged to the budget when `charge`)."""
        call = self.call
        step_ctx = call.ctx
        where = (step_ctx.step, step_ctx.index, step_ctx.attempt, ctx.tool_call_id or "")
        if call.prefix is not None:
            made = call.prefix.tool_call(*where, tool, arguments)
            if made is not None:
                return made
        if charge:
            charge_tool_call(call.execution, step_ctx.step)
        recording = call.execution.recording
        if recording is None:
            return None
        made = recording.tool_call(*where, tool, arguments)
        assert made is not None  # a replay's recording diverges rather than answer None
        self._record_event(made)
        return made

    def _decision(
        self,
        entry: ToolEntry,
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
    ) -> ToolDecision:
        """A person's decision on this exact call; without one, the call is deferred
        (pydantic-ai makes the turn's other calls, then the agent run ends with it)."""
        step_ctx = self.call.ctx
        print_ = fingerprint(entry.name, arguments)
        decision = find_decision(
            self.call.execution.state,
            step_ctx.step,
            step_ctx.index,
            step_ctx.attempt,
            ctx.tool_call_id,
            print_,
        )
        if decision is not None:
            return decision
        shown = ToolCallApproval(
            tool=entry.name,
            server=entry.server,
            arguments=arguments,
            fingerprint=print_,
            attempt=step_ctx.attempt,
            call_id=ctx.tool_call_id,
            description=tool.tool_def.description,
            parameters=dict(tool.tool_def.parameters_json_schema),
            timeout=entry.approval_timeout,
        )
        raise ApprovalRequired(metadata={APPROVAL: shown})

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


def _validated(entry: ToolEntry, tool: ToolsetTool[Any], arguments: dict[str, Any]) -> Any:
    """Arguments a person edited, through the tool's own validator (checked against its
    schema when the edit was decided; this holds the line if the tool changed since)."""
    try:
        return tool.args_validator.validate_python(arguments)
    except ValidationError as e:
        raise ToolError(entry.name, f"the arguments a person edited do not validate: {e}") from None
