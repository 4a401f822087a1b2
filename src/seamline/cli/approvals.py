"""Commands for humans in the loop: the approval inbox, decisions, the feedback dataset."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from seamline.approvals import Decision, decide
from seamline.cli._common import STORE_HELP, console, fail, pipeline_for_run, print_json, store_url
from seamline.cli.runs import PIPELINE_HELP, _run
from seamline.feedback import agreement, feedback_rows, load_logs, write_rows
from seamline.store import open_store

feedback_app = typer.Typer(help="The dataset of human decisions.", no_args_is_help=True)


def approvals_command(
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List approvals waiting for a decision, oldest first.

    Example:

        seamline approvals --json
    """

    async def go() -> list[Any]:
        opened = await open_store(store_url(store))
        try:
            return await opened.pending_approvals()
        finally:
            await opened.close()

    pending = _run(go())
    if as_json:
        print_json(pending)
        return
    table = Table("approval", "pipeline", "step", "why", "waiting since")
    for a in pending:
        item = "" if a.index is None else f"[{a.index}]"
        since = dt.datetime.fromtimestamp(a.requested_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(a.approval_id, a.pipeline, a.step + item, a.reason, since)
    console.print(table if pending else "no approvals waiting")


def _decide(
    approval_id: str,
    decision: str,
    *,
    store: str | None,
    reason: str | None,
    edit: Any,
    reviewer: str | None,
    route_to: str | None,
    pipeline: str | None,
    resume: bool,
    reason_code: str | None = None,
) -> None:
    async def go() -> Any:
        opened = await open_store(store_url(store))
        try:
            pending = {a.approval_id: a for a in await opened.pending_approvals()}
            run_id = pending[approval_id].run_id if approval_id in pending else None
            events = await opened.load(run_id) if run_id else []
            pipe = pipeline_for_run(events, pipeline) if run_id else None
            run_id = await decide(
                opened,
                approval_id,
                cast(Decision, decision),
                reason=reason,
                edit=edit,
                reviewer=reviewer,
                route_to=route_to,
                pipeline=pipe,
                reason_code=reason_code,
            )
            if resume and pipe is not None:
                engine = getattr(events[0], "options", {}).get("engine") if events else None
                if engine:  # the run's workflow writes the decision and goes on
                    return await _settled_on_temporal(pipe, opened, run_id, approval_id)
                return await pipe.resume(run_id, store=opened, raise_on_failure=False)
            return None
        finally:
            await opened.close()

    result = _run(go())
    console.print(f"approval {approval_id}: {decision}")
    if result is not None:
        console.print(f"run [bold]{result.run_id}[/] resumed: {result.status.value}")


async def _settled_on_temporal(
    pipe: Any, store: Any, run_id: str, approval_id: str, wait: float = 10.0
) -> Any:
    """The run once its workflow wrote the decision and moved on; None when no worker
    took it up within `wait` seconds (Temporal keeps the decision until one does)."""
    from seamline.engines.temporal.client import settle

    try:
        return await settle(
            pipe, store, run_id, decided=approval_id, wait=wait, raise_on_failure=False
        )
    except TimeoutError:
        console.print(
            f"sent to the workflow of run {run_id}; it is applied when a worker runs "
            "(seamline worker PIPELINE --temporal URL)"
        )
        return None


def approve_command(
    approval_id: Annotated[str, typer.Argument(help="From `seamline approvals`.")],
    edit: Annotated[
        Path | None,
        typer.Option(
            help="A JSON file with a corrected artifact, which replaces it (validated against its type)."
        ),
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Who decided (for the feedback dataset).")
    ] = None,
    pipeline: Annotated[str | None, typer.Option(help=PIPELINE_HELP)] = None,
    resume: Annotated[bool, typer.Option(help="Resume the run right away.")] = True,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
) -> None:
    """Approve a pending approval (optionally with an edited artifact), then resume its run.

    Example:

        seamline approve 18a2f0c3b1-4c2d1e0001.12 --reviewer ana --edit fixed_claim.json
    """
    artifact = json.loads(edit.read_text()) if edit else None
    _decide(
        approval_id,
        "edit" if edit else "approve",
        store=store,
        reason=None,
        edit=artifact,
        reviewer=reviewer,
        route_to=None,
        pipeline=pipeline,
        resume=resume,
    )


def reject_command(
    approval_id: Annotated[str, typer.Argument(help="From `seamline approvals`.")],
    reason: Annotated[
        str, typer.Option(help="Why: becomes the feedback for the step that redoes the work.")
    ],
    route_to: Annotated[
        str | None, typer.Option(help="Send the work to this earlier step instead.")
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(help="A category for the reason (e.g. wrong_value), kept beside it."),
    ] = None,
    reviewer: Annotated[str | None, typer.Option(help="Who decided.")] = None,
    pipeline: Annotated[str | None, typer.Option(help=PIPELINE_HELP)] = None,
    resume: Annotated[bool, typer.Option(help="Resume the run right away.")] = True,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
) -> None:
    """Reject a pending approval with a reason; the work goes back with it as feedback.

    Example:

        seamline reject 18a2f0c3b1-4c2d1e0001.12 --reason "amount is net of deductible" --code wrong_value
    """
    _decide(
        approval_id,
        "reject",
        store=store,
        reason=reason,
        edit=None,
        reviewer=reviewer,
        route_to=route_to,
        pipeline=pipeline,
        resume=resume,
        reason_code=code,
    )


@feedback_app.command("export")
def feedback_export_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the dataset.")
    ] = Path("feedback.jsonl"),
    fmt: Annotated[str, typer.Option("--format", help="jsonl or parquet.")] = "jsonl",
    pipeline: Annotated[str | None, typer.Option(help="Only this pipeline's runs.")] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the judge/human agreement as JSON.")
    ] = False,
) -> None:
    """Export every decision (artifact judged, decision, reason, edit, reviewer and whether
    a person or a simulated reviewer made it, timestamps, the gate verdicts it confirmed or
    overrode), and print judge/human agreement per gate (human decisions only).

    Example:

        seamline feedback export --format parquet -o decisions.parquet
    """

    async def go() -> Any:
        opened = await open_store(store_url(store))
        try:
            return feedback_rows(await load_logs(opened, pipeline=pipeline))
        finally:
            await opened.close()

    rows = _run(go())
    try:
        write_rows(rows, output, fmt)
    except Exception as e:
        raise fail(str(e)) from None
    agree = agreement(rows)
    simulated = sum(r.reviewer_kind == "simulated" for r in rows)
    if as_json:
        print_json(
            {"rows": len(rows), "simulated": simulated, "output": str(output), "agreement": agree}
        )
        return
    console.print(f"{len(rows)} decisions written to {output}")
    if simulated:
        console.print(
            f"  {simulated} of them simulated (reviewer_kind=simulated): not counted as human agreement"
        )
    for step, a in agree.items():
        console.print(
            f"  gate on {step}: human agreed with the gate on {a['agree']:.0f} of {a['decisions']:.0f} ({a['rate']:.0%})"
        )
