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
from collections.abc import Iterable
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
    """The calls of one recorded run, handed out in order per attempt.

    With `then_live`, it is a prefix: the calls one attempt made before it was suspended
    or its process died (`prefix_of`), handed back when the attempt runs again under its
    own number. A prefix never diverges: once a call goes past what it holds, or differs
    from it, it answers nothing more (None), and every later call of the attempt is made
    live, and recorded.
    """

    def __init__(self, events: Iterable[Event], *, then_live: bool = False) -> None:
        self.then_live = then_live
        self.live = False  # a prefix that ran out: the rest of the attempt is live
        self._models: dict[CallKey, list[ModelCalled]] = defaultdict(list)
        # Direct calls (`ctx.call_tool`) come in order; an agent's by the id the model gave.
        self._tools: dict[CallKey, list[ToolCalled]] = defaultdict(list)
        self._agent_tools: dict[CallKey, list[ToolCalled]] = defaultdict(list)
        self._reads: dict[CallKey, list[ContextRead]] = defaultdict(list)
        requests: list[ApprovalRequested] = []
        decided: dict[str, ApprovalDecided] = {}
        superseded: set[str] = set()
        for e in events:
            if isinstance(e, ModelCalled):
                self._models[(e.step, e.index, e.attempt)].append(e)
            elif isinstance(e, ToolCalled):
                if e.outcome == "started":
                    continue  # an approved call's intent: its result is the call's record
                calls = self._tools if e.call_id is None else self._agent_tools
                calls[(e.step, e.index, e.attempt)].append(e)
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
            if self.then_live:
                self.live = True
                return None
            item = "" if key[1] is None else f" item {key[1]}"
            raise ReplayDivergence(
                key[0],
                f"attempt {key[2]}{item} made {kind} call #{position + 1}, which the recording "
                f"does not have (it recorded {len(recorded)})",
            )
        self._used[(kind, key)] = position + 1
        return recorded[position]

    def _diverged(self, step: str, detail: str) -> None:
        """A request that differs from the recorded one: a divergence, or for a prefix,
        the point from which the attempt goes on live."""
        if not self.then_live:
            raise ReplayDivergence(step, detail)
        self.live = True

    def reply(
        self,
        step: str,
        index: int | None,
        attempt: int,
        request: ModelRequest,
        output_type: type[T],
    ) -> ModelReply[T] | None:
        """The recorded reply to a step's model call (`ctx.generate`); None from a prefix
        that has none."""
        from seamline.models.base import ModelReply, validate_output

        if self.live:
            return None
        recorded: ModelCalled | None = self._next("model", self._models, (step, index, attempt))
        if recorded is None:
            return None
        now = request.to_record()
        if recorded.request != now:
            self._diverged(step, _first_difference(recorded.request, now))
            return None
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
    ) -> ModelCalled | None:
        """The recorded answer to an agent step's next model turn (`ctx.agent`); None from
        a prefix that has none."""
        if self.live:
            return None
        recorded: ModelCalled | None = self._next("model", self._models, (step, index, attempt))
        if recorded is None:
            return None
        if recorded.purpose != "agent":
            self._diverged(
                step,
                f"attempt {attempt} asked for agent turn {request.get('turn')}, but the "
                f"recording has a {recorded.purpose} call there",
            )
            return None
        if recorded.request != request:
            self._diverged(step, _first_difference(recorded.request, request))
            return None
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
    ) -> ToolCalled | None:
        """The recorded result of an agent's tool call, found by the id the model gave it
        (calls of one turn may finish in any order); None from a prefix that has none."""
        if self.live:
            return None
        key = (step, index, attempt)
        used = self._used_ids.setdefault(key, set())
        for position, recorded in enumerate(self._agent_tools.get(key, [])):
            if recorded.call_id == call_id and position not in used:
                if recorded.tool != name or recorded.request != request:
                    self._diverged(
                        step,
                        _first_difference(
                            {"tool": recorded.tool, **recorded.request},
                            {"tool": name, **request},
                        ),
                    )
                    return None
                used.add(position)
                self._used[("tool", key)] += 1
                return recorded
        if self.then_live:
            return None  # not made before: made now (a prefix does not hold every call)
        raise ReplayDivergence(
            step,
            f"attempt {attempt} called tool {name!r} (call {call_id!r}), which the recording "
            "does not have",
        )

    def tool(
        self, step: str, index: int | None, attempt: int, name: str, request: dict[str, Any]
    ) -> ToolCalled | None:
        """The recorded result of a step's direct tool call (`ctx.call_tool`); None from a
        prefix that has none."""
        if self.live:
            return None
        key = (step, index, attempt)
        recorded: ToolCalled | None = self._next("direct tool", self._tools, key)
        if recorded is None:
            return None
        if recorded.tool != name or recorded.request != request:
            self._diverged(
                step,
                _first_difference(
                    {"tool": recorded.tool, **recorded.request}, {"tool": name, **request}
                ),
            )
            return None
        self._used[("tool", key)] += 1
        return recorded

    def context(
        self, step: str, index: int | None, attempt: int, request: dict[str, Any]
    ) -> ContextRead | None:
        """The recorded answer to a context read (`ctx.search` / `ctx.examples`); None from
        a prefix that has none."""
        if self.live:
            return None
        recorded: ContextRead | None = self._next(
            "context read", self._reads, (step, index, attempt)
        )
        if recorded is None:
            return None
        was = {
            "collection": recorded.collection,
            "query": recorded.query,
            "k": recorded.k,
            "where": recorded.where,
            "mode": recorded.mode,
            "kind": recorded.kind,
        }
        if was != request:
            self._diverged(step, _first_difference(was, request))
            return None
        return recorded

    def unused(self) -> list[str]:
        """Recorded calls the replay never made: a step now calls less than it did."""
        left = []
        tools: dict[CallKey, int] = defaultdict(int)
        for calls in (self._tools, self._agent_tools):
            for key, recorded in calls.items():
                tools[key] += len(recorded)
        counts = (
            ("model", {k: len(v) for k, v in self._models.items()}),
            ("tool", tools),
            ("context read", {k: len(v) for k, v in self._reads.items()}),
        )
        for kind, recorded_counts in counts:
            for key, n in recorded_counts.items():
                if self._used[(kind, key)] < n:
                    left.append(
                        f"{key[0]} (attempt {key[2]}): {n - self._used[(kind, key)]} {kind} call(s)"
                    )
        return left


def prefix_of(
    events: Iterable[Any], step: str, index: int | None, attempt: int
) -> Recording | None:
    """The calls one attempt already made, for its run under the same number again (after
    a person decided on a tool call it asked for, or after its process died): its model
    calls and turns (not its gate's judges), its tool calls and its context reads, in log
    order. None if it made none."""
    made = [
        e
        for e in events
        if (
            (type(e) is ModelCalled and e.purpose != "judge")
            or type(e) is ToolCalled
            or type(e) is ContextRead
        )
        and e.step == step
        and e.index == index
        and e.attempt == attempt
    ]
    return Recording(made, then_live=True) if made else None
