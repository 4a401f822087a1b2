"""Agent turns: every model request of an agent step is budgeted, recorded, and replayable.

`RecordedTurns` wraps the pydantic-ai model an agent runs on. Each turn is charged to the
run's `Budget.model_calls` (and tokens, cost), recorded as a `ModelCalled` event with
`purpose="agent"`, and in a replay answered from the recording instead of the model.

What a turn records as its request is what the model was asked, without the timestamps
and run ids pydantic-ai stamps on messages: the new request messages since the last turn,
the tools offered (in full on the first turn, by digest after), and the model's name. A
replay must ask exactly that again, or it diverges.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelRequest, ModelResponse
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition
from pydantic_core import to_jsonable_python

from seamline.events import ModelCalled
from seamline.runtime.calls import charge_model_call, check_usage

if TYPE_CHECKING:
    from seamline.models.agent import AgentModel
    from seamline.runtime.executor import Execution
    from seamline.steps import StepContext
    from seamline.tools.toolset import AgentCall

_PART_FIELDS = ("content", "tool_name", "tool_call_id", "outcome")


class RecordedTurns(WrapperModel):
    """The model of one `ctx.agent` call: budgeted, recorded, or answered from a recording."""

    def __init__(
        self,
        agent_model: AgentModel,
        execution: Execution,
        ctx: StepContext[Any],
        names: dict[str, tuple[str, str | None]],
        call: AgentCall,
    ):
        super().__init__(agent_model.model)
        self._call = call
        self._agent_model = agent_model
        self._names = names  # model-facing tool name -> (seamline name, server)
        self._execution = execution
        self._ctx = ctx
        self._seen = 0  # messages of the history already recorded
        self._tools_digest: str | None = None
        self.turns = 0

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        execution, ctx = self._execution, self._ctx
        charge_model_call(execution, ctx.step)
        self.turns += 1
        if self._call.tools_only(self.turns):  # no final answer until a tool answered
            model_request_parameters = replace(
                model_request_parameters, output_tools=[], allow_text_output=False
            )
        record = self._request_record(messages, model_request_parameters)
        recording = execution.recording
        started = time.perf_counter()
        error = None
        execution.calls_out += 1
        try:
            response, input_tokens, output_tokens, cost = await self._answer(
                record, messages, model_settings, model_request_parameters, started
            )
        finally:
            execution.calls_out -= 1
        dumped = ModelMessagesTypeAdapter.dump_python([response], mode="json")[0]
        self._record(
            record,
            dumped,
            input_tokens,
            output_tokens,
            cost,
            0.0 if recording is not None else time.perf_counter() - started,
            error,
        )
        self._seen = len(messages) + 1  # the response joins the history next turn
        check_usage(execution, ctx.step)
        return response

    async def _answer(
        self,
        record: dict[str, Any],
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        started: float,
    ) -> tuple[ModelResponse, int, int, float]:
        """The turn's response and usage: from the recording in a replay, else the model's."""
        ctx = self._ctx
        recording = self._execution.recording
        if recording is not None:
            recorded = recording.turn(ctx.step, ctx.index, ctx.attempt, record)
            response = ModelMessagesTypeAdapter.validate_python([recorded.response])[0]
            assert isinstance(response, ModelResponse)
            input_tokens, output_tokens = recorded.input_tokens, recorded.output_tokens
            cost = recorded.cost_usd
        else:
            limiter = self._agent_model.limiter
            try:
                if limiter is None:
                    response = await self.wrapped.request(
                        messages, model_settings, model_request_parameters
                    )
                else:
                    async with limiter:
                        response = await self.wrapped.request(
                            messages, model_settings, model_request_parameters
                        )
            except asyncio.CancelledError:
                raise
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
                self._record(record, None, 0, 0, 0.0, time.perf_counter() - started, error)
                raise
            input_tokens = response.usage.input_tokens
            output_tokens = response.usage.output_tokens
            cost = self._agent_model.price(input_tokens, output_tokens)
        return response, input_tokens, output_tokens, cost

    def _record(
        self,
        request: dict[str, Any],
        response: dict[str, Any] | None,
        input_tokens: int,
        output_tokens: int,
        cost: float,
        seconds: float,
        error: str | None,
    ) -> None:
        execution, ctx = self._execution, self._ctx
        execution.record(
            ModelCalled(
                seq=execution.next_seq(),
                step=ctx.step,
                attempt=ctx.attempt,
                index=ctx.index,
                model=self._agent_model.name,
                request=request,
                response=response,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_usd=cost,
                seconds=seconds,
                error=error,
                purpose="agent",
            )
        )

    def _request_record(
        self, messages: Sequence[ModelMessage], params: ModelRequestParameters
    ) -> dict[str, Any]:
        new = [m for m in messages[self._seen :] if isinstance(m, ModelRequest)]
        tools = tool_records(params.function_tools, params.output_tools, self._names)
        digest = hashlib.sha256(json.dumps(tools, sort_keys=True).encode()).hexdigest()[:16]
        record: dict[str, Any] = {
            "model": self._agent_model.name,
            "turn": self.turns,
            "messages": [canonical_request(m) for m in new],
            "tools": digest,
        }
        if digest != self._tools_digest:  # in full on the first turn, and when they change
            record["tool_definitions"] = tools
            self._tools_digest = digest
        return record


def tool_records(
    function_tools: Sequence[ToolDefinition],
    output_tools: Sequence[ToolDefinition],
    names: dict[str, tuple[str, str | None]],
) -> list[dict[str, Any]]:
    """The tools offered on a turn, as recorded (and compared on replay). `tool` and
    `server` are seamline's names for it, so a replay can rebuild an MCP tool from the
    record alone."""
    records = []
    for kind, tools in (("function", function_tools), ("output", output_tools)):
        for t in tools:
            name, server = names.get(t.name, (t.name, None))
            records.append(
                {
                    "name": t.name,
                    "kind": kind,
                    "tool": name,
                    "server": server,
                    "description": t.description,
                    "parameters": t.parameters_json_schema,
                }
            )
    return records


def canonical_request(message: ModelRequest) -> dict[str, Any]:
    """A request message as what the model reads: parts and instructions, no timestamps."""
    parts = []
    for part in message.parts:
        item: dict[str, Any] = {"kind": part.part_kind}
        for name in _PART_FIELDS:
            if hasattr(part, name):
                item[name] = to_jsonable_python(getattr(part, name), fallback=str)
        parts.append(item)
    return {"parts": parts, "instructions": message.instructions}
