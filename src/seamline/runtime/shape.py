"""A run's shape: what the run-state reducer must know about each step (does it fan out, is
it gated, does it need a person), as the run recorded it in its `RunStarted`.

A plan writes its graph into `RunStarted.options["graph"]` (`StepShape.to_json`), so any
reader can fold a run's log without the pipeline's code, and a resumed run can be checked
against the pipeline it is resumed with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StepShape:
    """What the reducer must know about a step, as the run recorded it at its start."""

    map: str | None = None  # the list it fans out over
    gate: bool = False  # a gate is declared on it
    approval: str | None = None  # "step" or "item": a person must approve it
    route_to: str | None = None  # where a rejection sends the work (default: the step)
    on_timeout: str = "reject"
    reads: tuple[str, ...] = ()
    returns: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reads": list(self.reads), "returns": self.returns}
        for name in ("map", "approval", "route_to"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.gate:
            data["gate"] = True
        if self.approval is not None:
            data["on_timeout"] = self.on_timeout
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepShape:
        return cls(
            map=data.get("map"),
            gate=bool(data.get("gate", False)),
            approval=data.get("approval"),
            route_to=data.get("route_to"),
            on_timeout=data.get("on_timeout", "reject"),
            reads=tuple(data.get("reads", ())),
            returns=data.get("returns", ""),
        )


_PLAIN = StepShape()


class RunShape:
    """The graph a run was started with, and the gate mode it runs in."""

    __slots__ = ("acting", "judged", "known", "steps")

    def __init__(self, steps: Mapping[str, StepShape], gates: str, known: bool = True) -> None:
        self.steps = steps
        self.known = known  # False for logs older than recorded graphs
        # Steps whose artifacts wait for a verdict before they are accepted, and those
        # whose verdicts act (a failed one is a decision, not a note).
        self.judged = frozenset(n for n, s in steps.items() if s.gate) if gates != "off" else ()
        self.acting = self.judged if gates == "on" else frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RunShape:
        graph = options.get("graph")
        gates = str(options.get("gates", "on"))
        if not isinstance(graph, Mapping):
            return cls({}, gates, known=False)
        return cls({n: StepShape.from_json(s) for n, s in graph.items()}, gates)

    def step(self, name: str) -> StepShape:
        return self.steps.get(name, _PLAIN)


UNKNOWN = RunShape({}, "on", known=False)  # until a RunStarted says what the run is
