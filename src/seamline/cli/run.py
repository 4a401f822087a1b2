"""`seamline run`: run a pipeline once, with a live view of its steps."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from seamline.cli._common import (
    STORE_HELP,
    console,
    fail,
    gate_mode,
    load_pipeline,
    print_json,
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
from seamline.exceptions import RunFailed, SeamlineError
from seamline.pipeline import Pipeline
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
            row[0], row[2] = "[red]errored[/]", event.error[:60]
        elif isinstance(event, StepSkipped):
            row[0] = "[dim]skipped[/]"
        elif isinstance(event, GateEvaluated):
            row[2] = ("passed" if event.verdict.passed else "; ".join(event.verdict.reasons))[:60]
            if not event.verdict.passed:
                row[0] = f"[magenta]{event.action}[/]"

    def render(self) -> Table:
        table = Table("step", "state", "attempt", "gate", box=None)
        for name, (state, attempt, gate) in self.rows.items():
            table.add_row(name, state, attempt, gate)
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
    gates: Annotated[str, typer.Option(help="on (gates act), shadow (record only), off.")] = "on",
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

    Example:

        seamline run examples/claims/pipeline.py:pipe --input claim.json --store sqlite:///runs.db

        seamline run examples/claims/pipeline.py:pipe --input claim.json --store sqlite:///runs.db --engine temporal://127.0.0.1:7233
    """
    try:
        pipe = load_pipeline(target)
        pipe.validate()
        inputs = json.loads(input.read_text())
    except (SeamlineError, OSError, json.JSONDecodeError) as e:
        raise fail(str(e)) from None

    mode = gate_mode(gates)

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
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "status": result.status,
                "artifacts": result.artifacts,
                "error": str(result.error) if result.error else None,
            }
        )
    else:
        console.print(f"run [bold]{result.run_id}[/] {result.status.value}")
        if isinstance(result.error, RunFailed):
            console.print(f"[red]{result.error}[/]")
        console.print(f"see it with: seamline show {result.run_id}")
    raise typer.Exit(0 if result.status.value in ("succeeded", "waiting", "needs_review") else 1)
