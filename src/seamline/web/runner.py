"""The pipelines this server may run, and the runs it drives in the background.

Which pipelines the UI may start, resume or decide for is what the person running
`seamline ui` named (`--pipeline path.py:pipe`), never what a store says: a store shared
by a team must not choose the code that runs on a reviewer's machine. A run of a pipeline
not named here can be read, not decided.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from seamline.exceptions import ApprovalError, PipelineError, RunBusy, SeamlineError
from seamline.pipeline import Pipeline, new_run_id
from seamline.store.base import RunStore

log = logging.getLogger("seamline.web")

# A run's driver may hold its lease for a moment (a resume on its way to its next wait):
# a decision waits this long for it before it is refused as busy.
BUSY_WAIT_SECONDS = 10.0


class NotRegistered(SeamlineError):
    """A run of a pipeline this server was not started with."""

    def __init__(self, pipeline: str, known: Sequence[str]) -> None:
        named = ", ".join(known) or "none"
        super().__init__(
            f"pipeline {pipeline!r} is not one this server runs (it runs: {named}); "
            f"restart seamline ui with --pipeline path/to/file.py:pipe to decide or run it"
        )


class Runner:
    """Starts, resumes and decides runs of the registered pipelines, in this process."""

    def __init__(self, store: RunStore, pipelines: Sequence[Pipeline]) -> None:
        self.store = store
        self.pipelines: dict[str, Pipeline] = {}
        for pipe in pipelines:
            pipe.validate()
            if pipe.name in self.pipelines:
                raise PipelineError(
                    f"two pipelines named {pipe.name!r} were given; a run names its pipeline "
                    "by name, so each must be unique"
                )
            self.pipelines[pipe.name] = pipe
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    def pipeline(self, name: str) -> Pipeline:
        """The registered pipeline `name`. Raises `NotRegistered`."""
        pipe = self.pipelines.get(name)
        if pipe is None:
            raise NotRegistered(name, list(self.pipelines))
        return pipe

    def driving(self, run_id: str) -> bool:
        task = self.tasks.get(run_id)
        return task is not None and not task.done()

    async def start(
        self, name: str, inputs: Mapping[str, Any], gates: Literal["on", "shadow", "off"] = "on"
    ) -> str:
        """Start a run; returns its id once its first event is in the store.

        Raises:
            NotRegistered, PipelineError: an unknown pipeline, or inputs that do not fit.
        """
        pipe = self.pipeline(name)
        run_id = new_run_id()
        # The inputs are checked here, before anything is awaited (PipelineError).
        running = pipe.run(
            dict(inputs), store=self.store, gates=gates, run_id=run_id, raise_on_failure=False
        )
        self._track(run_id, running)
        for _ in range(200):  # the RunStarted is written by the run's first await
            if await self.store.run(run_id) is not None or self.tasks[run_id].done():
                break
            await asyncio.sleep(0.005)
        return run_id

    def resume_soon(self, run_id: str, pipeline: str) -> bool:
        """Resume the run in the background, unless this server drives it already."""
        if self.driving(run_id):
            return False
        pipe = self.pipeline(pipeline)
        self._track(run_id, pipe.resume(run_id, store=self.store, raise_on_failure=False))
        return True

    async def decide(
        self,
        approval_id: str,
        pipeline: str,
        decision: Literal["approve", "reject", "edit"],
        **options: Any,
    ) -> None:
        """Record one decision through `Pipeline.decide` (which takes the run's lease).
        Waits up to `BUSY_WAIT_SECONDS` for a driver that holds the run.

        Raises:
            NotRegistered, ApprovalError (StaleApproval included), RunBusy.
        """
        pipe = self.pipeline(pipeline)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_WAIT_SECONDS
        while True:
            try:
                await pipe.decide(approval_id, decision, store=self.store, resume=False, **options)
                return
            except RunBusy:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)

    def _track(self, run_id: str, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self.tasks[run_id] = task
        task.add_done_callback(lambda t: self._done(run_id, t))

    def _done(self, run_id: str, task: asyncio.Task[Any]) -> None:
        if self.tasks.get(run_id) is task:
            del self.tasks[run_id]
        if task.cancelled():
            return
        error = task.exception()
        if isinstance(error, RunBusy | ApprovalError):
            log.info("run %s: %s", run_id, error)  # another process drives it, or decided it
        elif error is not None:
            log.error("run %s stopped with an error: %s", run_id, error, exc_info=error)

    async def close(self, grace: float = 5.0) -> None:
        """Let the runs this server drives reach their next stop, then cancel the rest
        (they are in the store either way, and resume from it)."""
        tasks = [t for t in self.tasks.values() if not t.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task
