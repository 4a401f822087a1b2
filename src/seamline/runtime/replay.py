"""Replay: run a pipeline again, offline, against the model and tool calls its log recorded.

Each recorded call is found by (step, item, attempt) and its order within that attempt.
Where the recorded run waited for a person, the replay waits at the same approval, the
recorded decision is applied to it, and the replay resumes, as the run did: a rejection
replays as a rejection, not as a divergence.
The new request must equal the recorded one; the first that differs — a changed prompt,
a changed step upstream whose output reaches a prompt, a call the recording lacks — is a
`ReplayDivergence` naming the step. A replay that matches is a deterministic regression
test of the pipeline's orchestration (see `seamline.testing.assert_replays`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    ModelCalled,
    Rewound,
    ToolCalled,
)
from seamline.exceptions import ReplayDivergence

if TYPE_CHECKING:
    from seamline.models.base import ModelReply, ModelRequest

T = TypeVar("T", bound=BaseModel)
CallKey = tuple[str, int | None, int]


def _first_difference(recorded: dict[str, Any], now: dict[str, Any]) -> str:
    for key in sorted(set(recorded) | set(now)):
        if recorded.get(key) != now.get(key):
            was, is_ = str(recorded.get(key))[:200], str(now.get(key))[:200]
            return f"the request's {key!r} changed:\n  recorded: {was!r}\n  now:      {is_!r}"
    return "the request changed"


class Recording:
    """The calls of one recorded run, handed out in order per attempt."""

    def __init__(self, events: list[Event]) -> None:
        self._models: dict[CallKey, list[ModelCalled]] = defaultdict(list)
        self._tools: dict[CallKey, list[ToolCalled]] = defaultdict(list)
        self._reads: dict[CallKey, list[ContextRead]] = defaultdict(list)
        requests: list[ApprovalRequested] = []
        decided: dict[str, ApprovalDecided] = {}
        superseded: set[str] = set()
        for e in events:
            if isinstance(e, ModelCalled):
                self._models[(e.step, e.index, e.attempt)].append(e)
            elif isinstance(e, ToolCalled):
                self._tools[(e.step, e.index, e.attempt)].append(e)
            elif isinstance(e, ContextRead):
                self._reads[(e.step, e.index, e.attempt)].append(e)
            elif isinstance(e, ApprovalRequested):
                requests.append(e)
            elif isinstance(e, ApprovalDecided):
                decided[e.approval_id] = e
            elif isinstance(e, Rewound):
                superseded.update(e.closes)
        self._used: dict[tuple[str, CallKey], int] = defaultdict(int)
        self._used_ids: dict[CallKey, set[int]] = {}
        # Per (step, item, why): the decisions on the approvals asked there, in order
        # (None: still waiting when the run was recorded). Superseded ones were never
        # decided, and a faithful replay supersedes them too.
        self._decisions: dict[tuple[str, int | None, str], list[ApprovalDecided | None]] = (
            defaultdict(list)
        )
        for r in requests:
            if r.approval_id not in superseded:
                key = (r.step, r.index, r.reason)
                self._decisions[key].append(decided.get(r.approval_id))

    def decisions_for(
        self, pending: list[ApprovalRequested], next_seq: int
    ) -> list[ApprovalDecided]:
        """The recorded decisions on the approvals a replay now waits on, as events of the
        replay's own log (from seq `next_seq`)."""
        found: list[ApprovalDecided] = []
        for request in pending:
            queue = self._decisions.get((request.step, request.index, request.reason))
            recorded = queue.pop(0) if queue else None
            if recorded is None:
                continue
            found.append(
                ApprovalDecided(
                    seq=next_seq + len(found),
                    at=recorded.at,
                    approval_id=request.approval_id,
                    decision=recorded.decision,
                    reason=recorded.reason,
                    edit=recorded.edit,
                    reviewer=recorded.reviewer,
                    route_to=recorded.route_to,
                )
            )
        return found

    def _next(self, kind: str, calls: dict[CallKey, list[Any]], key: CallKey) -> Any:
        position = self._used[(kind, key)]
        recorded = calls.get(key, [])
        if position >= len(recorded):
            item = "" if key[1] is None else f" item {key[1]}"
            raise ReplayDivergence(
                key[0],
                f"attempt {key[2]}{item} made {kind} call #{position + 1}, which the recording "
                f"does not have (it recorded {len(recorded)})",
            )
        self._used[(kind, key)] = position + 1
        return recorded[position]

    def reply(
        self,
        step: str,
        index: int | None,
        attempt: int,
        request: ModelRequest,
        output_type: type[T],
    ) -> ModelReply[T]:
        from seamline.models.base import ModelReply, validate_output

        recorded: ModelCalled = self._next("model", self._models, (step, index, attempt))
        now = request.to_record()
        if recorded.request != now:
            raise ReplayDivergence(step, _first_difference(recorded.request, now))
        if recorded.response is None and recorded.error is not None:
            from seamline.exceptions import ModelCallFailed

            raise ModelCallFailed(recorded.model, f"(recorded) {recorded.error}")
        response = dict(recorded.response or {})
        raw = response.pop("raw_output", None)
        output, error = validate_output(output_type, raw)
        return ModelReply(
            output=output,
            error=error,
            response=response,
            raw_output=raw,
            input_tokens=recorded.input_tokens,
            output_tokens=recorded.output_tokens,
            cost_usd=recorded.cost_usd,
            seconds=0.0,
        )

    def turn(
        self, step: str, index: int | None, attempt: int, request: dict[str, Any]
    ) -> ModelCalled:
        """The recorded answer to an agent step's next model turn (`ctx.agent`)."""
        recorded: ModelCalled = self._next("model", self._models, (step, index, attempt))
        if recorded.purpose != "agent":
            raise ReplayDivergence(
                step,
                f"attempt {attempt} asked for agent turn {request.get('turn')}, but the "
                f"recording has a {recorded.purpose} call there",
            )
        if recorded.request != request:
            raise ReplayDivergence(step, _first_difference(recorded.request, request))
        if recorded.response is None:  # the turn failed: it fails the same way again
            from seamline.exceptions import ModelCallFailed

            raise ModelCallFailed(recorded.model, recorded.error or "failed (recorded)")
        return recorded

    def agent_tools(self, step: str, index: int | None, attempt: int) -> list[dict[str, Any]]:
        """The tool definitions the agent turns of one attempt were offered, as recorded."""
        found: dict[str, dict[str, Any]] = {}
        for call in self._models.get((step, index, attempt), []):
            for definition in (call.request or {}).get("tool_definitions", ()):
                found.setdefault(definition["name"], definition)
        return list(found.values())

    def tool_call(
        self,
        step: str,
        index: int | None,
        attempt: int,
        call_id: str,
        name: str,
        request: dict[str, Any],
    ) -> ToolCalled:
        """The recorded result of an agent's tool call, found by the id the model gave it
        (calls of one turn may finish in any order)."""
        key = (step, index, attempt)
        used = self._used_ids.setdefault(key, set())
        for position, recorded in enumerate(self._tools.get(key, [])):
            if recorded.call_id == call_id and position not in used:
                if recorded.tool != name or recorded.request != request:
                    raise ReplayDivergence(
                        step,
                        _first_difference(
                            {"tool": recorded.tool, **recorded.request},
                            {"tool": name, **request},
                        ),
                    )
                used.add(position)
                self._used[("tool", key)] += 1
                return recorded
        raise ReplayDivergence(
            step,
            f"attempt {attempt} called tool {name!r} (call {call_id!r}), which the recording "
            "does not have",
        )

    def tool(
        self, step: str, index: int | None, attempt: int, name: str, request: dict[str, Any]
    ) -> ToolCalled:
        recorded: ToolCalled = self._next("tool", self._tools, (step, index, attempt))
        if recorded.tool != name or recorded.request != request:
            raise ReplayDivergence(
                step,
                _first_difference(
                    {"tool": recorded.tool, **recorded.request}, {"tool": name, **request}
                ),
            )
        return recorded

    def context(
        self, step: str, index: int | None, attempt: int, request: dict[str, Any]
    ) -> ContextRead:
        """The recorded answer to a context read (`ctx.search` / `ctx.examples`)."""
        recorded: ContextRead = self._next("context read", self._reads, (step, index, attempt))
        was = {
            "collection": recorded.collection,
            "query": recorded.query,
            "k": recorded.k,
            "where": recorded.where,
            "mode": recorded.mode,
            "kind": recorded.kind,
        }
        if was != request:
            raise ReplayDivergence(step, _first_difference(was, request))
        return recorded

    def unused(self) -> list[str]:
        """Recorded calls the replay never made: a step now calls less than it did."""
        left = []
        kinds: tuple[tuple[str, dict[CallKey, list[Any]]], ...] = (
            ("model", self._models),
            ("tool", self._tools),
            ("context read", self._reads),
        )
        for kind, calls in kinds:
            for key, recorded in calls.items():
                if self._used[(kind, key)] < len(recorded):
                    left.append(
                        f"{key[0]} (attempt {key[2]}): {len(recorded) - self._used[(kind, key)]} {kind} call(s)"
                    )
        return left
