"""Commands over stored runs: list, show, resume, replay."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python
from rich.table import Table

from seamline.cli._common import STORE_HELP, console, fail, pipeline_for_run, print_json, store_url
from seamline.events import (
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
from seamline.store import open_store

PIPELINE_HELP = "The pipeline's code, path/to/pipeline.py:pipe (default: the file that defined it)."


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def runs_command(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only runs with this status (running, interrupted, waiting, needs_review, succeeded, failed, cancelled)."
        ),
    ] = None,
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
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
    try:
        wanted = RunStatus(status) if status else None
    except ValueError:
        raise fail(
            f"unknown status {status!r}; use one of {[s.value for s in RunStatus]}"
        ) from None

    async def go() -> list[Any]:
        opened = await open_store(store_url(store))
        try:
            return await opened.runs(status=wanted, pipeline=pipeline, limit=limit)
        finally:
            await opened.close()

    found = _run(go())
    if as_json:
        print_json(found)
        return
    table = Table("run", "pipeline", "status", "started", "updated", "error")
    for r in found:
        table.add_row(
            r.run_id,
            r.pipeline,
            r.status.value,
            _when(r.created_at),
            _when(r.updated_at),
            (r.error or "")[:60],
        )
    console.print(table if found else "no runs")


def show_command(
    run_id: Annotated[str, typer.Argument(help="The run to show.")],
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole log as JSON.")] = False,
) -> None:
    """Show a run: its attempts, verdicts, model calls, approvals and artifacts.

    Example:

        seamline show 18a2f0c3b1-4c2d1e0001
    """
    events = _run(_load(store, run_id))
    if as_json:
        print_json([{"kind": type(e).__name__, **to_jsonable_python(e)} for e in events])
        return
    started = events[0]
    assert isinstance(started, RunStarted)
    console.print(
        f"[bold]{run_id}[/]  pipeline [bold]{started.pipeline}[/]  gates {started.options.get('gates')}  started {_when(started.at)}"
    )
    for line in _timeline(events):
        console.print(line)
    reads = [e for e in events if isinstance(e, ContextRead)]
    if reads:
        for line in _outdated(store, reads):
            console.print(line)


def _timeline(events: list[Event]) -> list[str]:
    lines = []
    for e in events:
        item = "" if getattr(e, "index", None) is None else f"[{e.index}]"  # type: ignore[attr-defined]
        if isinstance(e, StepStarted):
            lines.append(
                f"  {e.step}{item} attempt {e.attempt} started"
                + (f" on {e.model}" if e.model else "")
            )
        elif isinstance(e, StepFinished):
            text = str(to_jsonable_python(e.artifact))
            lines.append(f"  {e.step}{item} attempt {e.attempt} [green]finished[/]: {text[:100]}")
        elif isinstance(e, StepErrored):
            lines.append(f"  {e.step}{item} attempt {e.attempt} [red]{e.kind}[/]: {e.error[:100]}")
        elif isinstance(e, StepSkipped):
            lines.append(f"  {e.step} [dim]skipped[/]: {e.reason}")
        elif isinstance(e, ModelCalled):
            lines.append(
                f"    model {e.model} ({e.purpose}): {e.input_tokens}+{e.output_tokens} tokens, {e.seconds:.2f} s"
                + (f", [red]{e.error[:80]}[/]" if e.error else "")
            )
        elif isinstance(e, ToolCalled):
            color = "green" if e.outcome == "ok" else "red" if e.outcome == "failed" else "yellow"
            args = json.dumps(e.request, ensure_ascii=False)[:60]
            lines.append(
                f"    tool {e.tool}({args}): [{color}]{e.outcome}[/], {e.seconds:.2f} s"
                + (f", {e.error[:80]}" if e.error else "")
            )
        elif isinstance(e, ContextRead):
            found = ", ".join(
                f"{p['document']}#{p['chunk']}@{p['version'][:8]} ({p['score']:.3f})"
                for p in e.passages[:5]
            )
            more = f" +{len(e.passages) - 5}" if len(e.passages) > 5 else ""
            what = "examples" if e.kind == "examples" else "read"
            lines.append(
                f"    [cyan]{what}[/] {e.collection}@r{e.revision} {e.query[:60]!r}: "
                f"{found or 'nothing'}{more}"
            )
        elif isinstance(e, GateEvaluated):
            mark = "[green]passed[/]" if e.verdict.passed else f"[magenta]failed → {e.action}[/]"
            reasons = "" if e.verdict.passed else ": " + "; ".join(e.verdict.reasons)[:120]
            lines.append(f"    gate {mark}{reasons}")
        elif isinstance(e, ApprovalRequested):
            lines.append(
                f"  [yellow]approval {e.approval_id}[/] requested on {e.step}{item} ({e.reason})"
            )
        elif isinstance(e, ApprovalDecided):
            lines.append(
                f"  [yellow]approval {e.approval_id}[/] {e.decision} by {e.reviewer or '?'}"
                + (" (simulated, not a person)" if e.reviewer_kind == "simulated" else "")
                + (f": {e.reason}" if e.reason else "")
            )
        elif isinstance(e, RunFinished):
            lines.append(f"  run [bold]{e.status.value}[/]" + (f": {e.error}" if e.error else ""))
    return lines


def _outdated(store: str | None, reads: list[ContextRead]) -> list[str]:
    """Lines naming the documents this run read that have changed since."""
    from seamline.context.provenance import outdated

    try:
        changed = _run(outdated(store_url(store), reads))
    except typer.Exit:
        return ["  [dim](the context store could not be opened to compare versions)[/]"]
    return [
        f"  [yellow]outdated[/]: {c.collection}/{c.document} was read at version {c.read[:8]}, "
        + (f"now {c.current[:8]}" if c.current else "since removed")
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
) -> None:
    """Continue a run from its log: after a crash, or once its approvals are decided.

    Completed attempts are never run again; an attempt that was in flight runs again
    with the same idempotency key. A run another process drives is left alone (exit 1).

    Example:

        seamline resume 18a2f0c3b1-4c2d1e0001 --store sqlite:///runs.db
        seamline resume --interrupted
    """
    if (run_id is None) == (not interrupted):
        raise fail("give a RUN_ID, or --interrupted to resume every interrupted run", code=2)

    async def one(opened: Any, rid: str) -> Any:
        pipe = pipeline_for_run(await opened.load(rid), pipeline)
        return await pipe.resume(rid, store=opened, model=model, raise_on_failure=False)

    async def go() -> list[tuple[str, Any]]:
        opened = await open_store(store_url(store))
        try:
            if run_id is not None:
                return [(run_id, await one(opened, run_id))]
            done: list[tuple[str, Any]] = []
            for summary in await opened.runs(status=RunStatus.INTERRUPTED):
                try:
                    done.append((summary.run_id, await one(opened, summary.run_id)))
                except SeamlineError as e:  # one run that cannot go on must not stop the rest
                    done.append((summary.run_id, e))
            return done
        finally:
            await opened.close()

    results = _run(go())
    if not results:
        console.print("no interrupted runs")
    failed = False
    for rid, result in results:
        if isinstance(result, SeamlineError):
            failed = True
            console.print(f"run [bold]{rid}[/] [red]not resumed[/]: {result}")
            continue
        failed |= result.status is RunStatus.FAILED
        console.print(
            f"run [bold]{rid}[/] {result.status.value}"
            + (f": {result.error}" if result.error else "")
        )
    raise typer.Exit(1 if failed else 0)


def replay_command(
    run_id: Annotated[str, typer.Argument(help="The recorded run to replay.")],
    pipeline: Annotated[str | None, typer.Option(help=PIPELINE_HELP)] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
) -> None:
    """Re-run a recorded run offline, against its recorded model and tool calls.

    Reports the first request that differs from the recording (a changed prompt, a
    changed step), naming the step, and exits 1.

    Example:

        seamline replay 18a2f0c3b1-4c2d1e0001
    """

    async def go() -> Any:
        opened = await open_store(store_url(store))
        try:
            pipe = pipeline_for_run(await opened.load(run_id), pipeline)
            return await pipe.replay(run_id, store=opened)
        finally:
            await opened.close()

    result = _run(go())
    console.print(
        f"run [bold]{run_id}[/] replays: {result.status.value}, every request as recorded"
    )


async def _load(store: str | None, run_id: str) -> list[Event]:
    opened = await open_store(store_url(store))
    try:
        return await opened.load(run_id)
    finally:
        await opened.close()


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except SeamlineError as e:
        raise fail(str(e)) from None
