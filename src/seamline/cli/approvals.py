"""Commands for humans in the loop: the approval inbox, decisions, the feedback dataset."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from pydantic_core import to_jsonable_python
from rich.markup import escape

from seamline.approvals import Decision, decide
from seamline.cli._common import (
    PIPELINE_HELP,
    STORE_HELP,
    Column,
    console,
    fail,
    print_json,
    read_json_file,
    run_or_fail,
    store_hint,
    store_url,
    table,
    trusted_pipeline,
)
from seamline.events import TOOL_CALL
from seamline.exceptions import ApprovalError, SeamlineError
from seamline.feedback import agreement, feedback_rows, write_rows
from seamline.runtime.state import fold
from seamline.store import open_store
from seamline.tools.approval import describe_call

FINGERPRINT_HELP = (
    "The fingerprint you were shown (`seamline approvals`; for a tool call, the call's): "
    "the decision is refused if the approval waiting is not that."
)

__all__ = [
    "approvals_command",
    "approve_command",
    "feedback_app",
    "feedback_export_command",
    "reject_command",
]

feedback_app = typer.Typer(help="The dataset of human decisions.", no_args_is_help=True)


def approvals_command(
    limit: Annotated[
        int, typer.Option(min=0, help="At most this many, newest first; 0 lists them all.")
    ] = 50,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List approvals waiting for a decision, newest first.

    Example:

        seamline approvals --limit 20 --json
    """

    async def go() -> tuple[list[Any], dict[str, dict[str, Any]]]:
        opened = await open_store(store_url(store), access="read")
        try:
            pending = await opened.pending_approvals(limit=limit or None, newest_first=True)
            return pending, await _tool_calls(opened, pending)
        finally:
            await opened.close()

    pending, calls = run_or_fail(go())
    if as_json:
        rows = []
        for a in pending:
            row = to_jsonable_python(a)
            if a.approval_id in calls:  # what a person approves: the exact call
                row["tool_call"] = calls[a.approval_id]
            rows.append(row)
        print_json(rows)
        return
    if not pending:
        console.print("no approvals waiting")
        return
    columns = [
        Column("approval", keep=True),
        Column("pipeline"),
        Column("step", least=6),
        Column("why", least=8),
        Column("waiting since", keep=True),
    ]
    rows = [
        [
            a.approval_id,
            a.pipeline,
            a.step + ("" if a.index is None else f"[{a.index}]"),
            a.reason,
            dt.datetime.fromtimestamp(a.requested_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for a in pending
    ]
    typer.echo(table(columns, rows))
    if limit and len(pending) == limit:
        typer.echo(f"(the newest {limit}; --limit 0 lists them all)")
    # A tool call is shown whole, below the table: a person approves exactly this.
    for a in pending:
        if a.approval_id in calls:
            typer.echo("")
            typer.echo(describe_call(a.approval_id, calls[a.approval_id], store_hint(store)))
    typer.echo("")
    typer.echo(f"decide with: seamline approve APPROVAL_ID{store_hint(store)}")


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
    as_json: bool,
    reason_code: str | None = None,
    fingerprint: str | None = None,
) -> None:
    async def go() -> Any:
        opened = await open_store(store_url(store), access="write")
        try:
            record = await opened.approval(approval_id)
            if record is None:
                raise ApprovalError(
                    f"no approval {approval_id!r} in {opened.url}; `seamline approvals"
                    f"{store_hint(store)}` lists the pending ones"
                )
            if not record.pending:
                raise ApprovalError(
                    f"approval {approval_id!r} is not pending: it was decided, or its work "
                    "was redone meanwhile; `seamline approvals` lists the pending ones"
                )
            pipe, events = await trusted_pipeline(opened, record.run_id, pipeline)
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
            if resume:
                try:
                    engine = getattr(events[0], "options", {}).get("engine") if events else None
                    if engine:  # the run's workflow writes the decision and goes on
                        settled = await _settled_on_temporal(pipe, opened, run_id, approval_id)
                        return run_id, settled
                    return run_id, await pipe.resume(run_id, store=opened, raise_on_failure=False)
                except SeamlineError as e:  # the decision is recorded: say so, and why not on
                    return run_id, e
            return run_id, None
        finally:
            await opened.close()

    run_id, result = run_or_fail(go())
    outcome: dict[str, Any] = {"approval_id": approval_id, "decision": decision, "run_id": run_id}
    if result is not None:
        from seamline.cli.runs import _outcome

        outcome["resumed"] = _outcome(run_id, result)
    if as_json:
        print_json(outcome)
    else:
        console.print(f"approval {escape(approval_id)}: {decision}")
        resumed = outcome.get("resumed")
        if resumed is not None and resumed["resumed"]:
            console.print(
                f"run [bold]{escape(run_id)}[/] resumed: {resumed['status']}"
                + (f": {escape(resumed['error'])}" if resumed["error"] else ""),
                soft_wrap=True,
            )
        elif resumed is not None:
            console.print(
                f"run [bold]{escape(run_id)}[/] [red]not resumed[/]: {escape(resumed['error'])}; "
                f"the decision is recorded: `seamline resume {run_id}{store_hint(store)}` "
                "continues it",
                soft_wrap=True,
            )
        else:
            console.print(
                f"resume it with: seamline resume {escape(run_id)}{escape(store_hint(store))}"
            )
    resumed = outcome.get("resumed")
    bad = resumed is not None and (not resumed["resumed"] or resumed["status"] == "failed")
    raise typer.Exit(1 if bad else 0)


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
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
    Exits 1 if the decision is refused (nothing is written) or the resumed run fails.

    Example:

        seamline approve 18a2f0c3b1-4c2d1e0001.12 --reviewer ana --edit fixed_claim.json
        seamline approve 18a2f0c3b1-4c2d1e0001.7 --fingerprint 3f2a... --arguments '{"message": "Fix typo"}'
    """
    if edit is not None and arguments is not None:
        raise fail("give --edit (an artifact) or --arguments (a tool call's), not both")
    try:
        artifact = read_json_file(edit, "--edit") if edit else None
    except SeamlineError as e:
        raise fail(str(e)) from None
    if arguments is not None:
        try:
            artifact = {"arguments": json.loads(arguments)}
        except json.JSONDecodeError as e:
            raise fail(
                f"--arguments is not JSON ({e}): give an object, e.g. '{{\"x\": 1}}'"
            ) from None
    _decide(
        approval_id,
        "edit" if artifact is not None else "approve",
        store=store,
        reason=None,
        edit=artifact,
        reviewer=reviewer,
        route_to=None,
        pipeline=pipeline,
        resume=resume,
        as_json=as_json,
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
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
        as_json=as_json,
        reason_code=code,
        fingerprint=fingerprint,
    )


class FeedbackFormat(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"


@feedback_app.command("export")
def feedback_export_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the dataset.")
    ] = Path("feedback.jsonl"),
    fmt: Annotated[
        FeedbackFormat, typer.Option("--format", help="jsonl, or parquet (the parquet extra).")
    ] = FeedbackFormat.JSONL,
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

    async def go() -> tuple[Any, list[str]]:
        opened = await open_store(store_url(store), access="read")
        try:
            logs, damaged = await _readable_logs(opened, pipeline)
            return feedback_rows(logs), damaged
        finally:
            await opened.close()

    rows, damaged = run_or_fail(go())
    try:
        write_rows(rows, output, fmt.value)
    except SeamlineError as e:
        raise fail(str(e)) from None
    except OSError as e:
        raise fail(f"cannot write {output}: {e.strerror or e}") from None
    agree = agreement(rows)
    simulated = sum(r.reviewer_kind == "simulated" for r in rows)
    if as_json:
        print_json(
            {
                "rows": len(rows),
                "simulated": simulated,
                "output": str(output),
                "agreement": to_jsonable_python(agree),
                "damaged_runs": damaged,
            }
        )
    else:
        console.print(f"{len(rows)} decisions written to {escape(str(output))}")
        if simulated:
            console.print(
                f"  {simulated} of them simulated (reviewer_kind=simulated): not counted as "
                "human agreement"
            )
        for step, a in agree.items():
            console.print(
                f"  gate on {escape(step)}: human agreed with the gate on {a['agree']:.0f} of "
                f"{a['decisions']:.0f} ({a['rate']:.0%})"
            )
    if damaged:
        raise fail(
            f"{len(damaged)} damaged run(s) left out of the dataset: {', '.join(damaged)} "
            "(`seamline show RUN_ID` says where each is damaged)"
        )


async def _readable_logs(store: Any, pipeline: str | None) -> tuple[dict[str, Any], list[str]]:
    """Every run's log, but the damaged ones, which are named instead."""
    from seamline.exceptions import RunCorrupted

    logs: dict[str, Any] = {}
    damaged: list[str] = []
    for summary in await store.runs(pipeline=pipeline):
        try:
            logs[summary.run_id] = await store.load(summary.run_id)
        except RunCorrupted:
            damaged.append(summary.run_id)
    return logs, damaged
