"""Trace and span ids: carried across processes in the run log, or derived from it.

A live run records where its trace is: the first session's span as a W3C `traceparent` in
`RunStarted.options["traceparent"]`, and each resumed session's in `RunResumed.traceparent`.
That is how a run resumed in another process, days later, continues the same trace and
links to the spans before it (ids are data here, they decide nothing about what runs).

An export after the fact (`seamline runs export --otlp`) derives every id from the run id
and the seq of the event a span begins at, so exporting a run twice gives the same trace.
"""

from __future__ import annotations

import hashlib
import random

from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanContext, TraceFlags


def traceparent(context: SpanContext) -> str:
    """The W3C trace context header for a span."""
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def parse_traceparent(value: object) -> SpanContext | None:
    """The (remote) span a recorded `traceparent` names; None if there is none or it is
    malformed (a log edited by hand must not break a run)."""
    if not isinstance(value, str):
        return None
    parts = value.split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags))


def _digest(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:16], "big")


class DerivedIds(IdGenerator):
    """Ids derived from (run id, what the span is, the seq it begins at).

    The export sets `next_span` right before it starts each span; anything else (a span
    started without one) gets a random id."""

    def __init__(self) -> None:
        self.run_id = ""
        self.next_span: int | None = None

    def key(self, kind: str, seq: int) -> None:
        self.next_span = (_digest(self.run_id, kind, seq) & 0xFFFFFFFFFFFFFFFF) or 1

    def generate_span_id(self) -> int:
        span_id, self.next_span = self.next_span, None
        return span_id if span_id is not None else random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return _digest(self.run_id, "trace") or 1
