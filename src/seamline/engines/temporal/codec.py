"""What crosses between the workflow and its activities: plain JSON, always.

Temporal keeps every activity's input and result in the workflow's history, and a worker
on another machine reads them back. So nothing here is a Python object: events travel as
(kind, seq, payload) the way the stores keep them, artifacts as their JSON, revalidated
against the step's type on the other side, and a verdict or an error as its fields.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from seamline.events import Event, decode, encode
from seamline.exceptions import BudgetExceeded, RunFailed
from seamline.runtime.unit import Failure
from seamline.verdict import Verdict

Json = Any


def events_to_json(events: list[Event]) -> list[Json]:
    """Events as [kind, seq, payload] triples."""
    out = []
    for event in events:
        kind, payload = encode(event)
        out.append([kind, event.seq, payload])
    return out


def events_from_json(rows: list[Json]) -> list[Event]:
    """The events of `events_to_json`; artifacts stay JSON, as read from a store."""
    return [decode(kind, seq, payload) for kind, seq, payload in rows]


def to_json(value: Any) -> Json:
    return to_jsonable_python(value)


@cache
def _verdicts() -> TypeAdapter[Verdict]:
    return TypeAdapter(Verdict)


def verdict_from_json(data: Json) -> Verdict | None:
    return None if data is None else _verdicts().validate_python(data)


def failure_to_json(failure: Failure | None) -> Json:
    return None if failure is None else [failure.kind, failure.reason, failure.verdict]


def failure_from_json(data: Json) -> Failure | None:
    return None if data is None else Failure(data[0], data[1], data[2])


def error_to_json(error: RunFailed) -> Json:
    """A run-ending error raised inside an attempt (a spent budget, most often)."""
    if isinstance(error, BudgetExceeded):
        return {
            "type": "BudgetExceeded",
            "budget": error.budget,
            "limit": error.limit,
            "used": error.used,
            "step": error.step,
            "message": str(error),
        }
    return {"type": type(error).__name__, "step": error.step, "message": str(error)}


class RemoteRunFailed(RunFailed):
    """A run-ending error raised inside an attempt made on another worker, other than a
    spent budget (those come back as `BudgetExceeded`); its message is the original's."""

    def __init__(self, kind: str, message: str, *, step: str | None = None):
        self.kind = kind
        super().__init__(message, step=step)


def error_from_json(data: Json) -> RunFailed:
    if data["type"] == "BudgetExceeded":
        error = BudgetExceeded(data["budget"], data["limit"], data["used"], step=data["step"])
        error.args = (data["message"],)  # word for word, `more` included
        return error
    return RemoteRunFailed(data["type"], data["message"], step=data["step"])
