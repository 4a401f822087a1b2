"""A model that answers from a script: for unit tests, at the model boundary.

For `ctx.generate` each answer is an artifact. For `ctx.agent` an answer is a turn: a
`ToolCall` (or a list of them, made in parallel), or the final artifact; a function
script receives an `AgentTurn` describing what the model would see.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from seamline.models.base import ModelReply, ModelRequest, validate_output

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models.function import AgentInfo

    from seamline.models.agent import AgentModel

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A scripted agent turn that calls a tool: `ToolCall("fs.read_file", {"path": "a.md"})`."""

    tool: str  # seamline's name: a Python tool's name, or "server.tool"
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentTurn:
    """What a function script sees of an agent turn.

    Attributes:
        turn: 1 for the first turn of the `ctx.agent` call.
        prompt: the user prompt (gate feedback included).
        tools: the tools offered on this turn, by seamline name (`"fs.read_file"`).
        results: the last turn's tool results as (tool, content, ok), in order.
    """

    turn: int
    prompt: str
    tools: list[str]
    results: list[tuple[str, Any, bool]]


# One answer: an artifact, a dict or JSON text (validated like real model output, so a
# malformed answer becomes a failed attempt), or an exception to raise (a transport failure).
# In an agent step, also a ToolCall or a list of them.
Answer = BaseModel | Mapping[str, Any] | str | BaseException | ToolCall | list[ToolCall]
Script = Sequence[Answer] | Callable[[Any], Answer]


class ScriptedModel:
    """Answers from a list (in order), a function of the request, or one of those per
    output type (`{"JudgeScore": [...], Claim: fn}`).

    Attributes:
        requests: every request received, in order; assert on prompts and feedback with it.
    """

    offline = True  # never trips the real-model guard

    def __init__(
        self,
        script: Script | Mapping[type[BaseModel] | str, Script],
        *,
        name: str = "scripted",
        cost_per_call: float = 0.0,
    ) -> None:
        self.name = name
        self.cost_per_call = cost_per_call
        self.requests: list[ModelRequest] = []
        if isinstance(script, Mapping):
            self._scripts: dict[str, Script] = {
                k if isinstance(k, str) else k.__name__: v for k, v in script.items()
            }
        else:
            self._scripts = {"*": script}
        self._positions: dict[str, int] = {}

    def _answer(self, type_name: str, request: Any, prompt: str) -> Answer:
        key = type_name if type_name in self._scripts else "*"
        script = self._scripts.get(key)
        if script is None:
            raise AssertionError(
                f"{self.name}: no script for {type_name} (have {sorted(self._scripts)})"
            )
        if callable(script):
            return script(request)
        position = self._positions.get(key, 0)
        if position >= len(script):
            raise AssertionError(
                f"{self.name} ran out of answers for {type_name} after {position} calls; "
                f"last prompt: {prompt[:200]!r}"
            )
        self._positions[key] = position + 1
        return script[position]

    def agent_model(
        self, *, max_tokens: int | None = None, output_type: type[Any] | None = None
    ) -> AgentModel:
        """This script as the model of an agent step (`ctx.agent`)."""
        from functools import partial

        from pydantic_ai.models.function import FunctionModel

        from seamline.models.agent import AgentModel

        type_name = output_type.__name__ if output_type is not None else "*"
        turn = partial(self._turn, type_name)
        return AgentModel(self.name, FunctionModel(turn, model_name=self.name), {}, offline=True)

    def _turn(self, type_name: str, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        from pydantic_ai.messages import ModelRequest as PaiRequest
        from pydantic_ai.messages import ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart

        from seamline.tools.specs import model_name

        output = info.output_tools[0] if info.output_tools else None
        prompt = next(
            (
                str(p.content)
                for m in messages
                if isinstance(m, PaiRequest)
                for p in m.parts
                if isinstance(p, UserPromptPart)
            ),
            "",
        )
        last = messages[-1]
        results = [
            (p.tool_name, p.content, p.outcome == "success")
            for p in (last.parts if isinstance(last, PaiRequest) else [])
            if isinstance(p, ToolReturnPart) and (output is None or p.tool_name != output.name)
        ]
        turn = AgentTurn(
            turn=sum(isinstance(m, ModelResponse) for m in messages) + 1,
            prompt=prompt,
            tools=[t.name for t in info.function_tools],
            results=results,
        )
        answer = self._answer(type_name, turn, prompt)
        if isinstance(answer, BaseException):
            raise answer
        calls = answer if isinstance(answer, list) else [answer]
        if all(isinstance(c, ToolCall) for c in calls):
            parts = []
            for i, c in enumerate(calls):
                assert isinstance(c, ToolCall)
                server, dot, tool_name = c.tool.partition(".")
                name = model_name(server, tool_name) if dot else c.tool
                # Ids of its own, as a model gives them, but the same in every run of a
                # script (pydantic-ai's own are random): two runs' logs compare equal.
                parts.append(ToolCallPart(name, dict(c.arguments), f"call-{turn.turn}-{i}"))
            return ModelResponse(parts=parts)
        if isinstance(answer, BaseModel):
            args: Any = answer.model_dump(mode="json")
        elif isinstance(answer, str):
            args = answer
        else:
            args = dict(answer)  # type: ignore[arg-type]
        assert output is not None, "the agent offers no final-answer tool"
        return ModelResponse(parts=[ToolCallPart(output.name, args, f"call-{turn.turn}-final")])

    async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
        started = time.perf_counter()
        self.requests.append(request)
        answer = self._answer(output_type.__name__, request, request.prompt)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, ToolCall | list):
            raise AssertionError(f"{self.name}: a ToolCall answers ctx.agent, not ctx.generate")
        if isinstance(answer, BaseModel):
            raw = answer.model_dump_json()
        elif isinstance(answer, str):
            raw = answer
        else:
            raw = json.dumps(answer)
        output, error = validate_output(output_type, raw)
        return ModelReply(
            output=output,
            error=error,
            response={"scripted": True},
            raw_output=raw,
            input_tokens=len(request.prompt) // 4 + 1,
            output_tokens=len(raw) // 4 + 1,
            cost_usd=self.cost_per_call,
            seconds=time.perf_counter() - started,
        )
