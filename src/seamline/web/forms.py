"""An edit form generated from an artifact's JSON schema, and the form's values read back.

`fields(schema, value)` lists one `Field` per leaf of the schema (nested objects become
dotted names: `address.city`), each with the input it needs: text, number, integer,
checkbox, a select for an enum, date and date-time, a textarea of lines for a list of
scalars, and JSON for anything else (a list of objects, a union). `read(fields, form)`
turns what was posted back into JSON, and `validate(annotation, data, fields)` checks
it against the artifact's type, with each error placed on its field, so a person sees
what to fix before anything is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError

_SCALARS = {"string", "number", "integer", "boolean"}


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # dotted path in the artifact: "claim.amount"
    label: str
    kind: str  # text, number, integer, checkbox, select, date, datetime, lines, json
    required: bool
    value: Any = None  # what the input shows (as the artifact has it)
    options: tuple[str, ...] = ()  # for select
    description: str = ""
    item_kind: str = "text"  # for lines: the kind of each line
    nullable: bool = False
    errors: tuple[str, ...] = field(default=())

    @property
    def shown(self) -> str:
        """The input's value as text."""
        value = self.value
        if value is None:
            return ""
        if self.kind == "lines":
            return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if self.kind == "json":
            return json.dumps(value, indent=2, ensure_ascii=False)
        if self.kind == "datetime" and isinstance(value, str):
            return value[:19]  # what <input type=datetime-local> accepts
        return str(value)


def fields(schema: Mapping[str, Any], value: Any) -> list[Field]:
    """The form's fields for an artifact of `schema`, filled with `value`."""
    defs = schema.get("$defs", {})
    root = _resolve(schema, defs)
    if root.get("type") != "object" or "properties" not in root:
        return [Field("", root.get("title", "value"), "json", True, value)]
    out: list[Field] = []
    _object_fields(root, defs, value if isinstance(value, Mapping) else {}, "", out)
    return out


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = {
            **defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {}),
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    return node


def _object_fields(
    node: Mapping[str, Any],
    defs: Mapping[str, Any],
    value: Mapping[str, Any],
    prefix: str,
    out: list[Field],
) -> None:
    required = set(node.get("required", ()))
    for key, raw in node.get("properties", {}).items():
        sub = _resolve(raw, defs)
        nullable = False
        options = sub.get("anyOf") or sub.get("oneOf")
        if options:
            kept = [_resolve(o, defs) for o in options if o.get("type") != "null"]
            nullable = len(kept) < len(options)
            if len(kept) == 1:
                sub = {**kept[0], **{k: v for k, v in sub.items() if k not in ("anyOf", "oneOf")}}
        name = f"{prefix}{key}"
        current = value.get(key) if isinstance(value, Mapping) else None
        label = str(sub.get("title") or key.replace("_", " "))
        described = str(sub.get("description", ""))
        if sub.get("type") == "object" and "properties" in sub and not nullable:
            _object_fields(
                sub, defs, current if isinstance(current, Mapping) else {}, name + ".", out
            )
            continue
        kind, item_kind, choices = _kind(sub, defs)
        out.append(
            Field(
                name,
                label,
                kind,
                key in required and not nullable,
                current,
                choices,
                described,
                item_kind,
                nullable,
            )
        )


def _kind(node: Mapping[str, Any], defs: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
        return "select", "text", tuple(node["enum"])
    if "const" in node and isinstance(node["const"], str):
        return "select", "text", (node["const"],)
    kind = node.get("type")
    if kind == "string":
        fmt = node.get("format")
        return {"date": "date", "date-time": "datetime"}.get(fmt or "", "text"), "text", ()
    if kind in ("number", "integer"):
        return str(kind), "text", ()
    if kind == "boolean":
        return "checkbox", "text", ()
    if kind == "array":
        items = _resolve(node.get("items", {}), defs)
        if items.get("type") in _SCALARS - {"boolean"}:
            return "lines", str(items["type"]), ()
    return "json", "text", ()


def read(form_fields: Sequence[Field], form: Mapping[str, str]) -> tuple[Any, list[Field]]:
    """The artifact the form describes, and the fields with conversion errors marked.

    `form` maps a field's name (prefixed `field.`) to what was posted.
    """
    data: dict[str, Any] = {}
    checked: list[Field] = []
    whole: Any = None
    for f in form_fields:
        raw = form.get(f"field.{f.name}")
        try:
            value = _convert(f, raw)
        except ValueError as e:
            checked.append(replace(f, value=raw, errors=(str(e),)))
            continue
        checked.append(replace(f, value=value, errors=()))
        if not f.name:
            whole = value
            continue
        if value is None and not f.nullable and not f.required:
            continue  # left empty: the type's default applies
        _put(data, f.name.split("."), value)
    return (whole if form_fields and not form_fields[0].name else data), checked


def _convert(f: Field, raw: str | None) -> Any:
    if f.kind == "checkbox":
        return raw is not None and raw not in ("", "off", "false")
    text = (raw or "").strip()
    if not text and f.kind != "text":
        if f.required:
            raise ValueError("required")
        return None
    if f.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if f.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if f.kind == "lines":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        item = replace(f, kind=f.item_kind, required=True)
        return [_convert(item, line) for line in lines]
    if f.kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid JSON: {e.msg} (line {e.lineno})") from None
    if f.kind == "text" and not text and f.nullable:
        return None
    return raw if f.kind == "text" else text


def _put(data: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def validate(annotation: Any, data: Any, form_fields: Sequence[Field]) -> tuple[Any, list[Field]]:
    """`data` validated against `annotation`; on failure, None and the fields with the
    type's errors placed on them (errors on no field go on the first)."""
    try:
        return TypeAdapter(annotation).validate_python(data), list(form_fields)
    except ValidationError as e:
        by_name: dict[str, list[str]] = {}
        names = {f.name for f in form_fields}
        for error in e.errors():
            path = ".".join(str(p) for p in error["loc"])
            while path and path not in names:
                path = path.rpartition(".")[0]
            by_name.setdefault(path if path in names else "", []).append(error["msg"])
        marked = [replace(f, errors=f.errors + tuple(by_name.pop(f.name, ()))) for f in form_fields]
        if by_name and marked:  # an error on no field (a model validator): on the first
            rest = tuple(m for msgs in by_name.values() for m in msgs)
            marked[0] = replace(marked[0], errors=marked[0].errors + rest)
        return None, marked
