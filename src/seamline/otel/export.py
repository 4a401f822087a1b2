"""Recorded runs as traces, after the fact: `seamline runs export --otlp`.

A run's log holds everything its trace shows, with the times it happened, so any run in a
store (traced when it ran or not) can be sent to a collector later. The spans are built by
the same `RunTrace` a live run uses, from the log through the reducer; their ids are
derived from the run id and the log, so sending a run twice gives the same trace (a new
trace id, not the live run's: a run traced live is not duplicated into its own trace).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from seamline import __version__
from seamline.events import Event
from seamline.exceptions import ConfigError
from seamline.otel import conventions as c
from seamline.otel.ids import DerivedIds
from seamline.otel.setup import resource
from seamline.otel.spans import RunTrace
from seamline.store.base import RunStore

DEFAULT_ENDPOINT = "http://localhost:4318"
BATCH = 512


@dataclass
class Exported:
    """What an export sent."""

    endpoint: str
    runs: list[dict[str, Any]] = field(default_factory=list)  # run id, trace id, spans

    @property
    def spans(self) -> int:
        return sum(r["spans"] for r in self.runs)


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector's base URL (as `OTEL_EXPORTER_OTLP_ENDPOINT`
    gives it), or the traces URL itself."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def build_spans(
    runs: Sequence[tuple[str, Sequence[Event]]], *, content: bool = False
) -> tuple[list[ReadableSpan], list[dict[str, Any]]]:
    """The spans of recorded runs (run id, its log), and per run its trace id and span count."""
    ids = DerivedIds()
    provider = TracerProvider(
        resource=resource(), id_generator=ids, sampler=ALWAYS_ON, shutdown_on_exit=False
    )
    collect = _Collect()
    provider.add_span_processor(collect)
    tracer = provider.get_tracer(c.SCOPE, __version__, schema_url=c.SCHEMA_URL)
    summary = []
    for run_id, events in runs:
        ids.run_id = run_id
        before = len(collect.spans)
        spans = RunTrace(tracer, run_id, content=content, ids=ids)
        for event in events:
            spans.feed(event)
        spans.finish()
        summary.append(
            {
                "run_id": run_id,
                "trace_id": f"{ids.generate_trace_id():032x}",
                "spans": len(collect.spans) - before,
            }
        )
    return collect.spans, summary


async def export_runs(
    store: RunStore,
    run_ids: Sequence[str],
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    content: bool = False,
    exporter: SpanExporter | None = None,
    send_timeout: float = 10.0,
) -> Exported:
    """Send recorded runs to an OTLP/HTTP collector as traces.

    Args:
        endpoint: the collector's base URL (`http://host:4318`) or its `/v1/traces` URL.
            Headers (an API key, say) come from `OTEL_EXPORTER_OTLP_HEADERS`, never from
            an argument that would land in a shell history.
        content: include prompts, responses, artifacts and tool arguments.
        exporter: where the spans go instead (tests).
        send_timeout: seconds the collector has to answer each batch.

    Raises:
        StoreError: a run is not in the store.
        ConfigError: the collector did not accept the spans.
    """
    runs = [(run_id, await store.load(run_id)) for run_id in run_ids]
    spans, summary = build_spans(runs, content=content)
    url = traces_url(endpoint)
    sender = exporter or OTLPSpanExporter(endpoint=url, timeout=send_timeout)
    try:
        for start in range(0, len(spans), BATCH):
            result = sender.export(spans[start : start + BATCH])
            if result is not SpanExportResult.SUCCESS:
                raise ConfigError(
                    f"the OTLP endpoint {url} did not accept the spans: is a collector "
                    "listening there (OTLP over HTTP, usually port 4318)? Set --endpoint or "
                    "OTEL_EXPORTER_OTLP_ENDPOINT"
                )
    finally:
        sender.shutdown()
    return Exported(url, summary)
