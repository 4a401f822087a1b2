"""A run's spans, built from its log: the same events, read the same way, live or after the fact.

`RunTrace.feed(event)` folds each event into a run state with the one reducer
(`seamline.runtime.state.apply`) and turns what it means into spans, span events and
metrics. A live run feeds it every event once it is in the store (an `on_event` hook) and
opens each attempt's span the moment the attempt starts (`seamline.otel.live`), so code the
step runs, pydantic-ai's own instrumented calls included, nests under it. An export feeds it
a stored log from the start (`seamline.otel.export`). Spans are given the times the log
recorded, so a span built after the fact covers what happened when it happened.

The tree, per session of the run (its start, and each resume):

    invoke_workflow {pipeline}          the session; gen_ai.conversation.id = the run id
      step {step}                       one unit attempt: step, item index, attempt, outcome
        chat {model}                    a model call (ctx.generate, an agent turn)
        execute_tool {tool}             a tool call
        retrieval {collection}          a context read
        gate {step}                     the gate's evaluation of the attempt
          chat {model}                  a judge's model call
      approval {step}                   the wait for a person, from request to decision

Each check and judge of a gate is a `gen_ai.evaluation.result` event on the attempt it
judged. A resumed session is a child of the run's first session (the same trace) and links
to every session before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue
from pydantic_core import to_jsonable_python

from seamline.events import (
    ApprovalDecided,
    Event,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from seamline.otel import calls, verdicts
from seamline.otel import conventions as c
from seamline.otel.ids import DerivedIds, parse_traceparent
from seamline.otel.metrics import Meters
from seamline.runtime.state import RunState, Unit, apply, unit_of

Key = tuple[Unit, int]  # (unit, attempt)


class RunTrace:
    """The spans and metrics of one run, derived from its events through the reducer."""

    def __init__(
        self,
        tracer: Tracer,
        run_id: str,
        *,
        content: bool = False,
        meters: Meters | None = None,
        logger: Any = None,
        ids: DerivedIds | None = None,
        live: bool = False,
    ) -> None:
        """
        Args:
            content: record prompts, responses, artifacts and tool arguments (opt-in).
            meters: where metrics go; None records none (an export sends traces only).
            logger: an OpenTelemetry logger for `gen_ai.evaluation.result` as log events.
            ids: derive span ids from the log (an export); None lets the SDK choose.
            live: the run is being driven now: its sessions and attempts are opened by the
                driver (`seamline.otel.live`) as they begin, not when their events arrive.
        """
        self.tracer = tracer
        self.run_id = run_id
        self.content = content
        self.meters = meters
        self.logger = logger
        self.ids = ids
        self.live = live
        self.redact = c.Redactor()
        self.state = RunState(run_id)
        self.emit = True  # False while a resumed run's earlier log is folded in
        self.root: Span | None = None  # the current session's span
        self.root_context: Context = Context()
        self.sessions: list[SpanContext | None] = []  # each session's span, where known
        self.session = 0  # the number of the session being traced (1 for the run's start)
        self.attempts: dict[Key, Span] = {}  # open attempt spans
        self.gates: dict[Key, Span] = {}  # open gate spans
        self.begun: dict[Key, tuple[int, float]] = {}  # StepStarted: seq, at
        self.judged: dict[Key, tuple[int, float]] = {}  # StepFinished of a gated attempt
        self.requested: dict[str, int] = {}  # approval id -> the session that asked
        self.verdicts: dict[Unit, bool] = {}  # the last verdict of each gated unit
        self.late: list[ApprovalDecided] = []  # decisions taken while no session ran
        self.last_at = 0.0

    # -- feeding --------------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Fold one event (in log order) and emit what it means."""
        apply(self.state, event)
        handler = _HANDLERS.get(type(event).__name__)
        if handler is not None:
            handler(self, event)
        self.last_at = event.at

    def adopt(self, events: Sequence[Event]) -> None:
        """Fold a resumed run's log without emitting it again: its sessions were traced
        when they ran. The decisions people took since the last session stopped, which no
        session saw, are kept for `emit_late` (once the new session is open)."""
        last_end = max((e.seq for e in events if isinstance(e, RunFinished)), default=-1)
        self.emit = False
        try:
            for event in events:
                self.feed(event)
        finally:
            self.emit = True
        self.late = [e for e in events if isinstance(e, ApprovalDecided) and e.seq > last_end]

    def emit_late(self) -> None:
        for event in self.late:
            verdicts.decided(self, event)
        self.late = []

    def finish(
        self,
        at: float | None = None,
        error: BaseException | None = None,
        status: str | None = None,
    ) -> None:
        """End whatever is still open: at the run's `RunFinished`, at the end of an exported
        log, or when a live session stopped without its end reaching the store (`error`:
        why). `status` overrides the run's status on the session's span."""
        end = c.nanos(at if at is not None else self.last_at)
        for key, span in list(self.attempts.items()):
            span.set_attribute(
                c.OUTCOME, "interrupted" if status == "interrupted" else "unfinished"
            )
            self.end_attempt(key, span, end)
        for key, gate in list(self.gates.items()):
            gate.end(end)
            del self.gates[key]
        if self.root is not None:
            if error is not None:
                self.root.set_attribute(c.ERROR_TYPE, type(error).__name__)
                self.root.set_status(Status(StatusCode.ERROR, type(error).__name__))
            self.root.set_attribute(c.RUN_STATUS, status or self.state.status.value)
            self.root.end(end)
            self.root = None

    # -- spans ------------------------------------------------------------------------------

    def start(
        self,
        name: str,
        parent: Context,
        at: float,
        attributes: dict[str, AttributeValue],
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        key: tuple[str, int] | None = None,
        links: Sequence[Link] = (),
    ) -> Span:
        if self.ids is not None and key is not None:
            self.ids.key(*key)
        return self.tracer.start_span(
            name, parent, kind, attributes, links, start_time=c.nanos(at), record_exception=False
        )

    def open_session(self, parent: Context, at: float, seq: int, caller: Link | None) -> Span:
        """The span of the run's next session: the first is a child of `parent` (the
        caller's context, or none); a resumed one is a child of the first, linked to
        every session before it (and to the caller's span, if any)."""
        self.session = len(self.sessions) + 1
        first = self.sessions[0] if self.sessions else None
        links = [Link(s, {c.LINK_KIND: "earlier_session"}) for s in self.sessions if s is not None]
        if caller is not None:
            links.append(caller)
        if first is not None:
            parent = trace.set_span_in_context(trace.NonRecordingSpan(first), Context())
        state = self.state
        pipeline = state.pipeline or ""
        attributes: dict[str, AttributeValue] = {
            c.OPERATION: c.INVOKE_WORKFLOW,
            c.WORKFLOW_NAME: pipeline,
            c.CONVERSATION_ID: self.run_id,
            c.RUN_ID: self.run_id,
            c.SESSION: self.session,
        }
        gates = state.options.get("gates") if state.options else None
        if gates:
            attributes[c.GATES] = str(gates)
        root = self.start(
            f"{c.INVOKE_WORKFLOW} {pipeline}".strip(),
            parent,
            at,
            attributes,
            key=("session", seq),
            links=links,
        )
        self.root = root
        self.root_context = trace.set_span_in_context(root, Context())
        self.sessions.append(root.get_span_context())
        return root

    def open_attempt(
        self, step: str, index: int | None, attempt: int, model: str | None, at: float, seq: int
    ) -> Span:
        attributes: dict[str, AttributeValue] = {
            c.STEP: step,
            c.ATTEMPT: attempt,
            c.CONVERSATION_ID: self.run_id,
        }
        if index is not None:
            attributes[c.INDEX] = index
        if model is not None:
            attributes[c.MODEL] = model
        span = self.start(f"step {step}", self.root_context, at, attributes, key=("attempt", seq))
        self.attempts[(unit_of(step, index), attempt)] = span
        return span

    def attempt(self, unit: Unit, attempt: int) -> Span | None:
        """The attempt's open span; one begun in an earlier session and finished in this
        one (a verdict never written before the process died) is opened now, at its start."""
        key = (unit, attempt)
        span = self.attempts.get(key)
        if span is not None or key not in self.begun:
            return span
        seq, at = self.begun[key]
        step, index = (unit, None) if isinstance(unit, str) else unit
        return self.open_attempt(step, index, attempt, None, at, seq)

    def parent(self, unit: Unit, attempt: int, judge: bool = False) -> Context:
        key = (unit, attempt)
        span = self.gates.get(key) if judge else None
        if span is None:
            span = self.attempt(unit, attempt)
        return trace.set_span_in_context(span, Context()) if span is not None else self.root_context

    def end_attempt(self, key: Key, span: Span, end: int) -> None:
        gate = self.gates.pop(key, None)
        if gate is not None:
            gate.end(end)
        span.end(end)
        del self.attempts[key]

    def seam(self, kind: str, step: str) -> None:
        if self.meters is not None:
            gates = self.state.options.get("gates", "on") if self.state.options else "on"
            self.meters.seam(
                kind,
                {c.WORKFLOW_NAME: self.state.pipeline or "", c.STEP: step, c.GATES: str(gates)},
            )

    def text(self, value: Any) -> str:
        text = (
            value if isinstance(value, str) else json.dumps(to_jsonable_python(value, fallback=str))
        )
        return self.redact(text)

    # -- one handler per event kind ---------------------------------------------------------

    def _run_started(self, e: RunStarted) -> None:
        if not self.emit:
            self.sessions.append(parse_traceparent(e.options.get("traceparent")))
            return
        if not self.live:
            self.open_session(Context(), e.at, e.seq, None)
        if self.content and self.root is not None:
            self.root.set_attribute(c.INPUTS, self.text(e.inputs))

    def _run_resumed(self, e: RunResumed) -> None:
        if not self.emit:
            self.sessions.append(parse_traceparent(getattr(e, "traceparent", None)))
            return
        if self.live:
            return  # this session's span was opened when it began
        self.finish(status="interrupted")  # the session before died without its end
        self.open_session(Context(), e.at, e.seq, None)

    def _step_started(self, e: StepStarted) -> None:
        key = (unit_of(e.step, e.index), e.attempt)
        self.begun[key] = (e.seq, e.at)
        if not self.emit:
            return
        span = self.attempts.get(key)
        if span is None:
            self.open_attempt(e.step, e.index, e.attempt, e.model, e.at, e.seq)

    def _step_finished(self, e: StepFinished) -> None:
        state = self.state
        if e.index is None and state.shape.step(e.step).map is not None:
            return  # a map over no items: no attempt made it
        unit = unit_of(e.step, e.index)
        key = (unit, e.attempt)
        gated = e.step in state.shape.judged
        if gated:
            self.judged[key] = (e.seq, e.at)
        if not self.emit:
            return
        span = self.attempt(unit, e.attempt)
        if span is None:
            return
        if self.content:
            span.set_attribute(c.ARTIFACT, self.text(e.artifact))
        if gated:
            attributes: dict[str, AttributeValue] = {c.STEP: e.step, c.ATTEMPT: e.attempt}
            if e.index is not None:
                attributes[c.INDEX] = e.index
            self.gates[key] = self.start(
                f"gate {e.step}",
                trace.set_span_in_context(span, Context()),
                e.at,
                attributes,
                key=("gate", e.seq),
            )
            return
        span.set_attribute(c.OUTCOME, "accepted")
        self.end_attempt(key, span, c.nanos(e.at))
        self.seam("pass", e.step)

    def _step_errored(self, e: StepErrored) -> None:
        if not self.emit:
            return
        unit = unit_of(e.step, e.index)
        span = self.attempt(unit, e.attempt)
        if span is None:
            return
        kind = "timeout" if e.kind == "timeout" else e.kind
        error_type = c.error_type(e.error, kind) if e.kind == "exception" else kind
        span.set_attribute(c.ERROR_TYPE, error_type)
        if self.content:
            span.set_attribute(c.ERROR_MESSAGE, self.redact(e.error))
        if e.kind == "retry" and e.step in self.state.shape.acting:
            return  # a failed verdict: the gate's decision follows and ends the attempt
        span.set_attribute(c.OUTCOME, "cancelled" if e.kind == "cancelled" else "errored")
        span.set_status(Status(StatusCode.ERROR, error_type))
        self.end_attempt((unit, e.attempt), span, c.nanos(e.at))

    def _step_skipped(self, e: StepSkipped) -> None:
        if self.emit:
            span = self.start(
                f"step {e.step}",
                self.root_context,
                e.at,
                {c.STEP: e.step, c.OUTCOME: "skipped", c.CONVERSATION_ID: self.run_id},
                key=("skip", e.seq),
            )
            span.end(c.nanos(e.at))

    def _rewound(self, e: Rewound) -> None:
        if self.emit and self.root is not None:
            attributes: dict[str, AttributeValue] = {
                c.STEP: e.step,
                "seamline.rewound.steps": list(e.steps),
                "seamline.rewound.cause": e.cause,
            }
            if e.index is not None:
                attributes[c.INDEX] = e.index
            self.root.add_event("seamline.rewound", attributes, c.nanos(e.at))

    def _run_finished(self, e: RunFinished) -> None:
        if not self.emit:
            return
        state = self.state
        if self.root is not None:
            self.root.set_attributes(
                {
                    c.RUN_STATUS: e.status.value,
                    c.MODEL_CALLS: state.model_calls,
                    c.TOOL_CALLS: state.tool_calls,
                    c.TOKENS: state.tokens,
                    c.COST: state.cost_usd,
                }
            )
            if e.status is RunStatus.FAILED or e.status is RunStatus.CANCELLED:
                error_type = e.error_type or e.status.value
                self.root.set_attribute(c.ERROR_TYPE, error_type)
                self.root.set_status(Status(StatusCode.ERROR, error_type))
                if self.content and e.error:
                    self.root.set_attribute(c.ERROR_MESSAGE, self.redact(e.error))
        self.finish(e.at)
        if self.meters is not None:
            gates = state.options.get("gates", "on") if state.options else "on"
            self.meters.run(
                {
                    c.WORKFLOW_NAME: state.pipeline or "",
                    c.GATES: str(gates),
                    c.RUN_STATUS: e.status.value,
                }
            )


_HANDLERS: dict[str, Callable[[RunTrace, Any], None]] = {
    "RunStarted": RunTrace._run_started,
    "RunResumed": RunTrace._run_resumed,
    "RunFinished": RunTrace._run_finished,
    "StepStarted": RunTrace._step_started,
    "StepFinished": RunTrace._step_finished,
    "StepErrored": RunTrace._step_errored,
    "StepSkipped": RunTrace._step_skipped,
    "GateEvaluated": verdicts.gate_evaluated,
    "ModelCalled": calls.model_called,
    "ToolCalled": calls.tool_called,
    "ContextRead": calls.context_read,
    "ApprovalRequested": verdicts.approval_requested,
    "ApprovalDecided": verdicts.approval_decided,
    "Rewound": RunTrace._rewound,
}
