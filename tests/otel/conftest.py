"""In-memory OpenTelemetry providers for the otel tests, and ways to read what they got."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import seamline.otel


@dataclass
class Otel:
    tracer_provider: TracerProvider
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    logs: InMemoryLogRecordExporter

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str, **attributes: Any) -> ReadableSpan:
        found = [
            s
            for s in self.named(name)
            if all(s.attributes.get(k) == v for k, v in attributes.items())  # type: ignore[union-attr]
        ]
        assert len(found) == 1, (name, attributes, [dict(s.attributes or {}) for s in found])
        return found[0]

    def parent_of(self, span: ReadableSpan) -> ReadableSpan | None:
        if span.parent is None:
            return None
        for s in self.spans:
            if s.context.span_id == span.parent.span_id:
                return s
        return None

    def children(self, span: ReadableSpan) -> list[ReadableSpan]:
        return [
            s
            for s in self.spans
            if s.parent is not None and s.parent.span_id == span.context.span_id
        ]

    def metric(self, name: str) -> dict[frozenset[tuple[str, Any]], Any]:
        """Data points of a metric by their attributes: a counter's value, a histogram's
        (count, sum)."""
        points: dict[frozenset[tuple[str, Any]], Any] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for p in metric.data.data_points:
                        key = frozenset((p.attributes or {}).items())
                        value = getattr(p, "value", None)
                        points[key] = value if value is not None else (p.count, p.sum)  # type: ignore[attr-defined]
        return points

    def counts(self, name: str, attribute: str) -> dict[Any, Any]:
        """A counter's values keyed by one attribute."""
        return {dict(k)[attribute]: v for k, v in self.metric(name).items()}


@pytest.fixture
def otel() -> Iterator[Otel]:
    tracer_provider = TracerProvider()
    exporter = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    logger_provider = LoggerProvider()
    logs = InMemoryLogRecordExporter()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    seamline.otel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        capture_content=False,
    )
    yield Otel(tracer_provider, exporter, reader, logs)
    seamline.otel.reset()
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()
