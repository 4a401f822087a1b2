"""Trace context carried in the log, and ids an export derives from it."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanContext, TraceFlags

from seamline.otel.ids import DerivedIds, parse_traceparent, traceparent


def test_a_traceparent_round_trips() -> None:
    context = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, False,
                          trace_flags=TraceFlags(1))  # fmt: skip
    header = traceparent(context)
    assert header == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    parsed = parse_traceparent(header)
    assert parsed is not None and parsed.is_remote
    assert (parsed.trace_id, parsed.span_id, int(parsed.trace_flags)) == (
        context.trace_id,
        context.span_id,
        1,
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        "",
        "00-abc-def-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  # no flags
        "00-0af7651916cd43dd8448eb211c80319x-b7ad6b7169203331-01",  # not hex
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # an invalid trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # an invalid span id
    ],
)
def test_a_malformed_traceparent_in_a_log_is_ignored(value: object) -> None:
    assert parse_traceparent(value) is None


def test_derived_ids_are_the_same_for_the_same_run_and_differ_between_runs() -> None:
    ids = DerivedIds()
    ids.run_id = "run-a"
    trace_a = ids.generate_trace_id()
    ids.key("attempt", 7)
    span_a = ids.generate_span_id()
    again = DerivedIds()
    again.run_id = "run-a"
    again.key("attempt", 7)
    assert (again.generate_trace_id(), again.generate_span_id()) == (trace_a, span_a)
    again.key("attempt", 8)
    assert again.generate_span_id() != span_a
    other = DerivedIds()
    other.run_id = "run-b"
    assert other.generate_trace_id() != trace_a
    assert 0 < other.generate_span_id() < 2**64  # no key given: a random one
