"""The OpenAI chat-completions wire format, for the in-process local model.

The local model hands request bodies straight to llama.cpp's OpenAI-compatible handler. Until
seamline 0.1 it went through pydantic-ai's `OpenAIChatModel` and an in-process httpx transport;
that path imported pydantic-ai and the openai SDK (0.4-0.8 s on 2 cores, more than the whole
first answer may take) for a call that never touches HTTP. This module writes the same request
body and reads the reply into the same record, with nothing but the standard library:

- `chat_body()`: messages (system, the examples as user/assistant turns, the prompt), the
  output's JSON schema as `response_format`, rewritten the way pydantic-ai's OpenAI transformer
  rewrites it (no titles, `additionalProperties: false` on objects, `$ref` siblings moved into
  `anyOf`, ...), so llama.cpp constrains decoding to exactly the grammar it did before.
- `read_reply()`: the reply's text, finish reason and usage, and the response as pydantic-ai's
  `ModelResponse` serializes it (the run log stores that dict; its meaning does not change).

`tests/models/test_chat_wire.py` holds pydantic-ai's own path as the reference and checks both
directions against it, schema by schema.

llama.cpp reads `response_format.json_schema.schema` and nothing else of the wrapper, so the
wrapper's `strict` flag (OpenAI's, computed by pydantic-ai from a long list of OpenAI
restrictions) is not sent.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from seamline.models.base import ModelRequest, without_output

__all__ = ["PROVIDER_URL", "Reply", "WireError", "chat_body", "llama_schema", "read_reply"]

PROVIDER_URL = "http://seamline.local/v1/"
"""Where the run log says local responses came from (what pydantic-ai recorded)."""

_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_call",
    "content_filter": "content_filter",
    "function_call": "tool_call",
}
_TOP_LEVEL_DEF = re.compile(r"#/(\$defs|definitions)/[^/]+")
_USAGE_TOTALS = {
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "total_tokens",
}


class WireError(Exception):
    """llama.cpp answered with something that is not a chat completion."""


def chat_body(
    request: ModelRequest,
    *,
    type_name: str,
    model_name: str,
    max_tokens: int | None,
    temperature: float,
    seed: int,
) -> dict[str, Any]:
    """The `/chat/completions` body for `request`, as pydantic-ai's OpenAI chat model sends it.

    Args:
        request: What the step asked for.
        type_name: The output type's name, for a schema without a title (a recursive one).
        model_name: The `model` field (the GGUF's stem; llama.cpp ignores it).
        max_tokens: `max_completion_tokens`, or None to leave it out.
        temperature: Sampling temperature.
        seed: Sampling seed.
    """
    schema = dict(request.output_schema)
    title = str(schema.get("title") or type_name)
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64]
    description = schema.pop("description", None)
    wrapper: dict[str, Any] = {"name": name, "schema": llama_schema(schema)}
    if description:
        wrapper["description"] = description
    body: dict[str, Any] = {"model": model_name, "stream": False, "messages": _messages(request)}
    if max_tokens is not None:
        body["max_completion_tokens"] = max_tokens
    body["response_format"] = {"type": "json_schema", "json_schema": wrapper}
    body["seed"] = seed
    body["temperature"] = temperature
    return body


def _messages(request: ModelRequest) -> list[dict[str, str]]:
    """System prompt, then each example as a user turn and an assistant reply, then the prompt."""
    messages = [{"role": "system", "content": request.system}] if request.system else []
    for user, assistant in request.examples:
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": assistant})
    messages.append({"role": "user", "content": request.prompt})
    return messages


# -- the schema --------------------------------------------------------------------------------


def llama_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` rewritten as pydantic-ai's OpenAI transformer rewrites it (non-strict mode).

    Titles, `$schema` and `discriminator` go; every object gets `properties` and, unless it
    allows other keys, `additionalProperties: false`; a `$ref` with siblings moves into an
    `anyOf`; a one-member union merges into its parent; a one-item tuple becomes `items`; a
    root `$ref` is replaced by the definition it names.
    """
    return _SchemaWalk(schema).walk()


class _SchemaWalk:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.defs: dict[str, Any] = copy.deepcopy(schema.get("$defs", {}))
        self.root_ref: str | None = schema.get("$ref")
        if self.root_ref is not None and isinstance(self.defs.get(_def_key(self.root_ref)), bool):
            self.schema = {k: v for k, v in schema.items() if k != "$ref"}
            self.root_ref = None

    def walk(self) -> dict[str, Any]:
        schema = copy.deepcopy(self.schema)
        schema.pop("$defs", None)
        result: dict[str, Any] = self.handle(schema)
        if self.defs:
            result["$defs"] = {key: self.handle(value) for key, value in self.defs.items()}
        if definitions := result.get("definitions"):
            result["definitions"] = {key: self.handle(value) for key, value in definitions.items()}
        if self.root_ref is not None:
            result.pop("$ref", None)
            result.update(self.defs.get(_def_key(self.root_ref)) or {})
        return result

    def handle(self, schema: Any) -> Any:
        if isinstance(schema, bool):
            return schema
        kind = schema.get("type")
        if kind == "object":
            self._object(schema)
        elif kind == "array":
            self._array(schema)
        elif kind is None:
            for union in ("allOf", "anyOf", "oneOf"):
                schema = self._union(schema, union)
        if kind is not None:
            for union in ("allOf", "anyOf", "oneOf"):
                if members := schema.get(union):
                    schema[union] = [self.handle(member) for member in members]
        return self._transform(schema)

    def _object(self, schema: dict[str, Any]) -> None:
        if properties := schema.get("properties"):
            schema["properties"] = {key: self.handle(value) for key, value in properties.items()}
        extra = schema.get("additionalProperties")
        if extra is not None and not isinstance(extra, bool):
            schema["additionalProperties"] = self.handle(extra)
        if (patterns := schema.get("patternProperties")) is not None:
            schema["patternProperties"] = {
                key: self.handle(value) for key, value in patterns.items()
            }

    def _array(self, schema: dict[str, Any]) -> None:
        prefix = schema.get("prefixItems")
        most = schema.get("maxItems")
        if isinstance(prefix, list) and len(prefix) == 1 and type(most) is int and most == 1:
            schema["items"] = prefix[0]  # tuple[X]: a list of exactly one X
            del schema["prefixItems"]
        if prefix := schema.get("prefixItems"):
            schema["prefixItems"] = [self.handle(item) for item in prefix]
        items = schema.get("items")
        if isinstance(items, list):
            schema["items"] = [self.handle(item) for item in items]
        elif items:
            schema["items"] = self.handle(items)

    def _union(self, schema: dict[str, Any], union: str) -> dict[str, Any]:
        if union not in schema:
            return schema
        members = [self.handle(member) for member in schema.pop(union)]
        if len(members) == 1 and isinstance(members[0], dict) and members[0].get("not") != {}:
            merged: dict[str, Any] = members[0] | schema
            return merged
        return {**schema, union: members}

    def _transform(self, schema: dict[str, Any]) -> dict[str, Any]:
        for key in ("title", "$schema", "discriminator"):
            schema.pop(key, None)
        if ref := schema.get("$ref"):
            if ref == self.root_ref:
                schema["$ref"] = "#"
            if len(schema) > 1:
                schema["anyOf"] = [{"$ref": schema.pop("$ref")}]
        if schema.get("type") == "object":
            schema.setdefault("properties", {})
            if schema.get("additionalProperties") in (None, False):
                schema["additionalProperties"] = False
        return schema


def _def_key(ref: str) -> str:
    return re.sub(r"^#/\$defs/", "", ref).replace("~1", "/").replace("~0", "~")


# -- the reply ---------------------------------------------------------------------------------


class Reply:
    """A chat completion, read.

    Attributes:
        raw_output: The text of the answer (None when it had none).
        truncated: The answer stopped at the token limit.
        input_tokens: Prompt tokens.
        output_tokens: Completion tokens.
        record: The response as pydantic-ai's `ModelResponse` serializes it, for the run log.
    """

    __slots__ = ("input_tokens", "output_tokens", "raw_output", "record", "truncated")

    def __init__(
        self,
        raw_output: str | None,
        truncated: bool,
        input_tokens: int,
        output_tokens: int,
        record: dict[str, Any],
    ) -> None:
        self.raw_output = raw_output
        self.truncated = truncated
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.record = record


def read_reply(result: dict[str, Any], *, now: datetime | None = None) -> Reply:
    """Read llama.cpp's answer to a chat completion request.

    Raises:
        WireError: the answer has no choice or no message.
    """
    choices = result.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise WireError("the answer holds no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise WireError("the answer's choice holds no message")
    reason = choice.get("finish_reason")
    finish = _FINISH_REASONS.get(reason) if reason else "stop"  # none given: it stopped
    parts: list[dict[str, Any]] = []
    if thinking := message.get("reasoning_content"):
        parts.append(
            {
                "content": thinking,
                "id": "reasoning_content",
                "signature": None,
                "provider_name": "openai",
                "provider_details": None,
                "part_kind": "thinking",
            }
        )
    content = message.get("content")
    if content:
        parts.append(
            {
                "content": content,
                "id": None,
                "provider_name": None,
                "provider_details": None,
                "citations": None,
                "part_kind": "text",
            }
        )
    usage = _usage(result.get("usage") or {})
    details: dict[str, Any] = {}
    if reason:
        details["finish_reason"] = reason
    if created := result.get("created"):
        details["timestamp"] = _iso(datetime.fromtimestamp(created, tz=UTC))
    record = {
        "parts": parts,
        "usage": usage,
        "model_name": result.get("model"),
        "model_id": None,
        "timestamp": _iso(now or datetime.now(UTC)),
        "kind": "response",
        "provider_name": "openai",
        "provider_url": PROVIDER_URL,
        "canonical_system": "openai",
        "provider_details": details or None,
        "provider_response_id": result.get("id") or None,
        "finish_reason": finish,
        "run_id": None,
        "conversation_id": None,
        "metadata": None,
        "workspace_ref": None,
        "history_digest": None,
        "failed_attempts": None,
        "state": "complete",
    }
    return Reply(
        raw_output=content if content else None,
        truncated=finish == "length",
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        record=without_output(record, content if content else None),
    )


def _usage(raw: dict[str, Any]) -> dict[str, Any]:
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    details = {
        k: v
        for k, v in raw.items()
        if k not in _USAGE_TOTALS and isinstance(v, int) and not isinstance(v, bool)
    }
    details.update({k: v for k, v in completion_details.items() if v is not None})
    return {
        "input_tokens": int(raw.get("prompt_tokens") or 0),
        "cache_write_tokens": 0,
        "cache_write_1h_tokens": 0,
        "cache_read_tokens": int(prompt_details.get("cached_tokens") or 0),
        "output_tokens": int(raw.get("completion_tokens") or 0),
        "output_reasoning_tokens": int(completion_details.get("reasoning_tokens") or 0),
        "input_audio_tokens": int(prompt_details.get("audio_tokens") or 0),
        "cache_audio_read_tokens": 0,
        "output_audio_tokens": int(completion_details.get("audio_tokens") or 0),
        "audio_seconds": 0.0,
        "details": details,
        "cost": None,
    }


def _iso(moment: datetime) -> str:
    """As pydantic writes a UTC datetime in JSON mode."""
    return moment.isoformat().replace("+00:00", "Z")
