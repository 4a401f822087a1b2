"""The tool calls of one attempt, as a gate's checks see them.

A check that declares a parameter annotated `sl.ToolTrace` receives the calls the gated
attempt made, read from the run log, so "every amount came from the ledger tool" is one
check:

```python
def amounts_from_ledger(report: Report, tools: sl.ToolTrace) -> bool | str:
    missing = [a for a in report.amounts if not tools.returned(a, tool="ledger.*")]
    return not missing or f"amounts {missing} were not returned by any ledger tool call"
```
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from seamline.events import ToolCalled

_NUMBER = re.compile(r"-?\d(?:[\d.,]*\d)?")


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One recorded tool call.

    Attributes:
        tool: seamline's name: `"lookup"` for a Python tool, `"fs.read_file"` for an MCP tool.
        server: the MCP server's declared name, or None.
        arguments: what the model passed.
        result: what the tool returned (JSON), None when it failed.
        error: why it failed, or None.
        seconds: how long it took.
    """

    tool: str
    server: str | None
    arguments: dict[str, Any]
    result: Any
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


class ToolTrace(Sequence[ToolCallRecord]):
    """The tool calls one attempt made, in order. Annotate a check parameter with it."""

    __slots__ = ("_calls",)

    def __init__(self, calls: Iterable[ToolCallRecord] = ()) -> None:
        self._calls = tuple(calls)

    def __getitem__(self, i: Any) -> Any:
        return self._calls[i]

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[ToolCallRecord]:
        return iter(self._calls)

    def __repr__(self) -> str:
        return f"ToolTrace({[c.tool for c in self._calls]})"

    def calls(self, tool: str = "*") -> list[ToolCallRecord]:
        """The calls of tools whose name matches `tool` (a name or a glob such as `"fs.*"`)."""
        return [c for c in self._calls if fnmatch.fnmatchcase(c.tool, tool)]

    def called(self, tool: str = "*") -> bool:
        """Whether any tool matching `tool` was called successfully."""
        return any(c.ok for c in self.calls(tool))

    def results(self, tool: str = "*") -> list[Any]:
        """The results of the successful calls of tools matching `tool`."""
        return [c.result for c in self.calls(tool) if c.ok]

    def returned(self, value: Any, *, tool: str = "*") -> bool:
        """Whether `value` appears in a result of a tool matching `tool`.

        Numbers match numbers of equal value, also inside text ("1,234.50" holds 1234.5);
        strings match equal strings, or text that contains them.
        """
        return any(_contains(result, value) for result in self.results(tool))


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, dict):
        return any(_contains(v, needle) for v in haystack.values())
    if isinstance(haystack, list | tuple):
        return any(_contains(v, needle) for v in haystack)
    if isinstance(needle, bool) or isinstance(haystack, bool):
        return haystack is needle
    if isinstance(needle, int | float):
        if isinstance(haystack, int | float):
            return math.isclose(haystack, needle, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(haystack, str):
            return any(
                math.isclose(n, needle, rel_tol=1e-9, abs_tol=1e-9) for n in _numbers(haystack)
            )
        return False
    if isinstance(needle, str) and isinstance(haystack, str):
        return needle == haystack or (bool(needle) and needle in haystack)
    return bool(haystack == needle)


def _numbers(text: str) -> list[float]:
    """Every number written in `text`, read both ways where the separators are ambiguous:
    "1,234.50" and "1.234,50" are both 1234.5."""
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group()
        readings = {token.replace(",", ""), token.replace(".", "").replace(",", ".")}
        for reading in readings:
            try:
                found.append(float(reading))
            except ValueError:
                continue
    return found


def trace_of(events: Iterable[Any], step: str, index: int | None, attempt: int) -> ToolTrace:
    """The tool calls of one attempt, from the run log (events, and the executor's notes)."""
    return ToolTrace(
        ToolCallRecord(e.tool, e.server, e.request, e.response, e.error, e.seconds)
        for e in events
        if type(e) is ToolCalled and e.step == step and e.attempt == attempt and e.index == index
    )
