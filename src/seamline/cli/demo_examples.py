"""`seamline demo film` and `seamline demo content`: an example, shadow against gated.

Each example ships a pipeline, datasets with expected artifacts and the comparators
that say what a correct result is (`compare.py`: `COMPARE`, and `comparable()` to keep
the fields those comparators judge). The demo runs every task twice through
`sl.evaluate` (gates only watching, then gated), lets a *simulated* reviewer sign off
the final approval checkpoint of every run that reached it (runs a gate escalated stay
waiting for a person), resumes those runs, and reports per mode: correct results
(passed, and equal to the expected artifacts), escaped defects (passed, but wrong),
escalations, and model calls and seconds per task, with 95% Wilson intervals.

An example whose steps read the context store (content reads its house style guide by
search) exports `prepare_context(url)` from its pipeline module: the demo calls it on
the runs' store before the first run, so the runs find their documents there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from seamline.approvals import decide
from seamline.cli._common import console, import_file
from seamline.evals import EvalReport, TaskRun, evaluate, load_tasks
from seamline.exceptions import ConfigError
from seamline.pipeline import Pipeline
from seamline.reliability.report import EndToEnd
from seamline.reliability.stats import wilson_interval
from seamline.store import RunStore, open_store

SIGN_OFF = "simulated reviewer (signs off the final checkpoint; not a person)"
Prepare = Callable[[str], Awaitable[Any]]  # puts an example's documents in a context store


@dataclass(frozen=True, slots=True)
class ExampleDemo:
    """Where an example keeps its pipeline and datasets, relative to examples/."""

    name: str
    what: str
    datasets: dict[str, str]


DEMOS = {
    "film": ExampleDemo(
        "film",
        "director's briefs → scene graph → storyboard → continuity critic",
        {"dev": "film/dev_briefs.jsonl", "generated": "film/briefs.jsonl"},
    ),
    "content": ExampleDemo(
        "content",
        "brief + source notes → grounded claims → draft → verification",
        {"dev": "content/dev_briefs.jsonl", "generated": "content/briefs.jsonl"},
    ),
}


@dataclass(frozen=True, slots=True)
class ModeSummary:
    """One gate mode's results on a dataset, as the example READMEs report them."""

    mode: str
    tasks: int
    correct: int
    escaped: int
    escalated: int
    calls_per_task: float
    seconds_per_task: float

    @property
    def interval(self) -> tuple[float, float]:
        bounds = wilson_interval(self.correct, self.tasks)
        return bounds.low, bounds.high

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "mode": self.mode,
            "tasks": self.tasks,
            "correct": self.correct,
            "correct_rate": self.correct / self.tasks,
            "correct_interval": [low, high],
            "escaped_defects": self.escaped,
            "escalated": self.escalated,
            "model_calls_per_task": self.calls_per_task,
            "model_seconds_per_task": self.seconds_per_task,
        }


def summarize(end: EndToEnd) -> ModeSummary:
    """Correct = passed end to end and equal to the expected artifacts."""
    escaped = end.escaped_defects or 0
    return ModeSummary(
        mode=end.mode,
        tasks=end.tasks,
        correct=end.passed - escaped,
        escaped=escaped,
        escalated=end.escalated,
        calls_per_task=end.model_calls / end.tasks if end.tasks else 0.0,
        seconds_per_task=end.model_seconds / end.tasks if end.tasks else 0.0,
    )


def context_preparer(folder: Path, demo: ExampleDemo) -> Prepare | None:
    """The example's `prepare_context`, if its steps read the context store."""
    found = getattr(import_file(folder / demo.name / "pipeline.py"), "prepare_context", None)
    return found if callable(found) else None


def load_example(
    folder: Path, demo: ExampleDemo, dataset: str
) -> tuple[Pipeline, Any, list[dict[str, Any]]]:
    """The example's pipeline, its comparators, and the dataset's tasks (comparable)."""
    pipe = import_file(folder / demo.name / "pipeline.py").pipe
    compare = import_file(folder / demo.name / "compare.py")
    path = Path(dataset) if dataset not in demo.datasets else folder / demo.datasets[dataset]
    if not path.exists():
        known = ", ".join(demo.datasets)
        raise ConfigError(f"no dataset {dataset!r} for {demo.name}: use {known} or a path")
    tasks = [{**t, "expected": compare.comparable(t["expected"])} for t in load_tasks(path)]
    return pipe, compare.COMPARE, tasks


async def run_example(
    pipe: Pipeline,
    compare: Any,
    tasks: list[dict[str, Any]],
    *,
    name: str,
    store_url: str,
    model: str,
    concurrency: int,
    prepare: Prepare | None = None,
) -> EvalReport:
    """Shadow and gated runs, the simulated sign-off, the resumed runs: the final report.

    `prepare`: the example's `prepare_context`, called on `store_url` before any run."""
    if prepare is not None:
        prepared = await prepare(store_url)
        if hasattr(prepared, "close"):
            await prepared.close()
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
            bar = progress.add_task(f"running {name}", total=2 * len(tasks))

            def advance(run: TaskRun) -> None:
                progress.advance(bar)

            async def once() -> EvalReport:
                return await evaluate(
                    pipe,
                    tasks,
                    name=name,
                    expected="expected",
                    gates="both",
                    concurrency=concurrency,
                    store=store,
                    model=model,
                    compare=compare,
                    on_run=advance,
                )

            await once()
            signed = await _sign_off(store)
            progress.update(bar, description="resuming signed-off runs", completed=0)
            report = await once()
        console.print(f"{SIGN_OFF}: signed off {signed} runs")
        return report
    finally:
        await store.close()


async def _sign_off(store: RunStore) -> int:
    signed = 0
    for approval in await store.pending_approvals():
        if approval.reason == "approval":
            await decide(store, approval.approval_id, "approve", reviewer=SIGN_OFF)
            signed += 1
    return signed


def print_summary(report: EvalReport, title: str) -> list[ModeSummary]:
    rows = [summarize(m.end_to_end) for m in report.reliability.modes]
    table = Table(
        "mode",
        "correct",
        "95% interval",
        "escaped defects",
        "escalated",
        "calls/task",
        "model s/task",
        title=title,
    )
    for row in rows:
        low, high = row.interval
        table.add_row(
            "shadow (gates watch)" if row.mode == "shadow" else "gated",
            f"{row.correct}/{row.tasks} ({row.correct / row.tasks:.0%})",
            f"{low:.0%}–{high:.0%}",
            str(row.escaped),
            str(row.escalated),
            f"{row.calls_per_task:.1f}",
            f"{row.seconds_per_task:.1f}",
        )
    console.print(table)
    return rows


def demo_example(
    folder: Path,
    example: str,
    *,
    dataset: str,
    limit: int | None,
    model: str,
    concurrency: int,
    out: Path,
) -> dict[str, Any]:
    """Run one example's demo; returns the JSON summary it also writes to `out`."""
    demo = DEMOS[example]
    pipe, compare, tasks = load_example(folder, demo, dataset)
    tasks = tasks[:limit] if limit else tasks
    out.mkdir(parents=True, exist_ok=True)
    db = out / f"demo-{example}.db"
    for stale in out.glob(f"demo-{example}.db*"):
        stale.unlink()
    console.print(
        f"[bold]seamline demo {example}[/]: {len(tasks)} tasks ({demo.what}) on "
        f"[bold]{model}[/], shadow (gates only watch) and gated.\n"
        f"The final checkpoint is signed off by a [bold]{SIGN_OFF}[/]."
    )
    started = time.perf_counter()
    report = asyncio.run(
        run_example(
            pipe,
            compare,
            tasks,
            name=f"demo-{example}",
            store_url=f"sqlite:///{db}",
            model=model,
            concurrency=concurrency,
            prepare=context_preparer(folder, demo),
        )
    )
    rows = print_summary(report, f"{example}: correct final artifacts, {dataset} set")
    html = report.write_html(out / f"demo-{example}.html", title=f"seamline demo: {example}")
    elapsed = time.perf_counter() - started
    console.print(f"{2 * len(tasks)} runs in {elapsed:.0f} s; HTML report: [bold]{html}[/]")
    console.print(
        f"Runs are stored in [bold]sqlite:///{db}[/]; escalations wait in `seamline approvals`."
    )
    return {
        "example": example,
        "dataset": dataset,
        "model": model,
        "seconds": elapsed,
        "modes": [r.to_dict() for r in rows],
    }
