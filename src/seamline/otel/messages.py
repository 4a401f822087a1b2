"""Model-call content as the GenAI conventions shape it: recorded only when content is on.

A `ModelCalled` event holds exactly what a model was asked and what it answered; these
functions turn that record into `gen_ai.system_instructions`, `gen_ai.input.messages` and
`gen_ai.output.messages` (the conventions' message JSON schemas: a role, a list of typed
parts, a finish reason), and an agent turn's tool definitions into `gen_ai.tool.definitions`.

Two kinds of request are recorded: a `ctx.generate` / judge call (seamline's
`ModelRequest`: system, few-shot examples, prompt) and an agent turn (the turn's new
pydantic-ai request messages, see `seamline.tools.turns`). Responses are pydantic-ai
`ModelResponse` dumps (or, for a scripted model, just the raw output).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

Message = dict[str, Any]


def _text(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content if isinstance(content, str) else _json(content)}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def instructions(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`gen_ai.system_instructions`: the system prompt, or an agent turn's instructions."""
    if "messages" in request:  # an agent turn
        found = [m.get("instructions") for m in request["messages"] if m.get("instructions")]
        return [_text(found[-1])] if found else []
    system = request.get("system")
    return [_text(system)] if system else []


def input_messages(request: Mapping[str, Any]) -> list[Message]:
    """`gen_ai.input.messages`, in the order the model was sent them."""
    if "messages" in request:
        return [m for message in request["messages"] for m in _agent_request(message)]
    messages: list[Message] = []
    for user, assistant in request.get("examples") or ():
        messages.append({"role": "user", "parts": [_text(user)]})
        messages.append({"role": "assistant", "parts": [_text(assistant)]})
    messages.append({"role": "user", "parts": [_text(request.get("prompt", ""))]})
    return messages


def _agent_request(message: Mapping[str, Any]) -> list[Message]:
    """One recorded pydantic-ai request message, as chat messages (one per role run)."""
    out: list[Message] = []
    for part in message.get("parts", ()):
        kind = part.get("kind")
        if kind == "system-prompt":
            continue  # recorded as instructions
        if kind == "tool-return":
            role = "tool"
            item = {
                "type": "tool_call_response",
                "id": part.get("tool_call_id"),
                "response": part.get("content"),
            }
        else:  # "user-prompt", "retry-prompt": text the model reads as the user's
            role, item = "user", _text(part.get("content"))
        if out and out[-1]["role"] == role:
            out[-1]["parts"].append(item)
        else:
            out.append({"role": role, "parts": [item]})
    return out


def output_messages(response: Mapping[str, Any] | None) -> list[Message]:
    """`gen_ai.output.messages`: the one choice the model returned."""
    if not response:
        return []
    parts: list[dict[str, Any]] = []
    for part in response.get("parts") or ():
        kind = part.get("part_kind")
        if kind == "text":
            parts.append(_text(part.get("content")))
        elif kind == "tool-call":
            args = part.get("args")
            if isinstance(args, str):
                with contextlib.suppress(ValueError):  # the model's own text, kept as is
                    args = json.loads(args)
            parts.append(
                {
                    "type": "tool_call",
                    "id": part.get("tool_call_id"),
                    "name": part.get("tool_name"),
                    "arguments": args,
                }
            )
        elif kind == "thinking":
            parts.append({"type": "reasoning", "content": part.get("content")})
    if not parts and response.get("raw_output") is not None:
        parts.append(_text(response["raw_output"]))
    if not parts:
        return []
    message: Message = {"role": "assistant", "parts": parts}
    message["finish_reason"] = response.get("finish_reason") or "stop"
    return [message]


def tool_definitions(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`gen_ai.tool.definitions` of an agent turn that recorded them (its first turn, and
    any turn whose tools changed)."""
    return [
        {
            "type": "function",
            "name": t.get("name"),
            "description": t.get("description"),
            "parameters": t.get("parameters"),
        }
        for t in request.get("tool_definitions") or ()
    ]


def encode(value: Any) -> str:
    """A structured attribute as the JSON string spans carry it."""
    return _json(value)
