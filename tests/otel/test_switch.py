"""Whether a run is traced: decided once, when it starts, from what the process configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

import seamline.otel
from seamline.otel.live import LiveTrace
from seamline.otel.switch import for_run


@pytest.fixture(autouse=True)
def default_switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    seamline.otel.reset()
    yield
    seamline.otel.reset()


def test_nothing_configured_means_no_tracing() -> None:
    assert for_run("r1") is None


def test_instrument_and_uninstrument_decide_in_code() -> None:
    seamline.otel.instrument(tracer_provider=TracerProvider())
    assert isinstance(for_run("r1"), LiveTrace)
    seamline.otel.uninstrument()
    assert for_run("r2") is None
    seamline.otel.reset()
    assert for_run("r3") is None


def test_an_endpoint_with_the_sdk_disabled_traces_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert for_run("r1") is None


def test_an_endpoint_with_traces_exporter_none_traces_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert for_run("r1") is None
    assert for_run("r2") is None  # decided once: not set up again for every run
