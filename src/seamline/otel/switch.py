"""Whether a run is traced, decided once per run, when it starts.

Tracing is on for a run when `seamline.otel.instrument()` was called, or, by default, when
the process has an OpenTelemetry tracer provider configured (anything but the API's
placeholder: `opentelemetry.trace.set_tracer_provider`, `logfire.configure()`, the
`opentelemetry-instrument` launcher), or when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `seamline[otel]` is installed: seamline
then sets up the SDK with OTLP/HTTP exporters itself (`seamline.otel.setup`).
`seamline.otel.uninstrument()` switches it off whatever is configured, and so does
`OTEL_SDK_DISABLED=true`. The environment is read when the first run starts (as the SDK
reads it when it is set up); `seamline.otel.reset()` reads it again.

When it is off, `for_run` is the whole cost: it imports nothing, and a run executes exactly
as it would without this package.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seamline.otel.live import LiveTrace
    from seamline.otel.metrics import Meters

_logger = logging.getLogger("seamline")

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


class Tracing:
    """Where a traced run's telemetry goes: a tracer, and meters and a logger if there is
    a meter or logger provider; and whether message content is recorded."""

    def __init__(
        self,
        tracer_provider: Any,
        meter_provider: Any = None,
        logger_provider: Any = None,
        content: bool = False,
    ) -> None:
        from seamline import __version__
        from seamline.otel import conventions as c
        from seamline.otel.metrics import Meters

        self.tracer_provider = tracer_provider
        self.tracer = tracer_provider.get_tracer(c.SCOPE, __version__, schema_url=c.SCHEMA_URL)
        self.meters: Meters | None = None
        if meter_provider is not None:
            meter = meter_provider.get_meter(c.SCOPE, __version__, schema_url=c.SCHEMA_URL)
            self.meters = Meters(meter)
        self.logger = None
        if logger_provider is not None:
            self.logger = logger_provider.get_logger(c.SCOPE, __version__, schema_url=c.SCHEMA_URL)
        self.content = content

    def new_run(self, run_id: str) -> LiveTrace:
        from seamline.otel.live import LiveTrace

        return LiveTrace(self, run_id)


class _Switch:
    __slots__ = ("cache", "env_read", "mode", "tracing")

    def __init__(self) -> None:
        self.mode = "auto"  # "auto", "on" (instrument()), "off" (uninstrument())
        self.tracing: Tracing | None = None  # instrument()'s
        # auto: (the global tracer provider, its Tracing, or None for the API's placeholder
        # once the environment named no endpoint), so a run asks again only if it changed.
        self.cache: tuple[Any, Tracing | None] | None = None
        # The environment is read when the first run starts (as the SDK reads it when it
        # is set up), not for every run; `reset()` reads it again.
        self.env_read = False


_switch = _Switch()


def for_run(run_id: str) -> LiveTrace | None:
    """The tracing of a run about to start, or None (the common case: nothing configured)."""
    switch = _switch
    if switch.mode == "auto":
        tracing = _auto(switch)
    elif switch.mode == "on":
        tracing = switch.tracing
    else:
        return None
    return tracing.new_run(run_id) if tracing is not None else None


def _auto(switch: _Switch) -> Tracing | None:
    api = sys.modules.get("opentelemetry.trace")
    provider = None
    if api is not None:
        provider = api.get_tracer_provider()
        cached = switch.cache
        if cached is not None and cached[0] is provider:
            return cached[1]
        if not isinstance(provider, api.ProxyTracerProvider | api.NoOpTracerProvider):
            tracing = None
            if not _disabled():
                tracing = Tracing(provider, _global_meters(), _global_logs(), _content_env())
            switch.cache = (provider, tracing)
            return tracing
    if switch.env_read:
        if provider is not None:
            switch.cache = (provider, None)  # the placeholder, and no endpoint: not traced
        return None
    switch.env_read = True
    environ = os.environ
    if _ENDPOINTS[0] not in environ and _ENDPOINTS[1] not in environ:
        return None
    if _disabled():
        return None
    try:
        from seamline.otel.setup import configure_from_env
    except ImportError as e:
        _logger.warning(
            "seamline: %s is set, but OpenTelemetry's SDK is not installed (%s); runs are not "
            "traced. Install it: pip install 'seamline[otel]'",
            _ENDPOINTS[0] if _ENDPOINTS[0] in environ else _ENDPOINTS[1],
            e,
        )
        return None
    if not configure_from_env():
        return None
    return _auto(switch)


def _disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def _content_env() -> bool:
    return os.environ.get(CONTENT_ENV, "").strip().lower() in ("true", "1", "yes")


def _global_meters() -> Any:
    from opentelemetry import metrics

    provider = metrics.get_meter_provider()
    if type(provider).__name__ in ("_ProxyMeterProvider", "NoOpMeterProvider"):
        return None
    return provider


def _global_logs() -> Any:
    try:
        from opentelemetry import _logs
    except ImportError:  # an API too old to have the logs signal
        return None
    provider = _logs.get_logger_provider()
    # The API's placeholders (no provider set) are named like these in every version.
    if type(provider).__name__ in ("ProxyLoggerProvider", "NoOpLoggerProvider"):
        return None
    return provider


def instrument(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
    capture_content: bool | None = None,
) -> None:
    """Trace every run from now on, whatever the process has configured.

    Args:
        tracer_provider: where spans go (default: the global tracer provider).
        meter_provider: where metrics go (default: the global meter provider, if set).
        logger_provider: where `gen_ai.evaluation.result` log events go, beside the span
            events (default: the global logger provider, if set).
        capture_content: record prompts, model responses, artifacts, tool arguments and
            results, and reviewers (default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`,
            else off). Secrets are redacted either way.

    Example:
        ```python
        from opentelemetry.sdk.trace import TracerProvider
        import seamline.otel

        seamline.otel.instrument(tracer_provider=TracerProvider(), capture_content=False)
        ```
    """
    from opentelemetry import trace

    _switch.tracing = Tracing(
        tracer_provider if tracer_provider is not None else trace.get_tracer_provider(),
        meter_provider if meter_provider is not None else _global_meters(),
        logger_provider if logger_provider is not None else _global_logs(),
        capture_content if capture_content is not None else _content_env(),
    )
    _switch.mode = "on"


def uninstrument() -> None:
    """Trace no run from now on, whatever the process has configured."""
    _switch.mode = "off"
    _switch.tracing = None


def reset() -> None:
    """Back to the default: trace runs when the process has OpenTelemetry configured."""
    _switch.mode = "auto"
    _switch.tracing = None
    _switch.cache = None
    _switch.env_read = False
