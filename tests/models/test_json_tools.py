"""Tool calling through one constrained JSON answer (the local model's): what the wrapped
model is asked, and how its answer becomes the tool call pydantic-ai's loop runs."""

from __future__ import annotations

import json

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.output import ToolOutput

from seamline.models.json_tools import JsonToolCalling, tool_choice_schema


class Total(BaseModel):
    total: float


def lookup(account: str, verbose: bool = False) -> float:
    """The balance of an account."""
    return 42.0 if account == "ACME" else 0.0


async def test_each_turn_is_one_json_answer_constrained_to_the_offered_tools() -> None:
    seen: list[tuple[list[ModelMessage], AgentInfo]] = []

    def wire(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append((messages, info))
        if len(seen) == 1:
            return ModelResponse(
                parts=[TextPart('{"tool": "lookup", "arguments": {"account": "ACME"}}')]
            )
        return ModelResponse(
            parts=[TextPart('{"tool": "final_result", "arguments": {"total": 42.0}}')]
        )

    agent = Agent(
        JsonToolCalling(FunctionModel(wire)), output_type=ToolOutput(Total), tools=[lookup]
    )
    result = await agent.run("What is ACME's balance?")
    assert result.output == Total(total=42.0)

    (first, info), (second, _) = seen
    assert info.function_tools == [] and info.output_tools == [], "no tools on the wire"
    schema = info.model_request_parameters.output_object.json_schema
    names = [choice["properties"]["tool"]["const"] for choice in schema["anyOf"]]
    assert names == ["lookup", "final_result"]
    lookup_arguments = schema["anyOf"][0]["properties"]["arguments"]
    assert list(lookup_arguments["properties"]) == ["account"], (
        "optional parameters are not offered"
    )
    system = first[0].parts[0].content
    assert "lookup(account): The balance of an account." in system
    # The earlier call and its result, rewritten as turns a template without tool roles renders.
    texts = [getattr(p, "content", "") for m in second for p in m.parts]
    assert '{"tool":"lookup","arguments":{"account":"ACME"}}' in texts
    assert any(str(t).startswith("Result of lookup: 42.0") for t in texts)


def test_one_tool_is_its_own_schema() -> None:
    from pydantic_ai.tools import ToolDefinition

    schema = tool_choice_schema(
        [ToolDefinition(name="only", parameters_json_schema={"type": "object", "properties": {}})]
    )
    assert schema["properties"]["tool"] == {"const": "only"}


async def test_an_answer_that_is_not_a_tool_call_goes_back_as_text() -> None:
    answers = iter(
        ["not json at all", json.dumps({"tool": "final_result", "arguments": {"total": 1}})]
    )

    def wire(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(next(answers))])

    agent = Agent(JsonToolCalling(FunctionModel(wire)), output_type=ToolOutput(Total))
    result = await agent.run("?")
    assert result.output == Total(total=1.0)
