"""Commands for humans in the loop: the approval inbox, decisions, the feedback dataset."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from pydantic_core import to_jsonable_python
from rich.table import Table

from seamline.approvals import Decision, decide
from seamline.cli._common import STORE_HELP, console, fail, pipeline_for_run, print_json, store_url
from seamline.cli.runs import PIPELINE_HELP, _run
from seamline.events import TOOL_CALL
from seamline.feedback import agreement, feedback_rows, load_logs, write_rows
from seamline.runtime.state import fold
from seamline.store import open_store
from seamline.tools.approval import describe

FINGERPRINT_HELP = (
    "The fingerprint you were shown (`seamline approvals`; for a tool call, the call's): "
    "the decision is refused if the approval waiting is not that."
)

feedback_app = typer.Typer(help="The dataset of human decisions.", no_args_is_help=True)


def approvals_command(
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List approvals waiting for a decision, oldest first.

    Example:

        seamline approvals --json
    """

    async def go() -> list[dict[str, Any]]:
        opened = await open_store(store_url(store))
        try:
            pending = await opened.pending_approvals()
            calls = await _tool_calls(opened, pending)
        finally:
            await opened.close()
        rows = []
        for a in pending:
            row = to_jsonable_python(a)
            if a.approval_id in calls:  # what a person approves: the exact call
                row["tool_call"] = calls[a.approval_id]
            rows.append(row)
        return rows

    pending = _run(go())
    if as_json:
        print_json(pending)
        return
    table = Table("approval", "pipeline", "step", "why", "waiting since", "call")
    for a in pending:
        item = "" if a["index"] is None else f"[{a['index']}]"
        since = dt.datetime.fromtimestamp(a["requested_at"]).strftime("%Y-%m-%d %H:%M")
        call = describe(a["tool_call"]) if "tool_call" in a else ""
        table.add_row(a["approval_id"], a["pipeline"], a["step"] + item, a["reason"], since, call)
    console.print(table if pending else "no approvals waiting")


async def _tool_calls(store: Any, pending: list[Any]) -> dict[str, dict[str, Any]]:
    """What each pending tool-call approval shows (tool, server, arguments, fingerprint,
    the tool's input schema), read from its run's log through the reducer."""
    out: dict[str, dict[str, Any]] = {}
    for run_id in {a.run_id for a in pending if a.reason == TOOL_CALL}:
        state = fold(run_id, await store.load(run_id))
        for request in state.pending_approvals:
            if request.reason == TOOL_CALL and isinstance(request.artifact, dict):
                out[request.approval_id] = request.artifact
    return out


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
    fingerprint: str | None = None,
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
                expected=fingerprint,
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
    fingerprint: Annotated[str | None, typer.Option(help=FINGERPRINT_HELP)] = None,
    arguments: Annotated[
        str | None,
        typer.Option(
            help="For a tool call: the JSON arguments to make it with instead (checked "
            "against the tool's input schema)."
        ),
    ] = None,
) -> None:
    """Approve a pending approval (optionally with an edited artifact), then resume its run.

    A tool call's approval (`seamline approvals` shows its exact arguments and
    fingerprint) is approved as shown, or with other `--arguments`.

    Example:

        seamline approve 18a2f0c3b1-4c2d1e0001.12 --reviewer ana --edit fixed_claim.json
        seamline approve 18a2f0c3b1-4c2d1e0001.7 --fingerprint 3f2a... --arguments '{"message": "Fix typo"}'
    """
    if edit is not None and arguments is not None:
        raise fail("give --edit (an artifact) or --arguments (a tool call's), not both")
    changed: Any = json.loads(edit.read_text()) if edit else None
    if arguments is not None:
        try:
            changed = {"arguments": json.loads(arguments)}
        except json.JSONDecodeError as e:
            raise fail(
                f"--arguments is not JSON ({e}): give an object, e.g. '{{\"x\": 1}}'"
            ) from None
    _decide(
        approval_id,
        "edit" if changed is not None else "approve",
        store=store,
        reason=None,
        edit=changed,
        reviewer=reviewer,
        route_to=None,
        pipeline=pipeline,
        resume=resume,
        fingerprint=fingerprint,
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
    fingerprint: Annotated[str | None, typer.Option(help=FINGERPRINT_HELP)] = None,
) -> None:
    """Reject a pending approval with a reason; the work goes back with it as feedback
    (a rejected tool call is not made, and the model is told the reason).

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
        fingerprint=fingerprint,
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
