"""A worker: polls the task queue, runs the runs' workflows and makes their attempts.

Start as many as you like, on as many machines, with the same pipelines and the same
store (`seamline worker PIPELINE... --temporal URL --store URL`); Temporal spreads the
work and gives a dead worker's attempts to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from seamline.context.reads import close_shared
from seamline.engines.temporal.activities import Activities
from seamline.engines.temporal.client import connect
from seamline.engines.temporal.registry import serve, stop_serving
from seamline.engines.temporal.target import parse_target
from seamline.engines.temporal.workflow import RunWorkflow
from seamline.exceptions import ConfigError
from seamline.pipeline import Pipeline
from seamline.store import open_store
from seamline.store.base import RunStore

# The workflow drives seamline's own executor, reducer and decisions: they are imported
# once, outside the sandbox (they hold no state between runs and read no clock that
# decides anything), instead of once per workflow run.
_RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules("seamline")

# Workflow tasks run one at a time under the GIL, and each must finish within its
# timeout (10 s): a worker that takes Temporal's default 100 at once, starved of CPU,
# lets them time out and replays them, and makes no progress (seen with 200 runs on a
# busy machine). Tasks beyond these wait in Temporal's queue, where nothing times out.
WORKFLOW_TASKS = 10


async def replay(history: WorkflowHistory, pipelines: Sequence[Pipeline]) -> None:
    """Replay a run's workflow history through today's code (`temporalio`'s `Replayer`),
    to check that a change to seamline or to the pipelines keeps running workflows safe.

    Raises:
        temporalio.workflow.NondeterminismError: today's code would decide otherwise.
    """
    by_name = {p.name: p for p in pipelines}
    serve(_REPLAY, by_name)
    try:
        replayer = Replayer(
            workflows=[RunWorkflow],
            workflow_runner=SandboxedWorkflowRunner(restrictions=_RESTRICTIONS),
        )
        await replayer.replay_workflow(history)
    finally:
        stop_serving(_REPLAY, by_name)


_REPLAY = "seamline-replay"


def check_shared(store: str | RunStore) -> None:
    """Refuse a store that the workers and the processes starting runs cannot share."""
    url = store if isinstance(store, str) else getattr(store, "url", "")
    if url.startswith("memory://"):
        raise ConfigError(
            f"store {url!r} lives in one process; workers and the processes that start "
            "runs must share their store: sqlite:///path.db (one machine) or postgresql://..."
        )


@contextlib.asynccontextmanager
async def temporal_worker(
    pipelines: Sequence[Pipeline],
    *,
    engine: str,
    store: str | RunStore,
    deps: Any = None,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int = WORKFLOW_TASKS,
) -> AsyncIterator[Worker]:
    """A running worker for `pipelines`, stopped (after its attempts in flight) on exit.

    Args:
        engine: `temporal://host:port?namespace=...&task_queue=...`.
        store: the run store every worker and every process that starts runs shares.
        deps: the object the steps get as `ctx.deps` on this worker.
        max_concurrent_activities: attempts (and appends) in flight on this worker at once.
        max_concurrent_workflow_tasks: runs' orchestration steps taken at once (see
            `WORKFLOW_TASKS`).

    Raises:
        ConfigError: a store that is not shared, two pipelines with one name, Temporal
            out of reach.
        PipelineError: a pipeline that does not validate.
    """
    target = parse_target(engine)
    check_shared(store)
    by_name: dict[str, Pipeline] = {}
    for pipe in pipelines:
        pipe.validate()
        if by_name.get(pipe.name, pipe) is not pipe:
            raise ConfigError(f"two pipelines are named {pipe.name!r}; give each its own name")
        by_name[pipe.name] = pipe
    client = await connect(target)
    opened = await open_store(store) if isinstance(store, str) else store
    activities = Activities(
        by_name, opened, deps, store_url=store if isinstance(store, str) else None
    )
    serve(target.task_queue, by_name)
    try:
        worker = Worker(
            client,
            task_queue=target.task_queue,
            workflows=[RunWorkflow],
            activities=[activities.append, activities.attempt],
            workflow_runner=SandboxedWorkflowRunner(restrictions=_RESTRICTIONS),
            max_concurrent_activities=max_concurrent_activities,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
            graceful_shutdown_timeout=timedelta(seconds=5),
        )
        async with worker:
            yield worker
    finally:
        stop_serving(target.task_queue, by_name)
        await close_shared()  # the context stores the attempts opened
        if isinstance(store, str):
            await opened.close()


async def run_worker(
    pipelines: Sequence[Pipeline],
    *,
    engine: str,
    store: str | RunStore,
    deps: Any = None,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int = WORKFLOW_TASKS,
    stop: asyncio.Event | None = None,
) -> None:
    """Run a worker until `stop` is set (or forever)."""
    async with temporal_worker(
        pipelines,
        engine=engine,
        store=store,
        deps=deps,
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
    ):
        await (stop or asyncio.Event()).wait()
