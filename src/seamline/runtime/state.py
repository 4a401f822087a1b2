"""Run state, derived from the run log by one reducer.

`apply(state, event)` is the only interpretation of events there is. The executor keeps
its bookkeeping with it while it drives a run, resume rebuilds a run with `fold`, and
results, evals, reports and the CLI read runs through it, so a resumed run continues from
exactly where the live one was, and every reader agrees with both. `apply` reads nothing
but the state and the event (no clock, no I/O, no policy: decisions are in the events),
so folding the same log always gives the same state. It updates the state in place and
returns it: copying a run's state for every event would cost more than the event.

Words used here:

- unit: one call of a step (its name), or one item of a map= step (name, index).
- accepted: a unit's artifact crossed its seam: its gate passed (or it has none, or the
  gates only watch), or a person approved it after an escalation.
- done: a step whose every unit is accepted, and whose approval, if it needs one, was
  granted. Steps read only done steps.

The run's shape (which steps fan out, which are gated, which need approval) comes from the
graph its `RunStarted` recorded, not from the code of today's pipeline, so a state can be
folded without the pipeline at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
    ToolCalled,
)
from seamline.runtime.shape import UNKNOWN, RunShape

Unit = str | tuple[str, int]
# Turns an artifact as the log holds it (raw JSON, read back from a store) into the
# step's type: (step, raw, whole) -> artifact; `whole` asks for a map= step's whole list.
Coerce = Callable[[str, Any, bool], Any]

_NONE: Any = MappingProxyType({})  # shared empty container, replaced on first write
# Attempt outcomes counted against a step's `attempts` (its code raised or hung).
_CRASHES = frozenset({"exception", "timeout", "type"})


def unit_of(step: str, index: int | None) -> Unit:
    return step if index is None else (step, index)


def step_of(unit: Unit) -> str:
    return unit if isinstance(unit, str) else unit[0]


# -- per unit and per approval ---------------------------------------------------------------


@dataclass(slots=True)
class UnitTrouble:
    """What a unit of work accumulates once something went wrong with it."""

    failures: int = 0  # failed verdicts: the position on the gate's ladder
    crashes: int = 0  # attempts that raised: counted against the step's attempts
    feedback: list[str] = field(default_factory=list)
    model: str | None = None  # the model (by name) its next attempts use; None: the default
    ended: int = 0  # the last attempt that ended without its artifact being accepted
    ending: GateEvaluated | None = None  # a decision that ends the run (fail, budget)
    error: str | None = None  # why its last attempt that raised did


@dataclass(frozen=True, slots=True)
class ToolCallKey:
    """Which tool call a tool-call approval is about (read from its artifact, a
    `seamline.tools.approval.ToolCallApproval`): the attempt that asked, the id the model
    gave the call, and the fingerprint of its tool and arguments."""

    attempt: int
    call_id: str | None
    fingerprint: str

    @classmethod
    def of(cls, request: ApprovalRequested) -> ToolCallKey | None:
        shown = request.artifact
        if not isinstance(shown, Mapping) or not isinstance(shown.get("attempt"), int):
            return None  # a log edited by hand: an approval no call can match
        call_id = shown.get("call_id")
        return cls(
            shown["attempt"],
            call_id if isinstance(call_id, str) else None,
            str(shown.get("fingerprint")),
        )


@dataclass(slots=True)
class ApprovalState:
    request: ApprovalRequested
    decision: ApprovalDecided | None = None
    superseded: bool = False  # its work was reset before anyone decided: not decidable
    applied: bool = False  # a rejection whose rework was recorded (a `Rewound` names it)
    # A tool-call approval's call; the intent recorded before the approved call was made
    # ("started"); and the `ToolCalled` that answered it (made, failed or refused). Once
    # `made` is set the decision is used: it never applies to another call.
    call: ToolCallKey | None = None
    started: ToolCalled | None = None
    made: ToolCalled | None = None

    @property
    def pending(self) -> bool:
        return self.decision is None and not self.superseded

    @property
    def unit(self) -> Unit:
        return unit_of(self.request.step, self.request.index)


# -- the state -------------------------------------------------------------------------------


class RunState:
    """One run's state: what its log says so far.

    Change it only through `apply`. (The executor writes the notes of step attempts
    straight into its log, `runtime/log.py`, and makes the changes `apply` would make for
    them with the same methods, `accept` and `await_verdict`, or inline on its hottest
    line; tests/runtime/test_state_property.py holds the two equal.)

    Attributes:
        attempts: unit -> the number of its last attempt started.
        artifacts: the shared typed state: inputs, and the artifact of every step whose
            units are all accepted (a list for a map= step; None for a skipped step).
        done: steps that are done (see the module docstring), as dict keys.
        items: accepted items of map= steps not yet complete.
        awaiting: unit -> (attempt, artifact) of a finished attempt awaiting its verdict.
        trouble: per unit (a map= step's name too: feedback for all its items).
        approvals: approval id -> its request and decision.
        waiting: unit -> the approval id it waits on.
        approved: units a person approved at their approval checkpoint.
        model_calls, tokens, cost_usd, tool_calls: what the run used, for its budget.
        busy_seconds: time the run was driven, up to its last `RunFinished`.
    """

    __slots__ = (
        "_counts",
        "_since",
        "approvals",
        "approved",
        "artifacts",
        "attempts",
        "awaiting",
        "busy_seconds",
        "coerce",
        "context_pins",
        "cost_usd",
        "done",
        "error",
        "error_type",
        "finished_at",
        "inputs",
        "items",
        "model_calls",
        "options",
        "pipeline",
        "reads",
        "run_id",
        "seq",
        "shape",
        "skipped",
        "started_at",
        "status",
        "tokens",
        "tool_approvals",
        "tool_calls",
        "trouble",
        "waiting",
    )

    run_id: str
    coerce: Coerce | None
    shape: RunShape
    seq: int
    status: RunStatus
    attempts: dict[Unit, int]
    artifacts: dict[str, Any]
    done: dict[str, None]
    pipeline: str | None
    started_at: float | None
    finished_at: float | None
    error: str | None
    error_type: str | None
    _since: float | None
    inputs: Mapping[str, Any]
    options: Mapping[str, Any]
    items: dict[tuple[str, int], Any]
    awaiting: dict[Unit, tuple[int, Any]]
    trouble: dict[Unit, UnitTrouble]
    approvals: dict[str, ApprovalState]
    waiting: dict[Unit, str]
    approved: dict[Unit, None]
    skipped: dict[str, None]
    _counts: dict[str, int]  # per map= step: its items accepted
    context_pins: dict[str, int]  # collection -> the revision the run reads (its first read's)
    reads: dict[tuple[str, int | None, int], list[Any]]  # (step, index, attempt) -> passages
    # (unit, attempt, call id) -> its tool-call approvals, in log order
    tool_approvals: dict[tuple[Unit, int, str | None], list[ApprovalState]]
    model_calls: int
    tokens: int
    tool_calls: int
    cost_usd: float
    busy_seconds: float

    def __init__(
        self, run_id: str, coerce: Coerce | None = None, shape: RunShape | None = None
    ) -> None:
        """`shape`: the run's shape when the caller has it already (the executor, from its
        plan); otherwise it is read from the log's RunStarted."""
        # Chained assignments, shared empty containers: made per run, this shows at
        # thousands of runs (see benchmarks/bench_core.py).
        self.run_id = run_id
        self.coerce = coerce  # None: artifacts stay as the log holds them
        self.shape = shape if shape is not None else UNKNOWN
        self.seq = 0  # the seq of the next event
        self.status = RunStatus.RUNNING
        self.attempts = {}
        self.artifacts = {}
        self.done = {}  # a dict of names: one the garbage collector ignores (a set it tracks)
        self.pipeline = self.started_at = self.finished_at = None
        self.error = self.error_type = self._since = None
        # What only some runs need is created on first use: at thousands of concurrent
        # runs, every container allocated per run shows up as garbage-collector time.
        self.inputs = self.options = self.items = self.awaiting = self.trouble = _NONE
        self.approvals = self.waiting = self.approved = self.skipped = self._counts = _NONE
        self.context_pins = self.reads = self.tool_approvals = _NONE
        self.model_calls = self.tokens = self.tool_calls = 0
        self.cost_usd = self.busy_seconds = 0.0

    # -- reading -----------------------------------------------------------------------------

    def unit_trouble(self, unit: Unit) -> UnitTrouble:
        """The unit's trouble record, created on first use."""
        if self.trouble is _NONE:
            self.trouble = {}
        trouble = self.trouble.get(unit)
        if trouble is None:
            trouble = self.trouble[unit] = UnitTrouble()
        return trouble

    def feedback(self, unit: Unit) -> list[str]:
        """The reasons the unit's next attempt gets: its own, after its step's (a map=
        step's items all get the feedback a reroute or a rejection sent to the step)."""
        if not self.trouble:
            return []
        own = self.trouble.get(unit)
        if isinstance(unit, str):
            return own.feedback if own is not None else []
        shared = self.trouble.get(unit[0])
        if shared is None or not shared.feedback:
            return own.feedback if own is not None else []
        return shared.feedback + (own.feedback if own is not None else [])

    def accepted(self, unit: Unit) -> tuple[bool, Any]:
        """Whether the unit's artifact is accepted, and the artifact."""
        if isinstance(unit, str):
            if unit in self.artifacts and unit not in self.inputs:
                return True, self.artifacts[unit]
            return False, None
        if unit in self.items:
            return True, self.items[unit]
        whole = self.artifacts.get(unit[0])
        if unit[0] in self.artifacts and isinstance(whole, list) and unit[1] < len(whole):
            return True, whole[unit[1]]
        return False, None

    def in_flight(self, unit: Unit) -> bool:
        """Whether the unit's last attempt started and never ended: its process died, or
        it is suspended on a person's decision about a tool call it asked to make."""
        attempt = self.attempts.get(unit)
        if attempt is None or unit in self.awaiting or self.accepted(unit)[0]:
            return False
        trouble = self.trouble.get(unit) if self.trouble else None
        return trouble is None or trouble.ended < attempt

    def next_attempt(self, unit: Unit) -> int:
        """The number of the unit's next attempt: an attempt in flight when the process
        died, or suspended until a person decided, runs again under its own number (hence
        its own `ctx.idempotency_key`), and answers the calls it made before from the log
        (see `runtime/replay.py`'s prefix)."""
        attempt = self.attempts.get(unit, 0)
        return attempt if self.in_flight(unit) else attempt + 1

    def ending(self) -> GateEvaluated | None:
        """The decision that ended the run, if one was taken (the log may stop before the
        run's RunFinished)."""
        for trouble in self.trouble.values() if self.trouble else ():
            if trouble.ending is not None:
                return trouble.ending
        return None

    @property
    def pending_approvals(self) -> list[ApprovalRequested]:
        return [a.request for a in self.approvals.values() if a.pending]

    def tool_call_approvals(
        self, unit: Unit, attempt: int, call_id: str | None
    ) -> list[ApprovalState]:
        """The tool-call approvals asked for the call with this id in this attempt of the
        unit, in log order. An id can repeat within an attempt (two `ctx.agent` calls, a
        model numbering its calls per turn): the toolset matches them to the calls in
        order, each decision to one call (`ApprovalState.made` says which are used)."""
        if not self.tool_approvals:
            return []
        return self.tool_approvals.get((unit, attempt, call_id), [])

    def waits_on_tool_calls(self, unit: Unit) -> str | None:
        """The id of a tool-call approval of the unit still waiting for a decision."""
        for approval in self.approvals.values() if self.approvals else ():
            if approval.call is not None and approval.pending and approval.unit == unit:
                return approval.request.approval_id
        return None

    def rejections_to_apply(self) -> list[ApprovalState]:
        """Approvals a person rejected (or that timed out to a rejection) whose rework is
        not recorded yet: the run's next driver records it first."""
        return [
            a
            for a in self.approvals.values()
            if a.decision is not None
            and not a.applied
            and not a.superseded
            and a.request.reason != TOOL_CALL  # its rejection goes to the model, not back
            and self.effect_of(a) == "reject"
        ]

    def effect_of(self, approval: ApprovalState) -> str | None:
        """ "approve", "edit" or "reject": what the approval's decision does (a timeout
        does what the step's `on_timeout` says)."""
        decided = approval.decision
        if decided is None:
            return None
        if decided.decision == "timeout":
            if approval.request.reason == TOOL_CALL:
                return "reject"  # a call no one approved is not made
            return self.shape.step(approval.request.step).on_timeout
        return decided.decision

    def step_artifacts(self) -> dict[str, Any]:
        """Every step's artifact that is complete: the inputs left out."""
        return {k: v for k, v in self.artifacts.items() if k not in self.inputs}

    def copy_artifacts(self) -> dict[str, Any]:
        return dict(self.artifacts)

    # -- what events do ------------------------------------------------------------------------

    def accept(self, unit: Unit, artifact: Any) -> None:
        """A unit's artifact crossed its seam."""
        if isinstance(unit, str):
            self.artifacts[unit] = artifact
            self._maybe_done(unit)
            return
        step = unit[0]
        if self.items is _NONE:
            self.items = {}
        if unit not in self.items:
            if self._counts is _NONE:
                self._counts = {}
            self._counts[step] = self._counts.get(step, 0) + 1
        self.items[unit] = artifact
        source = self.shape.step(step).map
        of = self.artifacts.get(source) if source is not None else None
        if isinstance(of, list) and self._counts[step] >= len(of):
            self.artifacts[step] = [self.items.pop((step, i)) for i in range(len(of))]
            del self._counts[step]
            self._maybe_done(step)

    def await_verdict(self, unit: Unit, attempt: int, artifact: Any) -> None:
        """A gated unit's attempt finished: its artifact waits for the gate's verdict."""
        if self.awaiting is _NONE:
            self.awaiting = {}
        self.awaiting[unit] = (attempt, artifact)

    def _maybe_done(self, step: str) -> None:
        approval = self.shape.step(step).approval
        if approval is None or step in self.approved:
            self.done[step] = None
        elif approval == "item":
            whole = self.artifacts.get(step)
            if isinstance(whole, list) and all(
                (step, i) in self.approved for i in range(len(whole))
            ):
                self.done[step] = None

    def _approve(self, unit: Unit) -> None:
        if self.approved is _NONE:
            self.approved = {}
        self.approved[unit] = None
        step = step_of(unit)
        if step in self.artifacts:
            self._maybe_done(step)

    def _wait(self, unit: Unit, approval_id: str) -> None:
        if self.waiting is _NONE:
            self.waiting = {}
        self.waiting[unit] = approval_id

    def _replace(self, request: ApprovalRequested, edit: Any) -> None:
        """An edit replaces the artifact a person approved."""
        step, index = request.step, request.index
        whole = index is None and self.shape.step(step).map is not None
        value = self.coerce(step, edit, whole) if self.coerce is not None else edit
        if index is None:
            self.artifacts[step] = value
        elif step in self.artifacts and isinstance(self.artifacts[step], list):
            self.artifacts[step][index] = value
        else:
            self.items[(step, index)] = value

    def reset(self, steps: Iterable[str], unit: Unit | None = None) -> None:
        """Forget the artifacts, verdicts-in-waiting and approvals of every unit of
        `steps` (and of `unit`), to compute them again. Attempt numbers and ladder
        positions carry on."""
        stale = set(steps)
        units = {unit} if unit is not None else set()

        def hit(u: Unit) -> bool:
            return step_of(u) in stale or u in units

        for step in stale:
            self.artifacts.pop(step, None)
            self.done.pop(step, None)
            if self.skipped:
                self.skipped.pop(step, None)
            if self._counts:
                self._counts.pop(step, None)
        if unit is not None and not isinstance(unit, str):
            step = unit[0]
            whole = self.artifacts.pop(step, None)
            self.done.pop(step, None)
            if isinstance(whole, list):  # the step was complete: its other items stay accepted
                if self.items is _NONE:
                    self.items = {}
                if self._counts is _NONE:
                    self._counts = {}
                for i, item in enumerate(whole):
                    if i != unit[1]:
                        self.items[(step, i)] = item
                self._counts[step] = len(whole) - 1
            elif self.items and unit in self.items:
                del self.items[unit]
                self._counts[step] -= 1
        elif unit is not None:
            self.artifacts.pop(unit, None)
            self.done.pop(unit, None)
        # Their last attempts are over: the next ones take new numbers (and keys).
        for u, attempt in [(u, n) for u, n in self.attempts.items() if hit(u)]:
            self.unit_trouble(u).ended = attempt
        tables: tuple[dict[Any, Any], ...] = (
            self.items,
            self.awaiting,
            self.approved,
            self.waiting,
        )
        for table in tables:
            if table:
                for u in [u for u in table if hit(u)]:
                    del table[u]


def apply(state: RunState, event: Event) -> RunState:
    """Fold one event into the state (in place) and return it."""
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(state, event)
    if event.seq >= state.seq:
        state.seq = event.seq + 1
    return state


def fold(run_id: str, events: Iterable[Event], coerce: Coerce | None = None) -> RunState:
    """The state a run's log (in seq order) describes."""
    state = RunState(run_id, coerce)
    for event in events:
        apply(state, event)
    return state


# -- one handler per event kind ----------------------------------------------------------------
# (The executor calls the two that every run makes, on_run_started and on_run_finished,
# directly, instead of through `apply`.)


def on_run_started(state: RunState, e: RunStarted) -> None:
    state.pipeline = e.pipeline
    state.options = e.options
    if state.shape is UNKNOWN:
        state.shape = RunShape.from_options(e.options)
    inputs = e.inputs
    if state.coerce is not None:
        inputs = {k: state.coerce(k, v, True) for k, v in inputs.items()}
    state.inputs = inputs
    state.artifacts.update(inputs)
    state.started_at = state._since = e.at


def _run_resumed(state: RunState, e: RunResumed) -> None:
    state.status = RunStatus.RUNNING
    state.error = state.error_type = None
    state._since = e.at


def on_run_finished(state: RunState, e: RunFinished) -> None:
    state.status = e.status
    state.error, state.error_type = e.error, e.error_type
    state.finished_at = e.at
    if state._since is not None:
        state.busy_seconds += max(0.0, e.at - state._since)
        state._since = None


def _step_started(state: RunState, e: StepStarted) -> None:
    state.attempts[unit_of(e.step, e.index)] = e.attempt


def _step_finished(state: RunState, e: StepFinished) -> None:
    unit = unit_of(e.step, e.index)
    artifact = e.artifact
    # With index None on a map= step: its whole list, made by no code (a map over no
    # items), which no gate judges (gates judge items).
    whole = e.index is None and state.shape.step(e.step).map is not None
    if state.coerce is not None:
        artifact = state.coerce(e.step, artifact, whole)
    if e.step in state.shape.judged and not whole:
        state.await_verdict(unit, e.attempt, artifact)
    else:
        state.accept(unit, artifact)


def _step_errored(state: RunState, e: StepErrored) -> None:
    trouble = state.unit_trouble(unit_of(e.step, e.index))
    trouble.ended = e.attempt
    trouble.error = e.error
    # A Retry the step raised is a failed verdict where a gate acts on it (its
    # GateEvaluated follows), and a crash where none does.
    if e.kind in _CRASHES or (e.kind == "retry" and e.step not in state.shape.acting):
        trouble.crashes += 1


def _step_skipped(state: RunState, e: StepSkipped) -> None:
    state.artifacts[e.step] = None
    state.done[e.step] = None
    if state.skipped is _NONE:
        state.skipped = {}
    state.skipped[e.step] = None


def _gate_evaluated(state: RunState, e: GateEvaluated) -> None:
    unit = unit_of(e.step, e.index)
    if e.action in ("pass", "shadow"):
        if state.awaiting and unit in state.awaiting:
            _, artifact = state.awaiting.pop(unit)
            state.accept(unit, artifact)
        return
    if state.awaiting:
        state.awaiting.pop(unit, None)
    trouble = state.unit_trouble(unit)
    trouble.failures += 1
    trouble.ended = e.attempt
    effect, feedback, model = _decision(e)
    if effect == "again":
        trouble.feedback.extend(feedback)
        if model is not None:
            trouble.model = model
    elif effect in ("fail", "budget"):
        trouble.ending = e  # the run ends here, whatever else was still running
    # "rewind": its `Rewound` follows and carries the feedback; "escalate": its
    # `ApprovalRequested` follows.


def decision_effect(e: GateEvaluated) -> str:
    """What a recorded gate decision does next: "pass", "again", "rewind", "escalate",
    "fail" (or "budget" in logs older than the decision fields)."""
    return "pass" if e.action in ("pass", "shadow") else _decision(e)[0]


def _decision(e: GateEvaluated) -> tuple[str, list[str], str | None]:
    """(effect, feedback, model) of a recorded decision; logs older than the decision
    fields are read by their label, with the default feedback."""
    if e.effect is not None:
        return e.effect, e.feedback or [], e.model
    label = e.action
    if label == "retry":
        return "again", e.verdict.reasons, None
    if label.startswith("fallback:"):
        return "again", e.verdict.reasons, label.split(":", 1)[1]
    if label.startswith("reroute:"):
        return "rewind", e.verdict.reasons, None
    return label, [], None  # "escalate", "fail", "budget"


def _approval_requested(state: RunState, e: ApprovalRequested) -> None:
    if state.approvals is _NONE:
        state.approvals = {}
    approval = state.approvals[e.approval_id] = ApprovalState(e)
    unit = unit_of(e.step, e.index)
    if e.reason == TOOL_CALL:
        approval.call = key = ToolCallKey.of(e)
        if key is not None:
            if state.tool_approvals is _NONE:
                state.tool_approvals = {}
            state.tool_approvals.setdefault((unit, key.attempt, key.call_id), []).append(approval)
    state._wait(unit, e.approval_id)


def _approval_decided(state: RunState, e: ApprovalDecided) -> None:
    approval = state.approvals.get(e.approval_id) if state.approvals else None
    if approval is None or not approval.pending:
        return  # the stores refuse these; a log cut or edited by hand may hold them
    approval.decision = e
    request = approval.request
    if request.reason == TOOL_CALL:
        _tool_call_decided(state, approval)
        return
    effect = state.effect_of(approval)
    if effect == "reject":
        return  # the work goes back when the run's next driver records its `Rewound`
    unit = approval.unit
    if state.waiting:
        state.waiting.pop(unit, None)
    if request.reason == "escalation":
        artifact = e.edit if effect == "edit" else request.artifact
        if state.coerce is not None:
            artifact = state.coerce(request.step, artifact, False)
        state.accept(unit, artifact)
        return
    if effect == "edit":
        state._replace(request, e.edit)
    state._approve(unit)


def _tool_call_decided(state: RunState, approval: ApprovalState) -> None:
    """Whatever the decision, the suspended attempt runs again under its own number (it
    is in flight: see `RunState.in_flight`), with the feedback it had; the toolset finds
    the decision there. It waits on until every call it asked about is decided."""
    unit = approval.unit
    waits_on = state.waits_on_tool_calls(unit)
    if waits_on is not None:
        state.waiting[unit] = waits_on
    elif state.waiting:
        state.waiting.pop(unit, None)


def _rewound(state: RunState, e: Rewound) -> None:
    unit = unit_of(e.step, e.index)
    state.reset(e.steps, unit if e.index is not None else None)
    if e.feedback:
        state.unit_trouble(unit).feedback.extend(e.feedback)
    for approval_id in e.closes:
        closed = state.approvals.get(approval_id) if state.approvals else None
        if closed is not None and closed.decision is None:
            closed.superseded = True
    if e.approval_id is not None and state.approvals and e.approval_id in state.approvals:
        state.approvals[e.approval_id].applied = True


def _model_called(state: RunState, e: ModelCalled) -> None:
    state.model_calls += 1
    state.tokens += e.input_tokens + e.output_tokens
    state.cost_usd += e.cost_usd


def _context_read(state: RunState, e: ContextRead) -> None:
    # A run reads each collection at one revision: its first read's, kept on resume.
    if state.context_pins is _NONE:
        state.context_pins = {}
    state.context_pins.setdefault(e.collection, e.revision)
    if state.reads is _NONE:
        state.reads = {}
    state.reads.setdefault((e.step, e.index, e.attempt), []).extend(e.passages)


def _tool_called(state: RunState, e: ToolCalled) -> None:
    if e.approval_id is not None and state.approvals:
        approval = state.approvals.get(e.approval_id)
        if approval is not None and approval.call is not None:
            if e.outcome == "started":  # an intent: made, or being made, result unknown
                approval.started = e
                return
            approval.made = e  # its decision is used
    if e.outcome not in ("refused", "started"):  # a call refused before it was made is free
        state.tool_calls += 1


_HANDLERS: dict[type[Event], Callable[[RunState, Any], None]] = {
    RunStarted: on_run_started,
    RunResumed: _run_resumed,
    RunFinished: on_run_finished,
    StepStarted: _step_started,
    StepFinished: _step_finished,
    StepErrored: _step_errored,
    StepSkipped: _step_skipped,
    GateEvaluated: _gate_evaluated,
    ApprovalRequested: _approval_requested,
    ApprovalDecided: _approval_decided,
    Rewound: _rewound,
    ModelCalled: _model_called,
    ToolCalled: _tool_called,
    ContextRead: _context_read,
}
