"""`seamline eval`: the Coordination Gap report for any pipeline and dataset."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from seamline.cli._common import (
    STORE_HELP,
    console,
    fail,
    import_file,
    load_pipeline,
    print_agreement,
    print_json,
    store_url,
)
from seamline.evals import EvalReport, TaskRun, evaluate, field_matcher, load_tasks
from seamline.exceptions import ConfigError, SeamlineError
from seamline.reliability import measure, print_report
from seamline.reliability.diff import compare_reports
from seamline.store import open_store


def eval_command(
    target: Annotated[
        str | None, typer.Argument(help="The pipeline: path/to/pipeline.py:pipe.")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option(help="JSON Lines: one task (the pipeline's inputs) per line.")
    ] = None,
    expected: Annotated[
        str | None,
        typer.Option(help="The key in each task holding its expected artifacts by step."),
    ] = None,
    gates: Annotated[
        str, typer.Option(help="shadow, on, or both (each task twice, to measure the gap).")
    ] = "both",
    model: Annotated[
        str | None, typer.Option(help="Default model for steps and judges that name none.")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Runs at once.")] = 4,
    name: Annotated[
        str | None,
        typer.Option(help="The eval's name (default: the pipeline's); re-running it resumes."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the self-contained HTML report here.")
    ] = None,
    min_pass_rate: Annotated[
        float | None,
        typer.Option(help="Exit 1 if the gated pass rate's 95% lower bound is below this."),
    ] = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(help="Compare two stored evals by name, instead of running one."),
    ] = None,
    reviewer: Annotated[
        str,
        typer.Option(
            help="Who decides approvals: none (runs wait, reported as waiting), approve, or "
            "expected (approve what matches the expected artifact, edit the rest into it). "
            "approve and expected are simulated, and labelled so."
        ),
    ] = "none",
    match: Annotated[
        list[str] | None,
        typer.Option(
            help="How a field compares with its expected value, FIELD=RULE with RULE one of "
            "exact, approx, text, ignore (repeatable), e.g. claim.description=ignore."
        ),
    ] = None,
    comparators: Annotated[
        str | None,
        typer.Option(
            help="Field comparators for --expected: path/to/compare.py:COMPARE, a mapping "
            "of 'step.field' to a function (actual, expected) -> bool or 'exact'/'approx'/'text'."
        ),
    ] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run every task of a dataset, shadow and gated, and report where reliability is lost.

    With --expected, the pass rate is correctness: the share of tasks whose final
    artifacts match the expected ones, next to the share that passed every gate. Per
    seam: right, accepted and right, escaped, caught, false alarms, and each check's
    precision and recall. Also: first-pass yields, retries, escalations, runs waiting for
    a person, calls, model and wall time per task, cost, and the lift of gated over
    shadow with 95% intervals.

    Example:

        seamline eval examples/claims/pipeline.py:pipe --dataset examples/claims/dev/claims.jsonl --expected expected --match claim.description=ignore --reviewer expected --model local --html claims.html --min-pass-rate 0.4

        seamline eval examples/film/pipeline.py:pipe --dataset examples/film/dev_briefs.jsonl --expected expected --comparators examples/film/compare.py:COMPARE --model local
    """
    if compare is not None:
        _compare(compare, store, as_json)
        return
    if target is None or dataset is None:
        raise fail("give a pipeline and --dataset (or --compare A B)")
    try:
        pipe = load_pipeline(target)
        tasks = load_tasks(dataset)
        rules: dict[str, Any] = dict(load_comparators(comparators)) if comparators else {}
        rules.update(_match_rules(match or []))
        field_matcher(rules)  # a bad rule fails here, before any task runs
        if reviewer not in ("none", "approve", "expected"):
            raise ConfigError(
                f"--reviewer {reviewer!r}: use none, approve or expected (see seamline eval --help)"
            )
    except (SeamlineError, OSError) as e:
        raise fail(str(e)) from None
    runs = len(tasks) * (2 if gates == "both" else 1)

    async def go() -> EvalReport:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as progress:
            bar = progress.add_task(f"eval {name or pipe.name}", total=runs)

            def advance(run: TaskRun) -> None:
                progress.advance(bar)

            return await evaluate(
                pipe,
                tasks,
                name=name,
                expected=expected,
                gates=gates,  # type: ignore[arg-type]
                concurrency=concurrency,
                store=store_url(store),
                model=model,
                on_run=advance,
                compare=rules,
                reviewer=reviewer,
            )

    try:
        report = asyncio.run(go())
    except SeamlineError as e:
        raise fail(str(e)) from None
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report.reliability, console)
        print_agreement(report.agreement)
        for run in report.errors:
            console.print(f"[red]task {run.index} ({run.mode}) could not run:[/] {run.error}")
        console.print(f"{len(report.runs)} runs in {report.seconds:.0f} s")
    if html is not None:
        report.write_html(html)
        if not as_json:
            console.print(f"HTML report: {html}")
    _enforce(report, min_pass_rate)


def load_comparators(target: str) -> Mapping[str, Any]:
    """`path/to/file.py:NAME` -> the mapping of field comparators it names."""
    location, _, attr = target.partition(":")
    path = Path(location)
    if not path.exists():
        raise ConfigError(f"no file {location!r}; give path/to/compare.py:COMPARE")
    found = getattr(import_file(path), attr or "COMPARE", None)
    if not isinstance(found, Mapping):
        raise ConfigError(
            f"{target} is not a mapping of field comparators: define {attr or 'COMPARE'} = "
            "{'step.field': function_or_name, ...} in that file"
        )
    return found


def _enforce(report: EvalReport, min_pass_rate: float | None) -> None:
    if min_pass_rate is None:
        return
    gated = report.gated
    interval = gated.end_to_end.interval if gated is not None else None
    if interval is None:
        raise fail("--min-pass-rate needs gated runs (--gates on or both)", code=2)
    if interval.low < min_pass_rate:
        what = "right" if gated is not None and gated.end_to_end.right is not None else "pass"
        raise fail(
            f"gated {what} rate lower bound {interval.low:.1%} is below --min-pass-rate {min_pass_rate:.1%}"
        )
    console.print(f"gated pass rate lower bound {interval.low:.1%} >= {min_pass_rate:.1%}")


def _match_rules(rules: list[str]) -> dict[str, str]:
    out = {}
    for rule in rules:
        field, sep, how = rule.partition("=")
        if not sep or not field or not how:
            raise ConfigError(f"--match {rule!r}: write FIELD=RULE, e.g. claim.description=ignore")
        out[field] = how
    return out


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _compare(names: tuple[str, str], store: str | None, as_json: bool) -> None:
    async def load(eval_name: str) -> Any:
        opened = await open_store(store_url(store))
        try:
            prefix = f"eval-{eval_name}-"
            ids = [r.run_id for r in await opened.runs() if r.run_id.startswith(prefix)]
            if not ids:
                raise SeamlineError(f"no runs of an eval named {eval_name!r} in {opened.url}")
            return measure({run_id: await opened.load(run_id) for run_id in ids})
        finally:
            await opened.close()

    try:
        a, b = asyncio.run(load(names[0])), asyncio.run(load(names[1]))
    except SeamlineError as e:
        raise fail(str(e)) from None
    rows = compare_reports(a, b)
    if as_json:
        print_json(
            [
                {
                    "metric": r.metric,
                    "a": r.a,
                    "b": r.b,
                    "p_value": r.p_value,
                    "significant": r.significant,
                }
                for r in rows
            ]
        )
        return
    table = Table(
        "metric", names[0], names[1], "Δ", "p", "", title="eval comparison (two-proportion z-test)"
    )
    for r in rows:
        delta = "–" if r.delta is None else f"{r.delta * 100:+.1f} pts"
        mark = "[bold green]significant[/]" if r.significant else "[dim]n.s.[/]"
        table.add_row(
            r.metric,
            f"{pct(r.a)} ({r.a_of[0]}/{r.a_of[1]})",
            f"{pct(r.b)} ({r.b_of[0]}/{r.b_of[1]})",
            delta,
            "–" if r.p_value is None else f"{r.p_value:.3f}",
            mark,
        )
    console.print(table)
