"""`seamline calibrate`: each judge's agreement with human decisions, and a better threshold."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.table import Table

from seamline.cli._common import STORE_HELP, console, fail, load_pipeline, print_json, store_url
from seamline.exceptions import SeamlineError


def calibrate_command(
    target: Annotated[str, typer.Argument(help="The pipeline: path/to/pipeline.py:pipe.")],
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Per judge: how often it agreed with the humans who decided on the same work, and
    the threshold that would have agreed most. Simulated reviewers are left out.

    Example:

        seamline calibrate examples/claims/pipeline.py:pipe --json
    """
    from seamline.calibration import calibrate
    from seamline.feedback import load_logs
    from seamline.store import open_store

    async def go() -> Any:
        pipe = load_pipeline(target)
        plan = pipe.validate()
        thresholds = {
            (gate.step, judge.name): judge.threshold
            for gate in plan.gates.values()
            for judge in gate.judges
        }
        opened = await open_store(store_url(store))
        try:
            logs = await load_logs(opened, pipeline=pipe.name)
        finally:
            await opened.close()
        return calibrate(logs, thresholds)

    try:
        found = asyncio.run(go())
    except SeamlineError as e:
        raise fail(str(e)) from None
    if as_json:
        print_json([c.as_dict() for c in found])
        return
    if not found:
        console.print("the pipeline has no judges, and no judge scored work a person decided on")
        return
    table = Table(
        "gate",
        "judge",
        "threshold",
        "human decisions",
        "agreement",
        "best threshold",
        "would agree",
        "simulated (left out)",
    )
    for c in found:
        rate = (
            f"{c.rate:.0%} [{c.interval[0]:.0%}, {c.interval[1]:.0%}]"
            if c.rate is not None
            else "-"
        )
        best = f"{c.best_rate:.0%}" if c.best_rate is not None else "-"
        table.add_row(
            c.step,
            c.judge,
            f"{c.threshold:.2f}" if c.threshold is not None else "-",
            str(c.decisions),
            rate,
            f"{c.best_threshold:.2f}" if c.best_threshold is not None else "-",
            best,
            str(c.simulated),
        )
    console.print(table)
    if all(c.decisions == 0 for c in found):
        console.print(
            "no human decision on judged work yet: decide approvals (`seamline approvals`) to calibrate"
        )
