"""Traces over OTLP/HTTP to a real receiver on loopback: `seamline runs export --otlp` after
the fact, and a process whose environment names a collector tracing its runs live."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import seamline as sl
import seamline.otel
from seamline.cli import app

from .collector import Collector, attributes, serving
from .pipelines import Doc, claims_pipeline, scripted

collector = pytest.fixture(serving)


@pytest.fixture
def untraced() -> Iterator[None]:
    seamline.otel.uninstrument()  # the run is recorded, not traced: the export traces it
    yield
    seamline.otel.reset()


async def recorded_run(store: str) -> str:
    """A finished run with a retry, a map, a reroute and an approval, in two sessions."""
    pipe = claims_pipeline(scripted())
    waiting = await pipe.run(
        {"doc": Doc(text="Ana Ruiz claims $15750 for storm damage.")}, store=store
    )
    (pending,) = waiting.pending_approvals
    done = await pipe.decide(pending.approval_id, "approve", store=store, reviewer="ana")
    assert done is not None and done.status is sl.RunStatus.SUCCEEDED
    return waiting.run_id


def export(collector: Collector, store: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app,
        [
            "runs",
            "export",
            *args,
            "--otlp",
            "--endpoint",
            collector.url,
            "--store",
            store,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_runs_export_sends_a_recorded_run_as_a_trace(
    collector: Collector, untraced: None, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = asyncio.run(recorded_run(store))

    sent = export(collector, store, run_id)
    (summary,) = sent["runs"]  # type: ignore[misc]
    assert sent["endpoint"] == f"{collector.url}/v1/traces"
    assert summary["run_id"] == run_id

    received = collector.received.spans()
    assert len(received) == summary["spans"]
    resource, _ = received[0]
    assert resource["service.name"] == "seamline"
    spans = [span for _, span in received]
    assert {span.trace_id.hex() for span in spans} == {summary["trace_id"]}
    names = sorted(span.name for span in spans)
    assert names.count("invoke_workflow otel-claims") == 2  # the start, and the resume
    assert names.count("step claim") == 3  # caught, accepted, accepted again after the reroute
    assert names.count("step checked") == 6  # three items, twice
    assert names.count("chat scripted") == 5  # three extractions, two judge calls
    assert names.count("gate decision") == 2
    assert names.count("approval decision") == 1

    by_id = {span.span_id: span for span in spans}
    first, second = sorted(
        (s for s in spans if s.name.startswith("invoke_workflow")),
        key=lambda s: s.start_time_unix_nano,
    )
    assert not first.parent_span_id and by_id[second.parent_span_id] is first
    assert [link.span_id for link in second.links] == [first.span_id]
    assert attributes(first.attributes)["gen_ai.conversation.id"] == run_id
    assert attributes(first.attributes)["gen_ai.operation.name"] == "invoke_workflow"
    assert attributes(second.attributes)["seamline.run.status"] == "succeeded"

    caught = next(
        s
        for s in spans
        if s.name == "step claim" and attributes(s.attributes)["seamline.attempt"] == 1
    )
    assert by_id[caught.parent_span_id] is first
    assert attributes(caught.attributes)["seamline.outcome"] == "retry"
    (evaluation,) = caught.events
    assert evaluation.name == "gen_ai.evaluation.result"
    assert attributes(evaluation.attributes) == {
        "gen_ai.evaluation.name": "amount is grounded",
        "gen_ai.evaluation.score.label": "fail",
        "gen_ai.evaluation.explanation": "amount 99 is not in the document",
        "seamline.check.kind": "check",
    }
    inside = sorted(s.name for s in spans if s.parent_span_id == caught.span_id)
    assert inside == ["chat scripted", "gate claim"]
    (chat,) = [s for s in spans if s.parent_span_id == caught.span_id and s.name.startswith("chat")]
    chat_attributes = attributes(chat.attributes)
    assert chat_attributes["gen_ai.operation.name"] == "chat"
    assert chat_attributes["gen_ai.usage.input_tokens"] > 0
    assert chat.kind == chat.SPAN_KIND_CLIENT
    assert "gen_ai.input.messages" not in chat_attributes  # content only when asked for
    judge = next(
        s
        for s in spans
        if s.name == "chat scripted" and by_id[s.parent_span_id].name == "gate decision"
    )
    assert attributes(judge.attributes)["seamline.call.purpose"] == "judge"
    for span in spans:  # the log's times, not the export's
        assert 0 < span.start_time_unix_nano <= span.end_time_unix_nano

    # Exported again, with content: the same trace, the same span ids; the prompts are in.
    again = export(collector, store, run_id, "--content")
    assert again["runs"] == sent["runs"]
    later = [span for _, span in collector.received.spans()[len(spans) :]]
    assert {s.span_id for s in later} == {s.span_id for s in spans}
    chats = [attributes(s.attributes) for s in later if s.name == "chat scripted"]
    assert all("gen_ai.input.messages" in a for a in chats)
    assert "15750" in chats[0]["gen_ai.input.messages"]


def test_runs_export_selects_runs_by_pipeline(
    collector: Collector, untraced: None, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = asyncio.run(recorded_run(store))
    sent = export(collector, store, "--pipeline", "otel-claims")
    assert [r["run_id"] for r in sent["runs"]] == [run_id]  # type: ignore[attr-defined]
    assert export(collector, store, "--pipeline", "nothing-by-this-name") == {
        "endpoint": collector.url,
        "runs": [],
    }


def test_runs_export_says_when_no_collector_listens(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    result = CliRunner().invoke(
        app,
        [
            "runs",
            "export",
            "no-such-run",
            "--otlp",
            "--endpoint",
            f"http://127.0.0.1:{port}",
            "--store",
            store,
        ],
    )
    assert result.exit_code == 1
    assert "no-such-run" in result.output


def test_runs_export_fails_clearly_when_the_collector_is_down(
    untraced: None, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = asyncio.run(recorded_run(store))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(
        app,
        ["runs", "export", run_id, "--otlp", "--endpoint", f"http://127.0.0.1:{port}",
         "--timeout", "0.5", "--store", store],
    )  # fmt: skip
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"http://127.0.0.1:{port}/v1/traces did not accept the spans" in said
    assert "is a collector listening there" in said


def test_runs_export_needs_a_destination(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["runs", "export", "--store", f"sqlite:///{tmp_path}/r.db"])
    assert result.exit_code == 2
    assert "--otlp" in result.output


LIVE = textwrap.dedent(
    """
    import asyncio, json, sys
    sys.path.insert(0, {tests!r})
    from otel.pipelines import Doc, claims_pipeline, scripted

    async def main():
        pipe = claims_pipeline(scripted())
        run = await pipe.run({{"doc": Doc(text="Ana claims $15750.")}}, store="memory://")
        print(json.dumps({{"run_id": run.run_id, "traceparent": run.events[0].options["traceparent"]}}))

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_a_process_with_an_otlp_endpoint_traces_its_runs(collector: Collector) -> None:
    """Nothing configured in code: `OTEL_EXPORTER_OTLP_ENDPOINT` and the otel extra are
    enough; spans and metrics reach the collector by the time the process exits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "claims-service",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme",
    }
    script = LIVE.format(tests=str(Path(__file__).parent.parent))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout.strip().splitlines()[-1])
    _, trace_id, session_id, _ = run["traceparent"].split("-")

    received = collector.received.spans()
    assert {resource["service.name"] for resource, _ in received} == {"claims-service"}
    spans = [span for _, span in received]
    assert {span.trace_id.hex() for span in spans} == {trace_id}
    (root,) = [s for s in spans if s.name == "invoke_workflow otel-claims"]
    assert root.span_id.hex() == session_id  # the log says where the trace is
    assert attributes(root.attributes)["gen_ai.conversation.id"] == run["run_id"]
    assert sum(s.name == "step claim" for s in spans) == 3
    assert all(h.get("x-tenant") == "acme" for h in collector.received.headers)
    assert {
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "seamline.seam.passes",
        "seamline.seam.catches",
        "seamline.runs",
    } <= collector.received.metric_names()
