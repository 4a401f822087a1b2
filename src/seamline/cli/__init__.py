"""The `seamline` command line. Every command has `--help` with an example.

Exit codes: 0 the command did what was asked; 1 it could not (a failed run, a refused
decision, a store that cannot be read, a pass rate below its threshold); 2 the command
line is wrong (an unknown option, a value that is not one of the choices).
"""

from __future__ import annotations

from typing import Annotated

import typer

from seamline.cli.approvals import (
    approvals_command,
    approve_command,
    feedback_app,
    reject_command,
)
from seamline.cli.calibrate import calibrate_command
from seamline.cli.context import context_app
from seamline.cli.demo import demo_command
from seamline.cli.eval import eval_command
from seamline.cli.export import export_command
from seamline.cli.mcp import mcp_app
from seamline.cli.run import run_command
from seamline.cli.runs import replay_command, resume_command, runs_command, show_command
from seamline.cli.ui import ui_command
from seamline.cli.worker import dev_server_command, worker_command

EXIT_CODES = (
    "Exit codes: 0 done; 1 not done (a failed run, a refused decision, a store that "
    "cannot be read, a pass rate below --min-pass-rate); 2 a mistake in the command line."
)

app = typer.Typer(
    name="seamline",
    help="seamline: multi-step AI pipelines with typed handoffs, verification gates at every "
    "seam, durable runs, and measured reliability.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from seamline import __version__

        typer.echo(f"seamline {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print seamline's version and exit."
        ),
    ] = False,
) -> None:
    """seamline: multi-step AI pipelines with typed handoffs, verification gates at every
    seam, durable runs, and measured reliability."""


app.command("demo")(demo_command)
app.command("run")(run_command)
app.command("eval")(eval_command)
runs_app = typer.Typer(invoke_without_command=True)  # `seamline runs` lists; its commands act
runs_app.callback()(runs_command)
runs_app.command("export")(export_command)
app.add_typer(runs_app, name="runs")
app.command("show")(show_command)
app.command("resume")(resume_command)
app.command("replay")(replay_command)
app.command("approvals")(approvals_command)
app.command("approve")(approve_command)
app.command("reject")(reject_command)
app.command("calibrate")(calibrate_command)
app.command("ui")(ui_command)
app.command("worker")(worker_command)
app.command("dev-server")(dev_server_command)
app.add_typer(feedback_app, name="feedback")
app.add_typer(context_app, name="context")
app.add_typer(mcp_app, name="mcp")


def main() -> None:
    app()
