"""Commands over stored runs: list, show, resume, replay."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python
from rich.markup import escape

from seamline.cli._common import (
    PIPELINE_HELP,
    STORE_HELP,
    Column,
    console,
    print_json,
    run_or_fail,
    store_url,
    table,
    trusted_pipeline,
)
from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    RunFinished,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
    ToolCalled,
)
from seamline.exceptions import SeamlineError
from seamline.redact import Scrubber
from seamline.runtime.state import fold
from seamline.store import open_store
from seamline.tools.approval import describe

__all__ = ["replay_command", "resume_command", "runs_command", "show_command"]


def _when(ts: float, seconds: bool = True) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def runs_command(
    ctx: typer.Context,
    status: Annotated[RunStatus | None, typer.Option(help="Only runs with this status.")] = None,
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List runs, newest first.

    Example:

        seamline runs --status waiting --pipeline claims --json
        seamline runs export --otlp --pipeline claims
    """
    if ctx.invoked_subcommand is not None:
        return  # `seamline runs export ...`: the listing options are not used

    async def go() -> list[Any]:
        opened = await open_store(store_url(store), access="read")
        try:
            return await opened.runs(status=status, pipeline=pipeline, limit=limit)
        finally:
            await opened.close()

    found = run_or_fail(go())
    if as_json:
        clean = Scrubber()
        print_json(
            [{**to_jsonable_python(r), "error": clean(r.error or "") or None} for r in found]
        )
        return
    if not found:
        console.print("no runs" + (f" with status {status.value}" if status else ""))
        return
    columns = [
        Column("run", keep=True),
        Column("pipeline"),
        Column("status", keep=True),
        Column("started", keep=True),
        Column("error", least=5),
    ]
    rows = [
        [r.run_id, r.pipeline, r.status.value, _when(r.created_at, False), r.error or ""]
        for r in found
    ]
    typer.echo(table(columns, rows))
    if len(found) == limit:
        typer.echo(f"(the newest {limit}; --limit shows more)")


def show_command(
    run_id: Annotated[str, typer.Argument(help="The run to show.")],
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole log as JSON.")] = False,
) -> None:
    """Show a run: its attempts, verdicts, model calls, approvals and artifacts, in full.

    Example:

        seamline show 18a2f0c3b1-4c2d1e0001
    """

    async def go() -> list[Event]:
        opened = await open_store(store_url(store), access="read")
        try:
            return await opened.load(run_id)
        finally:
            await opened.close()

    events = run_or_fail(go())
    clean = Scrubber()
    if as_json:
        text = json.dumps(
            [{"kind": type(e).__name__, **to_jsonable_python(e)} for e in events],
            indent=2,
            ensure_ascii=False,
        )
        typer.echo(clean(text))
        return
    started = events[0]
    assert isinstance(started, RunStarted)  # the store checks every log starts so
    console.print(
        f"[bold]{escape(run_id)}[/]  pipeline [bold]{escape(started.pipeline)}[/]  "
        f"gates {escape(str(started.options.get('gates')))}  started {_when(started.at)}",
        soft_wrap=True,
    )
    for line in _timeline(events, clean):
        console.print(line, soft_wrap=True, highlight=False)
    reads = [e for e in events if isinstance(e, ContextRead)]
    if reads:
        for line in _outdated(store, reads):
            console.print(line, soft_wrap=True, highlight=False)


def _text(value: Any, clean: Scrubber) -> str:
    """A stored value as the terminal shows it: JSON, secrets scrubbed, never markup."""
    if isinstance(value, str):
        return escape(clean(value))
    return escape(clean(json.dumps(to_jsonable_python(value), ensure_ascii=False)))


def _timeline(events: list[Event], clean: Scrubber) -> list[str]:
    lines = []
    for e in events:
        index = getattr(e, "index", None)
        item = "" if index is None else escape(f"[{index}]")
        step = escape(str(getattr(e, "step", "")))
        if isinstance(e, StepStarted):
            lines.append(
                f"  {step}{item} attempt {e.attempt} started"
                + (f" on {escape(e.model)}" if e.model else "")
            )
        elif isinstance(e, StepFinished):
            lines.append(
                f"  {step}{item} attempt {e.attempt} [green]finished[/]: {_text(e.artifact, clean)}"
            )
        elif isinstance(e, StepErrored):
            lines.append(
                f"  {step}{item} attempt {e.attempt} [red]{escape(e.kind)}[/]: {_text(e.error, clean)}"
            )
        elif isinstance(e, StepSkipped):
            lines.append(f"  {step} [dim]skipped[/]: {_text(e.reason, clean)}")
        elif isinstance(e, ModelCalled):
            lines.append(
                f"    model {escape(e.model)} ({escape(e.purpose)}): "
                f"{e.input_tokens}+{e.output_tokens} tokens, {e.seconds:.2f} s"
                + (f", [red]{_text(e.error, clean)}[/]" if e.error else "")
            )
        elif isinstance(e, ToolCalled):
            color = "green" if e.outcome == "ok" else "red" if e.outcome == "failed" else "yellow"
            lines.append(
                f"    tool {escape(e.tool)}({_text(e.request, clean)}): "
                f"[{color}]{escape(e.outcome)}[/], {e.seconds:.2f} s"
                + (f", {_text(e.error, clean)}" if e.error else "")
                + (f" (approval {escape(e.approval_id)})" if e.approval_id else "")
            )
        elif isinstance(e, ContextRead):
            found = ", ".join(
                f"{p['document']}#{p['chunk']}@{p['version'][:8]} ({p['score']:.3f})"
                for p in e.passages[:5]
            )
            more = f" +{len(e.passages) - 5}" if len(e.passages) > 5 else ""
            what = "examples" if e.kind == "examples" else "read"
            lines.append(
                f"    [cyan]{what}[/] {escape(e.collection)}@r{e.revision} "
                f"{_text(repr(e.query[:60]), clean)}: {_text(found or 'nothing', clean)}{more}"
            )
        elif isinstance(e, GateEvaluated):
            if e.verdict.passed:
                lines.append("    gate [green]passed[/]")
            else:
                reasons = _text("; ".join(e.verdict.reasons), clean)
                lines.append(f"    gate [magenta]failed → {escape(e.action)}[/]: {reasons}")
        elif isinstance(e, ApprovalRequested):
            call = f": {_text(describe(e.artifact), clean)}" if e.reason == TOOL_CALL else ""
            lines.append(
                f"  [yellow]approval {escape(e.approval_id)}[/] requested on {step}{item} "
                f"({escape(e.reason)}){call}"
            )
        elif isinstance(e, ApprovalDecided):
            lines.append(
                f"  [yellow]approval {escape(e.approval_id)}[/] {escape(e.decision)} by "
                f"{escape(e.reviewer or '?')}"
                + (" (simulated, not a person)" if e.reviewer_kind == "simulated" else "")
                + (f": {_text(e.reason, clean)}" if e.reason else "")
                + (f"; edited to {_text(e.edit, clean)}" if e.edit is not None else "")
            )
        elif isinstance(e, RunFinished):
            lines.append(
                f"  run [bold]{escape(e.status.value)}[/]"
                + (f": {_text(e.error, clean)}" if e.error else "")
            )
    return lines


def _outcome(run_id: str, result: Any) -> dict[str, Any]:
    """What a resumed (or replayed) run ended as, for --json and the terminal."""
    if isinstance(result, SeamlineError):
        return {
            "run_id": run_id,
            "resumed": False,
            "status": None,
            "error": Scrubber()(str(result)),
        }
    return {
        "run_id": run_id,
        "resumed": True,
        "status": result.status.value,
        "error": Scrubber()(str(result.error)) if result.error else None,
    }


def print_outcomes(outcomes: list[dict[str, Any]], verb: str = "resumed") -> None:
    for o in outcomes:
        if o.get("already"):
            console.print(
                f"run [bold]{escape(o['run_id'])}[/] is already {o['status']}; there is "
                "nothing to continue" + (f": {escape(o['error'])}" if o["error"] else ""),
                soft_wrap=True,
            )
            continue
        if not o["resumed"]:
            console.print(
                f"run [bold]{escape(o['run_id'])}[/] [red]not {verb}[/]: {escape(o['error'])}",
                soft_wrap=True,
            )
            continue
        console.print(
            f"run [bold]{escape(o['run_id'])}[/] {verb}: {o['status']}"
            + (f": {escape(o['error'])}" if o["error"] else ""),
            soft_wrap=True,
        )


def failed(outcomes: list[dict[str, Any]]) -> bool:
    return any(
        o["status"] == RunStatus.FAILED.value or (not o["resumed"] and not o.get("already"))
        for o in outcomes
    )


_FINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


def _outdated(store: str | None, reads: list[ContextRead]) -> list[str]:
    """Lines naming the documents this run read that have changed since."""
    from seamline.context.provenance import outdated

    try:
        changed = run_or_fail(outdated(store_url(store), reads))
    except typer.Exit:
        return ["  [dim](the context store could not be opened to compare versions)[/]"]
    return [
        f"  [yellow]outdated[/]: {escape(c.collection)}/{escape(c.document)} was read at "
        f"version {c.read[:8]}, " + (f"now {c.current[:8]}" if c.current else "since removed")
        for c in changed
    ]


def resume_command(
    run_id: Annotated[
        str | None, typer.Argument(help="The run to continue (or --interrupted for all).")
    ] = None,
    interrupted: Annotated[
        bool,
        typer.Option(
            "--interrupted", help="Resume every run whose process died (listed as interrupted)."
        ),
    ] = False,
    pipeline: Annotated[str | None, typer.Option(help=PIPELINE_HELP)] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    model: Annotated[
        str | None, typer.Option(help="Default model, if the run used one given at run time.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each run's outcome as JSON.")
    ] = False,
) -> None:
    """Continue a run from its log: after a crash, or once its approvals are decided.

    Completed attempts are never run again; an attempt that was in flight runs again
    with the same idempotency key. The pipeline's code is the one --pipeline names, or
    the one seamline.toml [pipelines] registers under the run's pipeline name: never
    code the store names. Exits 1 if a run failed, or could not be resumed (another
    process drives it, its pipeline is not configured, ...).

    Example:

        seamline resume 18a2f0c3b1-4c2d1e0001 --store sqlite:///runs.db

        seamline resume --interrupted --pipeline examples/claims/pipeline.py:pipe
    """
    if (run_id is None) == (not interrupted):
        raise typer.BadParameter(
            "give a RUN_ID, or --interrupted to resume every interrupted run",
            param_hint="RUN_ID",
        )

    async def one(opened: Any, rid: str) -> dict[str, Any]:
        pipe, events = await trusted_pipeline(opened, rid, pipeline)
        before = fold(rid, events)
        if before.status in _FINAL:  # nothing to continue: say so, with what ended it
            return {
                "run_id": rid,
                "resumed": False,
                "status": before.status.value,
                "error": Scrubber()(before.error) if before.error else None,
                "already": True,
            }
        return _outcome(
            rid, await pipe.resume(rid, store=opened, model=model, raise_on_failure=False)
        )

    async def go() -> list[dict[str, Any]]:
        opened = await open_store(store_url(store), access="write")
        try:
            if run_id is not None:
                return [await one(opened, run_id)]
            name = None
            if pipeline is not None:  # only the runs that pipeline can continue
                from seamline.registry import load_pipeline

                name = load_pipeline(pipeline).name
            done: list[dict[str, Any]] = []
            for summary in await opened.runs(status=RunStatus.INTERRUPTED, pipeline=name):
                try:
                    done.append(await one(opened, summary.run_id))
                except SeamlineError as e:  # one run that cannot go on must not stop the rest
                    done.append(_outcome(summary.run_id, e))
            return done
        finally:
            await opened.close()

    outcomes = run_or_fail(go())
    if as_json:
        print_json(outcomes)
    elif not outcomes:
        console.print("no interrupted runs")
    else:
        print_outcomes(outcomes)
    raise typer.Exit(1 if failed(outcomes) else 0)


def replay_command(
    run_id: Annotated[str, typer.Argument(help="The recorded run to replay.")],
    pipeline: Annotated[str | None, typer.Option(help=PIPELINE_HELP)] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Re-run a recorded run offline, against its recorded model and tool calls.

    Reports the first request that differs from the recording (a changed prompt, a
    changed step), naming the step, and exits 1. The store is only read.

    Example:

        seamline replay 18a2f0c3b1-4c2d1e0001 --pipeline examples/claims/pipeline.py:pipe
    """

    async def go() -> Any:
        opened = await open_store(store_url(store), access="read")
        try:
            pipe, _ = await trusted_pipeline(opened, run_id, pipeline)
            return await pipe.replay(run_id, store=opened)
        finally:
            await opened.close()

    result = run_or_fail(go())
    if as_json:
        print_json({"run_id": run_id, "replayed": True, "status": result.status.value})
        return
    console.print(
        f"run [bold]{escape(run_id)}[/] replays: {result.status.value}, every request as recorded"
    )
