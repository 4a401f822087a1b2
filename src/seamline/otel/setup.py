"""Set up OpenTelemetry's SDK from the standard environment, for a process that has none.

Used when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set and nothing has
configured a tracer provider: traces (and, unless `OTEL_METRICS_EXPORTER=none`, metrics)
go over OTLP/HTTP to that endpoint, batched, and are flushed when the process exits. The
exporters read the rest of the standard variables themselves (`OTEL_EXPORTER_OTLP_HEADERS`,
`..._TIMEOUT`, `..._COMPRESSION`, ...); the resource reads `OTEL_SERVICE_NAME` (default
"seamline") and `OTEL_RESOURCE_ATTRIBUTES`. The providers become the process's global ones,
so other instrumentation (pydantic-ai's, an HTTP client's) reports to the same place.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_logger = logging.getLogger("seamline")


def resource() -> Resource:
    return Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or "seamline"})


def configure_from_env() -> bool:
    """Install global tracer and meter providers exporting over OTLP/HTTP. False when the
    environment asks for no traces (`OTEL_TRACES_EXPORTER=none`)."""
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip().lower()
    if protocol != "http/protobuf":
        _logger.warning(
            "seamline: OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported; sending OTLP over "
            "http/protobuf (the collector's port 4318)",
            protocol,
        )
    shared = resource()
    tracer_provider = TracerProvider(resource=shared)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    if os.environ.get("OTEL_METRICS_EXPORTER", "otlp").strip().lower() != "none":
        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        metrics.set_meter_provider(MeterProvider(resource=shared, metric_readers=[reader]))
    return True
