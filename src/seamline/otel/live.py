"""Tracing a run while a process drives it.

The executor knows nothing of OpenTelemetry; it holds a `LiveTrace` (or None, and then
nothing of this runs) and calls it at four points:

- `open_run` / `begin_session`: the session's span, before the run's first event is
  written, so the recorded `traceparent` can say where the trace is;
- `enter` / `leave`: around each attempt's code, whose span is then the current one, so
  whatever the step calls (pydantic-ai's own instrumented agents and models included)
  nests under it;
- `drive`: around the run's coroutine: the session's span is current for the whole run,
  seamline's own model calls are marked as traced (pydantic-ai's instrumentation stays out
  of them: they are already one `chat` span each), and the session is closed at the end;
- `on_event`: every event once it is in the store (an `on_event` hook), folded into the
  spans by `RunTrace`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import Link

from seamline.events import Event
from seamline.models.base import traced_by_seamline
from seamline.otel import conventions as c
from seamline.otel.ids import traceparent
from seamline.otel.spans import RunTrace

if TYPE_CHECKING:
    from seamline.otel.switch import Tracing

R = TypeVar("R")


class LiveTrace:
    """One run's tracing in this process: one session of it (its start, or a resume)."""

    __slots__ = ("spans",)

    def __init__(self, tracing: Tracing, run_id: str) -> None:
        self.spans = RunTrace(
            tracing.tracer,
            run_id,
            content=tracing.content,
            meters=tracing.meters,
            logger=tracing.logger,
            live=True,
        )

    def open_run(self, pipeline: str, gates: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """Open the run's first session (a child of the caller's current span, if any) and
        return the run's options with its `traceparent`, for `RunStarted` to record."""
        spans = self.spans
        spans.state.pipeline = pipeline  # the RunStarted that says so is not written yet
        root = spans.open_session(context.get_current(), time.time(), 0, None)
        root.set_attribute(c.GATES, gates)
        return {**options, "traceparent": traceparent(root.get_span_context())}

    def begin_session(self, log: Sequence[Event]) -> str:
        """Open a resumed run's session: fold its log so far (already traced), continue its
        trace as a child of the run's first session, linked to every earlier one and to
        the caller's span. Returns the `traceparent` its `RunResumed` records."""
        spans = self.spans
        spans.adopt(log)
        caller = trace.get_current_span().get_span_context()
        link = Link(caller, {c.LINK_KIND: "caller"}) if caller.is_valid else None
        root = spans.open_session(context.get_current(), time.time(), len(log), link)
        spans.emit_late()
        return traceparent(root.get_span_context())

    def enter(
        self, seq: int, step: str, index: int | None, attempt: int, model: str | None
    ) -> object:
        """An attempt begins: its span, current until `leave(token)`."""
        span = self.spans.open_attempt(step, index, attempt, model, time.time(), seq)
        return context.attach(trace.set_span_in_context(span))

    def leave(self, token: object) -> None:
        context.detach(token)  # type: ignore[arg-type]

    def on_event(self, run_id: str, event: Event) -> None:
        self.spans.feed(event)

    async def drive(self, run: Awaitable[R]) -> R:
        """Await the run with its session's span current; close the session after."""
        spans = self.spans
        root = spans.root
        token = context.attach(trace.set_span_in_context(root)) if root is not None else None
        flag = traced_by_seamline.set(True)
        error: BaseException | None = None
        try:
            return await run
        except BaseException as e:
            error = e
            raise
        finally:
            traced_by_seamline.reset(flag)
            if token is not None:
                context.detach(token)
            if spans.root is not None:  # its end never reached the store
                spans.finish(time.time(), error)
