"""How many tokens an answer can need, worked out from its JSON schema.

A small model that loops inside a string runs until the token limit cuts it off, and
a cut-off answer is invalid JSON. Give every free field a bound (`max_length`,
`max_items`, an enum, `ge`/`le` on integers) and the longest valid answer has a
length; `max_tokens_for` returns it, so the limit never cuts a valid answer short and
an answer can never run on past what the schema allows.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from seamline.exceptions import ConfigError

__all__ = ["max_tokens_for"]

# A token is at least one byte of output; a character of a JSON string is at most
# six bytes ("\u00e9"). So characters * 6 bounds the tokens of any string.
_TOKENS_PER_CHAR = 6
_SLACK = 8  # the end-of-turn token and a little room for tokenizer quirks


def max_tokens_for(output_type: type[BaseModel] | dict[str, Any]) -> int:
    """The most tokens a compact JSON answer of `output_type` can take.

    Raises:
        ConfigError: a field has no bound (a string without `max_length`, a list
            without `max_items`, a float); the message names the field to bound.
    """
    schema = output_type.model_json_schema() if isinstance(output_type, type) else output_type
    return _chars(schema, schema.get("$defs", {}), "") + _SLACK


def _chars(node: dict[str, Any], defs: dict[str, Any], where: str) -> int:
    if "$ref" in node:
        return _chars(defs[node["$ref"].rsplit("/", 1)[-1]], defs, where)
    if "const" in node:
        return len(json.dumps(node["const"]))
    if "enum" in node:
        return max(_string_tokens(json.dumps(v)) for v in node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return max(_chars(option, defs, where) for option in node[key])
    kind = node.get("type")
    if kind == "object":
        properties: dict[str, Any] = node.get("properties", {})
        fields = [
            len(json.dumps(name)) + 1 + _chars(sub, defs, f"{where}.{name}".lstrip("."))
            for name, sub in properties.items()
        ]
        return 2 + sum(fields) + max(len(fields) - 1, 0)
    if kind == "array":
        if "maxItems" not in node:
            raise _unbounded(where, "a list without max_length")
        items = node.get("items", {})
        count = int(node["maxItems"])
        return 2 + count * _chars(items, defs, f"{where}[]") + max(count - 1, 0)
    if kind == "string":
        if "maxLength" not in node:
            raise _unbounded(where, "a string without max_length")
        return 2 + int(node["maxLength"]) * _TOKENS_PER_CHAR
    if kind == "integer":
        if "minimum" not in node or "maximum" not in node:
            raise _unbounded(where, "an integer without ge= and le=")
        return max(len(str(int(node["minimum"]))), len(str(int(node["maximum"]))))
    if kind == "boolean":
        return 5
    if kind == "null":
        return 4
    raise _unbounded(where, f"a {kind or 'free'} value")


def _string_tokens(encoded: str) -> int:
    return len(encoded) if encoded.isascii() else len(encoded.encode()) * 2


def _unbounded(where: str, what: str) -> ConfigError:
    field = where or "the answer"
    return ConfigError(
        f"{field} is {what}, so no token limit can hold every valid answer: bound it "
        "(Field(max_length=...), Literal[...] choices, Field(ge=..., le=...)) or pass "
        "max_tokens yourself"
    )
