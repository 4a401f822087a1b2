"""Tool calling for models without it: each turn's tools become one constrained JSON answer.

SmolLM2's chat template has no tool calls, and llama.cpp ignores `tools` for it. What it
does do is JSON-schema constrained decoding. So a turn that offers tools is sent as a
plain chat request whose output must be one of

    {"tool": "<name>", "arguments": {...that tool's parameters...}}

for every tool offered (the final-answer tool included), and the answer is handed back to
pydantic-ai's agent loop as the tool call it encodes. Earlier tool calls and results in
the history are rewritten as the text the model produced and a user message holding the
result, which is all a chat template without tool roles can render.

The agent loop, tool execution, retries and output validation stay pydantic-ai's; only the
wire format of one turn changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequestPart,
    ModelResponse,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.output import OutputObjectDefinition
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition
from pydantic_core import to_json

__all__ = ["JsonToolCalling", "tool_choice_schema"]

_RESULT_LIMIT = 4000  # characters of a tool result shown to the model
# After a result: small models otherwise call the same tool again and again.
_NEXT = "If you now have what you need, answer with the final tool; else call another tool."


class JsonToolCalling(WrapperModel):
    """Wraps a pydantic-ai model whose provider decodes JSON schemas but has no tool calls."""

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        params = model_request_parameters
        tools = [*params.function_tools, *params.output_tools]
        if not tools:
            return await self.wrapped.request(messages, model_settings, params)
        plain = ModelRequestParameters(
            output_mode="native",
            output_object=OutputObjectDefinition(
                json_schema=tool_choice_schema(tools), name="tool_call", strict=True
            ),
            allow_text_output=True,
        )
        response = await self.wrapped.request(_as_text(messages, tools), model_settings, plain)
        return _as_tool_call(response, len(messages))


def tool_choice_schema(tools: Sequence[ToolDefinition]) -> dict[str, Any]:
    """One JSON schema for "call exactly one of these tools, with valid arguments"."""
    choices = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": t.name},
                "arguments": _required_only(t.parameters_json_schema or {"type": "object"}),
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    return choices[0] if len(choices) == 1 else {"anyOf": choices}


def _required_only(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's parameters without its optional ones: constrained decoding makes a small
    model fill every property it is offered, and optional ones keep their defaults."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    required = [name for name in schema.get("required", []) if name in properties]
    return {
        **schema,
        "properties": {name: properties[name] for name in required},
        "required": required,
        "additionalProperties": False,
    }


def _describe(tools: Sequence[ToolDefinition]) -> str:
    lines = [
        "You can call tools. Reply with exactly one JSON object: "
        '{"tool": "<tool name>", "arguments": {...}}. Tools:'
    ]
    for t in tools:
        params = ", ".join(_required_only(t.parameters_json_schema or {}).get("properties", {}))
        lines.append(f"- {t.name}({params}): {(t.description or '').strip()[:300]}")
    return "\n".join(lines)


def _as_text(messages: list[ModelMessage], tools: Sequence[ToolDefinition]) -> list[ModelMessage]:
    """The history with tool calls and results as plain turns, and the tools described."""
    out: list[ModelMessage] = []
    for i, message in enumerate(messages):
        if isinstance(message, ModelResponse):
            calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
            if calls:
                text = "\n".join(
                    to_json({"tool": c.tool_name, "arguments": c.args_as_dict()}).decode()
                    for c in calls
                )
                out.append(replace(message, parts=[TextPart(text)]))
            else:
                out.append(message)
            continue
        parts: list[ModelRequestPart] = []
        if i == 0:
            parts.append(SystemPromptPart(_describe(tools)))
        for part in message.parts:
            if isinstance(part, ToolReturnPart):
                content = part.model_response_str()
                if len(content) > _RESULT_LIMIT:
                    content = content[:_RESULT_LIMIT] + " …(cut)"
                if part.outcome == "success":
                    parts.append(UserPromptPart(f"Result of {part.tool_name}: {content}\n{_NEXT}"))
                else:
                    parts.append(UserPromptPart(f"Error from {part.tool_name}: {content}"))
            elif isinstance(part, RetryPromptPart):
                parts.append(UserPromptPart(part.model_response()))
            else:
                parts.append(part)
        out.append(replace(message, parts=parts))
    return out


def _as_tool_call(response: ModelResponse, turn: int) -> ModelResponse:
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    try:
        choice = json.loads(text)
        name, arguments = choice["tool"], choice["arguments"]
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return response  # not a tool call (cut off?): pydantic-ai asks again or gives up
    call = ToolCallPart(name, arguments, tool_call_id=f"json-call-{turn}")
    return replace(response, parts=[call])
