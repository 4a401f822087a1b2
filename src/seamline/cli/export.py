"""`seamline runs export --otlp`: recorded runs sent to an OpenTelemetry collector as traces.

The spans are built from each run's log through the reducer (`seamline.otel.export`), so a
run that was not traced while it ran can still be looked at in Jaeger, Tempo, Phoenix or
Langfuse afterwards, with the times it happened.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.table import Table

from seamline.cli._common import STORE_HELP, console, fail, print_json, store_url
from seamline.cli._common import run_or_fail as _run
from seamline.events import RunStatus
from seamline.store import open_store

ENDPOINT_HELP = (
    "The collector's OTLP/HTTP base URL (http://host:4318) or its /v1/traces URL. Default: "
    "$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT, else "
    "http://localhost:4318. Headers (an API key) come from $OTEL_EXPORTER_OTLP_HEADERS."
)


def export_command(
    run_ids: Annotated[
        list[str] | None,
        typer.Argument(help="The runs to export (default: the runs --status/--pipeline select)."),
    ] = None,
    otlp: Annotated[
        bool, typer.Option("--otlp", help="Send the runs as traces over OTLP/HTTP (protobuf).")
    ] = False,
    endpoint: Annotated[str | None, typer.Option(help=ENDPOINT_HELP)] = None,
    status: Annotated[
        str | None, typer.Option(help="Without RUN_IDS: only runs with this status.")
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option(help="Without RUN_IDS: only runs of this pipeline.")
    ] = None,
    limit: Annotated[
        int, typer.Option(help="Without RUN_IDS: at most this many, newest first.")
    ] = 50,
    content: Annotated[
        bool,
        typer.Option(
            "--content",
            help="Include prompts, responses, artifacts and tool arguments (secrets are "
            "redacted either way). Off by default: they may hold personal data.",
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds the collector has per batch.")] = 10.0,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was sent as JSON.")] = False,
) -> None:
    """Send recorded runs to an OpenTelemetry collector as traces, built from their logs.

    Each run becomes one trace (the same ids every time it is exported), with a span per
    session, attempt, model call, tool call, context read, gate and wait for a person.

    Example:

        seamline runs export 18a2f0c3b1-4c2d1e0001 --otlp --endpoint http://localhost:4318
        seamline runs export --otlp --pipeline claims --status failed --json
    """
    if not otlp:
        raise fail("say where the runs go: --otlp (an OpenTelemetry collector)", code=2)
    try:
        wanted = RunStatus(status) if status else None
    except ValueError:
        raise fail(
            f"unknown status {status!r}; use one of {[s.value for s in RunStatus]}"
        ) from None
    try:
        from seamline.otel.export import DEFAULT_ENDPOINT, export_runs
    except ImportError as e:
        raise fail(
            f"exporting traces needs OpenTelemetry's SDK ({e}); pip install 'seamline[otel]'"
        ) from None
    url = (
        endpoint
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or DEFAULT_ENDPOINT
    )

    async def go() -> Any:
        opened = await open_store(store_url(store))
        try:
            ids = list(run_ids or ())
            if not ids:
                found = await opened.runs(status=wanted, pipeline=pipeline, limit=limit)
                ids = [r.run_id for r in found]
            if not ids:
                return None
            return await export_runs(
                opened, ids, endpoint=url, content=content, send_timeout=timeout
            )
        finally:
            await opened.close()

    exported = _run(go())
    if exported is None:
        if as_json:
            print_json({"endpoint": url, "runs": []})
        else:
            console.print("no runs to export")
        return
    if as_json:
        print_json({"endpoint": exported.endpoint, "runs": exported.runs})
        return
    table = Table("run", "trace id", "spans")
    for r in exported.runs:
        table.add_row(r["run_id"], r["trace_id"], str(r["spans"]))
    console.print(table)
    console.print(
        f"sent {exported.spans} spans of {len(exported.runs)} runs to {exported.endpoint}"
    )
