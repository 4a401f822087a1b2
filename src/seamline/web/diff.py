"""What changed between two attempts' artifacts, field by field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # "amount", "items[2].name"; "" for the whole artifact
    before: Any  # _MISSING-free: None when the field was added
    after: Any
    kind: str  # "changed", "added", "removed"


def changes(before: Any, after: Any) -> list[Change]:
    """Leaf-level differences between two JSON-like values (models are made JSON first)."""
    return list(_walk(to_jsonable_python(before), to_jsonable_python(after), ""))


def _walk(a: Any, b: Any, path: str) -> Iterator[Change]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b:
                yield Change(sub, a[key], None, "removed")
            elif key not in a:
                yield Change(sub, None, b[key], "added")
            else:
                yield from _walk(a[key], b[key], sub)
        return
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            if i >= len(b):
                yield Change(sub, a[i], None, "removed")
            elif i >= len(a):
                yield Change(sub, None, b[i], "added")
            else:
                yield from _walk(a[i], b[i], sub)
        return
    if a != b or (type(a) is not type(b) and not _same_number(a, b)):
        yield Change(path, a, b, "changed")


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )
