"""Comparing artifacts with expected ones: per-field comparators and the matcher built from them.

```python
match = field_matcher({"claim.amount": approx(abs_tol=0.01), "claimant": "text"})
match("claim", claim, {"claimant": "Ada Lovelace", "amount": 120})  # [] when right
```
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.exceptions import ConfigError

__all__ = [
    "Comparator",
    "Matcher",
    "approx",
    "diff_artifacts",
    "exact",
    "field_matcher",
    "ignore",
    "same_text",
]

Matcher = Callable[[str, Any, Any], Sequence[str]]
"""`(step, actual, expected) -> differences`: an empty result means the artifact is right."""

Comparator = Callable[[Any, Any], bool]
"""`(actual, expected) -> bool`: whether a field of an artifact is right."""


def exact() -> Comparator:
    """Equal as JSON (a model and its dict form are equal)."""
    return lambda actual, expected: bool(to_jsonable_python(actual) == to_jsonable_python(expected))


def approx(*, abs_tol: float = 1e-9, rel_tol: float = 1e-6) -> Comparator:
    """Numbers within a tolerance (`math.isclose`); anything not a number compares exactly."""

    def compare(actual: Any, expected: Any) -> bool:
        if _is_number(actual) and _is_number(expected):
            return math.isclose(actual, expected, abs_tol=abs_tol, rel_tol=rel_tol)
        return bool(actual == expected)

    return compare


def same_text(*, punctuation: bool = False) -> Comparator:
    """Text equal after normalising: Unicode NFKC, case, runs of whitespace (and, with
    `punctuation=False`, punctuation) ignored. "Ada  Lovelace." matches "ada lovelace"."""

    def norm(value: Any) -> str:
        s = unicodedata.normalize("NFKC", str(value)).casefold()
        if not punctuation:
            s = "".join(c for c in s if not unicodedata.category(c).startswith("P"))
        return " ".join(s.split())

    return lambda actual, expected: norm(actual) == norm(expected)


def ignore() -> Comparator:
    """Never a difference: for free text (a description) that no answer key can fix."""
    return lambda actual, expected: True


_NAMED: dict[str, Callable[[], Comparator]] = {
    "approx": approx,
    "exact": exact,
    "ignore": ignore,
    "text": same_text,
}


def field_matcher(compare: Mapping[str, Comparator | str] | None = None) -> Matcher:
    """A `Matcher` for `measure` that compares artifacts field by field.

    Keys of `compare` name a field as "step.field.sub" (one step), "field.sub" (that
    field of any step) or "step" (the whole artifact); values are comparators or
    "exact", "approx", "text", "ignore". Fields without one compare exactly. Only the fields the
    expected artifact sets are compared; list items compare position by position.
    """
    rules: dict[str, Comparator] = {}
    for key, rule in (compare or {}).items():
        if isinstance(rule, str):
            if rule not in _NAMED:
                raise ConfigError(
                    f"compare[{key!r}] = {rule!r}: use one of {sorted(_NAMED)} or a function "
                    "(actual, expected) -> bool"
                )
            rules[key] = _NAMED[rule]()
        else:
            rules[key] = rule

    def rule_for(step: str, path: tuple[str, ...]) -> Comparator | None:
        dotted = ".".join(path)
        for key in (".".join((step, *path)), dotted):
            if key and key in rules:
                return rules[key]
        return None

    def walk(step: str, path: tuple[str, ...], actual: Any, expected: Any) -> list[str]:
        shown = ".".join((step, *path))
        rule = rule_for(step, path)
        if rule is not None:
            return [] if rule(actual, expected) else [_difference(shown, actual, expected)]
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                return [_difference(shown, actual, expected)]
            out: list[str] = []
            for key, value in expected.items():
                out += walk(step, (*path, str(key)), actual.get(key), value)
            return out
        if isinstance(expected, list) and isinstance(actual, list):
            if len(actual) != len(expected):
                return [f"{shown}: got {len(actual)} items, expected {len(expected)}"]
            out = []
            for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
                out += [d.replace(shown, f"{shown}[{i}]", 1) for d in walk(step, path, a, e)]
            return out
        return [] if actual == expected else [_difference(shown, actual, expected)]

    def matcher(step: str, actual: Any, expected: Any) -> list[str]:
        return walk(step, (), to_jsonable_python(actual), to_jsonable_python(expected))

    return matcher


def _difference(path: str, actual: Any, expected: Any) -> str:
    def short(v: Any) -> str:
        s = repr(v)
        return s if len(s) <= 60 else s[:59] + "…"

    return f"{path}: got {short(actual)}, expected {short(expected)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def diff_artifacts(step: str, actual: Any, expected: Any) -> list[str]:
    """Differences between an artifact and the expected one, field by field, exactly.

    Only the fields the expected artifact sets are compared, so an expectation can be
    partial. Values compare as JSON (a model and its dict form are equal).
    """
    return list(_EXACT(step, actual, expected))


_EXACT = field_matcher()
