"""`seamline run`: run a pipeline once, with a live view of its steps."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from seamline.cli._common import (
    STORE_HELP,
    GateMode,
    console,
    fail,
    load_pipeline,
    print_json,
    read_json_file,
    store_hint,
    store_url,
)
from seamline.events import (
    Event,
    GateEvaluated,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from seamline.exceptions import ConfigError, RunFailed, SeamlineError
from seamline.models.registry import preload
from seamline.pipeline import Pipeline
from seamline.redact import scrub
from seamline.runtime.result import RunResult
from seamline.store import open_store


class StepBoard:
    """A live table: one row per step with its state, attempts and last verdict."""

    def __init__(self, pipe: Pipeline) -> None:
        self.rows: dict[str, list[str]] = {name: ["waiting", "0", ""] for name in pipe.steps}

    def see(self, event: Event) -> None:
        step = getattr(event, "step", None)
        if step not in self.rows:
            return
        row = self.rows[step]
        if isinstance(event, StepStarted):
            row[0], row[1] = "[yellow]running[/]", str(event.attempt)
        elif isinstance(event, StepFinished):
            row[0] = "[green]done[/]"
        elif isinstance(event, StepErrored):
            row[0], row[2] = "[red]errored[/]", escape(scrub(event.error)[:60])
        elif isinstance(event, StepSkipped):
            row[0] = "[dim]skipped[/]"
        elif isinstance(event, GateEvaluated):
            reasons = "passed" if event.verdict.passed else "; ".join(event.verdict.reasons)
            row[2] = escape(reasons[:60])
            if not event.verdict.passed:
                row[0] = f"[magenta]{escape(event.action)}[/]"

    def render(self) -> Table:
        table = Table("step", "state", "attempt", "gate", box=None)
        for name, (state, attempt, gate) in self.rows.items():
            table.add_row(escape(name), state, attempt, gate)
        return table


class _Watched:
    """Wraps a store so the board sees every batch as it is written."""

    def __init__(self, store: Any, board: StepBoard, live: Live) -> None:
        self._store, self._board, self._live = store, board, live
        self.url = store.url
        self.append_never_yields = getattr(store, "append_never_yields", False)

    async def append(self, run_id: str, events: Any) -> None:
        await self._store.append(run_id, events)
        for e in events:
            self._board.see(e)
        self._live.update(self._board.render())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def run_command(
    target: Annotated[
        str, typer.Argument(help="The pipeline: path/to/pipeline.py:pipe or module:pipe.")
    ],
    input: Annotated[
        Path,
        typer.Option("--input", "-i", help="JSON file: an object with a value per pipeline input."),
    ],
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    gates: Annotated[
        GateMode, typer.Option(help="on (gates act), shadow (record only), off.")
    ] = GateMode.ON,
    model: Annotated[
        str | None, typer.Option(help="Default model, e.g. local or openai:gpt-4o-mini.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON, no live view.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Run it on Temporal: temporal://host:7233?namespace=...&task_queue=... "
            "(workers: seamline worker). Default: in this process."
        ),
    ] = None,
) -> None:
    """Run a pipeline once on the inputs in a JSON file, showing each step as it goes.

    Exits 0 when the run succeeded or waits for a person, 1 when it failed.

    Example:

        seamline run examples/claims/pipeline.py:pipe --input claim.json --store sqlite:///runs.db

        seamline run examples/claims/pipeline.py:pipe --input claim.json --store sqlite:///runs.db --engine temporal://127.0.0.1:7233
    """
    try:
        if engine is None:  # the embedded model loads while the pipeline and store open
            preload(model)
        pipe = load_pipeline(target)
        if engine is None and model is None:
            preload(pipe.model)
        pipe.validate()
        inputs = read_json_file(input, "--input")
        if not isinstance(inputs, dict):
            raise ConfigError(
                f"--input {input} holds a JSON {_kind(inputs)}; it must hold an object with "
                f"a value per input of pipeline {pipe.name!r}: {sorted(pipe.inputs)}"
            )
    except SeamlineError as e:
        raise fail(str(e)) from None
    mode = cast(Literal["on", "shadow", "off"], str(gates.value))

    async def go() -> RunResult:
        opened = await open_store(store_url(store))
        try:
            if engine is not None:  # its workers write the log: nothing to watch here
                return await pipe.run(
                    inputs,
                    store=opened,
                    gates=mode,
                    model=model,
                    raise_on_failure=False,
                    engine=engine,
                )
            if as_json:
                return await pipe.run(
                    inputs, store=opened, gates=mode, model=model, raise_on_failure=False
                )
            board = StepBoard(pipe)
            with Live(board.render(), console=console, refresh_per_second=8) as live:
                watched = _Watched(opened, board, live)
                return await pipe.run(
                    inputs, store=watched, gates=mode, model=model, raise_on_failure=False
                )
        finally:
            await opened.close()

    try:
        result = asyncio.run(go())
    except SeamlineError as e:
        raise fail(str(e)) from None
    error = scrub(str(result.error)) if result.error else None
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "status": result.status,
                "artifacts": result.artifacts,
                "error": error,
            }
        )
    else:
        console.print(f"run [bold]{result.run_id}[/] {result.status.value}")
        if isinstance(result.error, RunFailed) and error:
            console.print(f"[red]{escape(error)}[/]")
        hint = store_hint(store)
        console.print(f"see it with: seamline show {result.run_id}{escape(hint)}")
        if result.pending_approvals:
            console.print(f"decide it with: seamline approvals{escape(hint)}")
    raise typer.Exit(0 if result.status.value in ("succeeded", "waiting", "needs_review") else 1)


def _kind(value: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )
