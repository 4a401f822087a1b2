"""Evals: run every task of a dataset through a pipeline, shadow and gated, and measure it.

```python
report = await sl.evaluate(
    pipe, tasks, expected="expected", gates="both", store="sqlite:///evals.db",
    compare={"claim.amount": sl.approx(abs_tol=0.01), "claimant": "text"},
    reviewer="expected",            # who decides approvals: see seamline.reviewers
)
print(report)                       # per seam and end to end, shadow next to gated
report.write_html("claims.html")    # the Coordination Gap report
```

Each task is a mapping of the pipeline's inputs; with `expected="expected"`, its
"expected" key holds the expected artifacts by step name (a partial artifact compares
only the fields it sets), and the pass rate is the share of tasks whose final artifacts
match. Runs get deterministic ids from (eval name, task index, gate mode), so re-running
an eval against the same store skips the tasks that finished and resumes the ones that
were interrupted: an eval of a thousand tasks survives a crash. Change the eval's `name`
when the dataset changes.

Approvals: with `reviewer=None` (the default) nobody decides, and runs that reach a
checkpoint or an escalation are reported as waiting. A simulated reviewer ("approve",
"expected") decides them through the public approval API, marked simulated; re-running
an eval with a reviewer decides the runs an earlier eval left waiting.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import to_jsonable_python

from seamline.events import Event, RunStatus
from seamline.exceptions import ConfigError, StoreError
from seamline.feedback import agreement, feedback_rows
from seamline.reliability import (
    ModeReport,
    ReliabilityReport,
    measure,
    plain_text,
    render_html,
)
from seamline.reliability.compare import (
    Comparator,
    Matcher,
    approx,
    exact,
    field_matcher,
    ignore,
    same_text,
)
from seamline.reviewers import Reviewer, review_run, reviewer_for
from seamline.runtime.state import fold
from seamline.store import RunStore, open_store
from seamline.store.memory import MemoryStore

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline

__all__ = [
    "Comparator",
    "EvalReport",
    "TaskRun",
    "approx",
    "evaluate",
    "exact",
    "field_matcher",
    "ignore",
    "load_tasks",
    "run_id_for",
    "same_text",
]

EvalGates = Literal["on", "shadow", "both"]


@dataclass(frozen=True, slots=True)
class TaskRun:
    """One task run in one gate mode."""

    index: int
    mode: str  # "on" or "shadow"
    run_id: str
    status: str  # the run's status, or "error" when it could not run at all
    reused: bool  # the run had already finished in the store: not run again
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """An eval's runs and their reliability. `str()` is the terminal table."""

    name: str
    reliability: ReliabilityReport
    runs: tuple[TaskRun, ...]
    # Per gated step: human decisions on units the gate judged, and how often the
    # human agreed with the gate (see seamline.feedback). Simulated decisions never count.
    agreement: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    reviewer: str | None = None  # the simulated reviewer's name, if one decided
    seconds: float = 0.0  # how long the eval took, start to finish

    @property
    def shadow(self) -> ModeReport | None:
        return self.reliability.shadow

    @property
    def gated(self) -> ModeReport | None:
        return self.reliability.gated

    @property
    def errors(self) -> list[TaskRun]:
        """Tasks that could not run (bad inputs): fix the dataset."""
        return [r for r in self.runs if r.status == "error"]

    @property
    def waiting(self) -> list[TaskRun]:
        """Runs waiting for a person (an approval nobody decided)."""
        return [r for r in self.runs if r.status in ("waiting", "needs_review")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.reliability.to_dict(),
            "runs": [to_jsonable_python(r) for r in self.runs],
            "judge_human_agreement": dict(self.agreement),
            "reviewer": {"name": self.reviewer, "kind": "simulated"} if self.reviewer else None,
            "waiting": len(self.waiting),
            "seconds": self.seconds,
        }

    def to_html(self, title: str | None = None) -> str:
        """The HTML report; its default title names the pipelines and the models the runs used."""
        return render_html(self.reliability, title=title)

    def write_html(self, path: str | Path, title: str | None = None) -> Path:
        target = Path(path)
        target.write_text(self.to_html(title), encoding="utf-8")
        return target

    def __str__(self) -> str:
        reused = sum(r.reused for r in self.runs)
        head = f"eval {self.name!r}: {len(self.runs)} runs"
        if reused:
            head += f" ({reused} reused from the store)"
        if self.reviewer:
            head += f"; approvals decided by {self.reviewer!r} (simulated, not a person)"
        lines = [head, plain_text(self.reliability)]
        for run in self.errors:
            lines.append(f"task {run.index} ({run.mode}) could not run: {run.error}")
        return "\n".join(lines)


def run_id_for(name: str, index: int, mode: str) -> str:
    """The run id of task `index` of eval `name` in gate mode `mode`: stable across runs."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "eval"
    return f"eval-{slug}-{index:05d}-{mode}"


def load_tasks(path: str | Path) -> list[dict[str, Any]]:
    """Tasks from a JSON Lines file (one JSON object per line; blank lines skipped)."""
    tasks = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}, line {n}: not JSON ({e.msg})") from None
        if not isinstance(task, dict):
            raise ConfigError(f"{path}, line {n}: a task is a JSON object of inputs")
        tasks.append(task)
    return tasks


async def evaluate(
    pipe: Pipeline,
    tasks: Iterable[Mapping[str, Any]] | str | Path,
    *,
    name: str | None = None,
    expected: str | None = None,
    gates: EvalGates = "both",
    concurrency: int = 4,
    store: str | RunStore | None = None,
    model: str | None = None,
    compare: Mapping[str, Comparator | str] | None = None,
    on_run: Callable[[TaskRun], None] | None = None,
    reviewer: str | Reviewer | None = None,
    deps: Any = None,
) -> EvalReport:
    """Run every task through `pipe` and measure per-seam and end-to-end reliability.

    Args:
        pipe: the pipeline.
        tasks: mappings of the pipeline's inputs, or the path of a JSON Lines file.
        name: the eval's name (default: the pipeline's); part of every run id.
        expected: the key of each task that holds its expected artifacts by step, to
            count escaped defects and false rejections. None: no comparison.
        gates: "shadow" (measure the ungated pipeline and what the gates would catch),
            "on" (the pipeline as shipped), or "both" (each task twice).
        concurrency: how many runs at once.
        store: where run logs go; a durable store makes the eval resumable. Default: a
            private in-memory store.
        model: the default model for steps and judges that name none.
        compare: per-field comparators (see `field_matcher`).
        on_run: called after each task run, e.g. to advance a progress bar.
        reviewer: who decides approvals: None or "none" (nobody: runs wait, and are
            reported as waiting), "approve", "expected" (see `seamline.reviewers`), or a
            `Reviewer` of your own. Its decisions are recorded as simulated.
        deps: given to every run and resume as `pipe.run(..., deps=...)` (steps read it
            as `ctx.deps`), e.g. to compare a step's options on the same tasks.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency={concurrency}: run at least one task at a time")
    if gates not in ("on", "shadow", "both"):
        raise ConfigError(f"gates={gates!r}: use 'on', 'shadow' or 'both'")
    pipe.validate()
    decider = reviewer_for(reviewer)
    started = time.perf_counter()
    items = load_tasks(tasks) if isinstance(tasks, str | Path) else [dict(t) for t in tasks]
    eval_name = name or pipe.name
    matcher = field_matcher(compare)
    modes = ("shadow", "on") if gates == "both" else (gates,)

    inputs: list[dict[str, Any]] = []
    expectations: list[Mapping[str, Any] | None] = []
    for n, task in enumerate(items):
        want = task.pop(expected, None) if expected is not None else None
        if want is not None and not isinstance(want, Mapping):
            raise ConfigError(f"task {n}: {expected!r} must map step names to expected artifacts")
        # Other keys (an id, a scenario label...) are the dataset's own metadata.
        inputs.append({k: v for k, v in task.items() if k in pipe.inputs})
        expectations.append(want)

    opened = await open_store(store) if store is not None else MemoryStore()
    limit = asyncio.Semaphore(concurrency)
    jobs = [(n, mode) for mode in modes for n in range(len(inputs))]
    results: dict[tuple[int, str], tuple[TaskRun, list[Event]]] = {}

    async def one(n: int, mode: str) -> None:
        async with limit:
            review = (decider, expectations[n], matcher) if decider is not None else None
            done = await _run_task(
                pipe, opened, eval_name, n, mode, inputs[n], model, review, deps
            )
        results[n, mode] = done
        if on_run is not None:
            on_run(done[0])

    try:
        async with asyncio.TaskGroup() as group:
            for n, mode in jobs:
                group.create_task(one(n, mode))
    finally:
        if isinstance(store, str):
            await opened.close()

    ordered = [results[job] for job in jobs]
    measured = [(run, events) for run, events in ordered if events]
    report = measure(
        {run.run_id: events for run, events in measured},
        expected=[expectations[run.index] for run, _ in measured] if expected else None,
        matcher=matcher,
    )
    logs = {run.run_id: events for run, events in measured}
    return EvalReport(
        eval_name,
        report,
        tuple(run for run, _ in ordered),
        agreement(feedback_rows(logs)),
        reviewer=decider.name if decider is not None else None,
        seconds=time.perf_counter() - started,
    )


async def _run_task(
    pipe: Pipeline,
    store: RunStore,
    name: str,
    index: int,
    mode: str,
    inputs: Mapping[str, Any],
    model: str | None,
    review: tuple[Reviewer, Mapping[str, Any] | None, Matcher] | None,
    deps: Any = None,
) -> tuple[TaskRun, list[Event]]:
    run_id = run_id_for(name, index, mode)
    try:
        existing = await store.load(run_id)
    except StoreError:
        existing = []
    state = _state(existing)
    if state == "done" or (state == "waiting" and review is None):
        return TaskRun(index, mode, run_id, _status(existing), reused=True), existing
    try:
        if state == "new":
            await pipe.run(
                inputs,
                store=store,
                gates="shadow" if mode == "shadow" else "on",
                run_id=run_id,
                model=model,
                raise_on_failure=False,
                deps=deps,
            )
        elif state == "resume":
            await pipe.resume(run_id, store=store, model=model, raise_on_failure=False, deps=deps)
        if review is not None:
            reviewer, expected, matcher = review
            await review_run(
                pipe, store, run_id, reviewer, expected, matcher, model=model, deps=deps
            )
    except Exception as e:  # one bad task must not sink a thousand-task eval
        if existing or isinstance(e, StoreError):
            raise
        error = f"{type(e).__name__}: {e}"
        return TaskRun(index, mode, run_id, "error", reused=False, error=error), []
    events = await store.load(run_id)
    return TaskRun(index, mode, run_id, _status(events), reused=False), events


def _state(events: Sequence[Event]) -> Literal["new", "done", "resume", "waiting"]:
    """Whether a stored run is absent, finished (reuse it), interrupted (resume it) or
    waiting for a person (reuse it, or let a reviewer decide)."""
    if not events:
        return "new"
    state = fold("", events)
    if state.status.is_final:
        return "done"
    if state.status is RunStatus.RUNNING:
        return "resume"  # interrupted mid-run
    # waiting / needs_review: resume once every approval has been decided
    return "waiting" if state.pending_approvals else "resume"


def _status(events: Sequence[Event]) -> str:
    return str(fold("", events).status)
