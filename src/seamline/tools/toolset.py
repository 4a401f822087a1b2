"""The tools of one `ctx.agent` call: allowlisted, budgeted, recorded, replayable.

`RecordedToolset` wraps every toolset an agent step is given (its Python functions, and
one toolset per MCP server). For each call the model makes it:

1. refuses a tool outside the step's allowlist (the model is only shown allowed tools,
   so this is the call-time half of the check);
2. for a tool marked `requires_approval`, matches the call to the decisions the run's
   reducer holds for it (see `approval.py`): a used one answers it from its record, an
   unused one is applied, and without one the call is deferred: the attempt is suspended
   once the turn's other calls are made, and the run waits;
3. answers a call this attempt made before it ran again under its own number from the
   log (its prefix), or in a replay from the recording (the tool and its server are not
   needed);
4. else charges `Budget.tool_calls` and makes the call;
5. records a `ToolCalled` event: tool, server, arguments, result or error, duration. An
   approved call records and flushes an intent before it is made, and its result at
   once after: each decision makes at most one call (see `approval.py` for a process
   that dies in between).

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
from seamline.runtime.state import unit_of
from seamline.tools.approval import DeferredCall, ToolCallApproval, ToolDecision, fingerprint

if TYPE_CHECKING:
    from pydantic_ai import RunContext

    from seamline.runtime.executor import Execution
    from seamline.runtime.replay import Recording
    from seamline.steps import StepContext

OnToolError = Literal["retry", "fail"]
DEFERRED = "seamline"  # the key of a deferred call's metadata that holds its DeferredCall


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
    _approved_calls_lock: asyncio.Lock | None = None

    def approved_calls_lock(self) -> asyncio.Lock:
        """Held while an approved call is made and written to the store: one at a time."""
        if self._approved_calls_lock is None:
            self._approved_calls_lock = asyncio.Lock()
        return self._approved_calls_lock

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
        if entry.requires_approval:
            return await self._approval_bound(entry, name, tool_args, arguments, ctx, tool)
        made = self._made(entry.name, arguments, ctx, charge=True)
        if made is not None:
            return self._answer(entry, made)
        return await self._call(entry, name, tool_args, arguments, ctx, tool)

    async def _approval_bound(
        self,
        entry: ToolEntry,
        name: str,
        tool_args: dict[str, Any],
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
    ) -> Any:
        """A call of a tool that needs approval, matched to the decisions on it in order
        (see `approval.py`): answered from the record of a used one, made or refused by an
        unused one, or deferred for a person."""
        step_ctx = self.call.ctx
        state = self.call.execution.state
        print_ = fingerprint(entry.name, arguments)
        matched = step_ctx._matched_approvals()
        unit = unit_of(step_ctx.step, step_ctx.index)
        unknown = None  # an approved call started and never heard of: a person checks
        for approval in state.tool_call_approvals(unit, step_ctx.attempt, ctx.tool_call_id):
            approval_id = approval.request.approval_id
            if approval_id in matched or approval.call is None:
                continue
            if approval.call.fingerprint != print_:
                continue  # asked for other arguments: not this call's
            matched.add(approval_id)
            if approval.made is not None:  # used: answered as it was, never made again
                self._skip_in_prefix(approval.made, ctx)
                return self._answer(entry, approval.made)
            if approval.started is not None:
                unknown = approval_id
                continue
            if approval.pending:  # asked already, not decided yet
                raise self._deferred(entry, arguments, print_, ctx, tool, None, approval_id)
            decision = ToolDecision.of(state, approval)
            return await self._decided(entry, name, tool_args, arguments, ctx, tool, decision)
        raise self._deferred(entry, arguments, print_, ctx, tool, unknown, None)

    async def _decided(
        self,
        entry: ToolEntry,
        name: str,
        tool_args: dict[str, Any],
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
        decision: ToolDecision,
    ) -> Any:
        """Apply a person's unused decision: refuse the call, or make it, once."""
        call = self.call
        approval_id = decision.approval_id
        if decision.effect == "reject":  # the model is told, as the call's result
            refusal = decision.refusal
            if self._replayed(entry.name, arguments, ctx, approval_id) is None:
                self._record(
                    entry.name,
                    entry.server,
                    arguments,
                    None,
                    refusal,
                    "refused",
                    ctx,
                    0.0,
                    approval_id=approval_id,
                )
            return refusal
        if decision.arguments != arguments:  # an edit: checked by the tool's validator
            tool_args = _validated(entry, tool, decision.arguments)
            arguments = decision.arguments
        # One at a time, each recorded and flushed as an intent before it is made and with
        # its result right after, so no decision makes a second call (see approval.py).
        async with call.approved_calls_lock():
            # The turn's other calls record while this one flushes: no batch may overtake
            # (or drop) another.
            call.execution.allow_concurrent_flushes()
            charge_tool_call(call.execution, call.ctx.step)
            replayed = self._replayed(entry.name, arguments, ctx, approval_id)
            if replayed is not None:
                return self._answer(entry, replayed)
            self._record(
                entry.name,
                entry.server,
                arguments,
                None,
                None,
                "started",
                ctx,
                0.0,
                approval_id=approval_id,
            )
            await call.execution.flush()
            try:
                return await self._call(
                    entry, name, tool_args, arguments, ctx, tool, approval_id=approval_id
                )
            finally:
                await call.execution.flush()

    def _deferred(
        self,
        entry: ToolEntry,
        arguments: dict[str, Any],
        print_: str,
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
        unknown: str | None,
        asked: str | None,
    ) -> ApprovalRequired:
        """The call waits for a person: pydantic-ai makes the turn's other calls, then the
        agent run ends with it (see agent.py)."""
        step_ctx = self.call.ctx
        shown = ToolCallApproval(
            tool=entry.name,
            server=entry.server,
            arguments=arguments,
            fingerprint=print_,
            attempt=step_ctx.attempt,
            call_id=ctx.tool_call_id,
            description=tool.tool_def.description,
            parameters=dict(tool.tool_def.parameters_json_schema),
            outcome_unknown=unknown,
        )
        deferred = DeferredCall(shown, entry.approval_timeout, asked)
        return ApprovalRequired(metadata={DEFERRED: deferred})

    async def _call(
        self,
        entry: ToolEntry,
        name: str,
        tool_args: dict[str, Any],
        arguments: dict[str, Any],
        ctx: RunContext[Any],
        tool: ToolsetTool[Any],
        *,
        approval_id: str | None = None,
    ) -> Any:
        """Make the call, and record it however it ends (a cancelled call is not
        recorded: an approved one leaves its intent, see approval.py)."""
        call = self.call
        execution = call.execution
        started = time.perf_counter()
        execution.tools_out += 1
        try:
            result = await self.wrapped.call_tool(name, tool_args, ctx, tool)
        except (RunFailed, ReplayDivergence, asyncio.CancelledError):
            raise
        except ModelRetry as e:
            self._record(
                entry.name,
                entry.server,
                arguments,
                None,
                str(e),
                "retry",
                ctx,
                started,
                approval_id=approval_id,
            )
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
            self._record(
                entry.name,
                entry.server,
                arguments,
                None,
                error,
                "retry",
                ctx,
                started,
                approval_id=approval_id,
            )
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
            approval_id=approval_id,
        )
        call.answered += 1
        return result

    def _answer(self, entry: ToolEntry, made: ToolCalled) -> Any:
        """A call made before, answered as it was."""
        if made.error is None:
            self.call.answered += 1
        if made.outcome == "refused" and made.approval_id is not None:
            return made.error  # a person's refusal: the call's result, as the model got it
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
        if call.prefix is not None:
            where = (step_ctx.step, step_ctx.index, step_ctx.attempt, ctx.tool_call_id or "")
            made = call.prefix.tool_call(*where, tool, arguments)
            if made is not None:
                return made
        if charge:
            charge_tool_call(call.execution, step_ctx.step)
        return self._replayed(tool, arguments, ctx, None)

    def _replayed(
        self, tool: str, arguments: dict[str, Any], ctx: RunContext[Any], approval_id: str | None
    ) -> ToolCalled | None:
        """In a replay, the recorded call, recorded again into the replay's log (answering
        the replay's own approval); None when not replaying."""
        call = self.call
        recording = call.execution.recording
        if recording is None:
            return None
        step_ctx = call.ctx
        where = (step_ctx.step, step_ctx.index, step_ctx.attempt, ctx.tool_call_id or "")
        made = recording.tool_call(*where, tool, arguments)
        if made is None:  # a replay's recording diverges rather than answer None
            raise ReplayDivergence(step_ctx.step, f"tool call {tool!r} has no recorded result")
        return self._record_event(made, approval_id)

    def _skip_in_prefix(self, made: ToolCalled, ctx: RunContext[Any]) -> None:
        """A call answered from its approval's record: its place in the prefix is taken,
        so the prefix's later calls line up."""
        call = self.call
        if call.prefix is not None:
            step_ctx = call.ctx
            where = (step_ctx.step, step_ctx.index, step_ctx.attempt, ctx.tool_call_id or "")
            call.prefix.tool_call(*where, made.tool, made.request)

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
        *,
        approval_id: str | None = None,
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
                approval_id=approval_id,
            )
        )

    def _record_event(self, recorded: ToolCalled, approval_id: str | None) -> ToolCalled:
        """In a replay, the recorded call goes into the new log as it was (answering the
        replay's own approval, `approval_id`)."""
        execution = self.call.execution
        again = ToolCalled(
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
            approval_id=approval_id,
        )
        execution.record(again)
        return again


def _validated(entry: ToolEntry, tool: ToolsetTool[Any], arguments: dict[str, Any]) -> Any:
    """Arguments a person edited, through the tool's own validator (checked against its
    schema when the edit was decided; this holds the line if the tool changed since)."""
    try:
        return tool.args_validator.validate_python(arguments)
    except ValidationError as e:
        raise ToolError(entry.name, f"the arguments a person edited do not validate: {e}") from None
