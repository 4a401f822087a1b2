"""The activities: one unit attempt (the step's code, then its gate), and one append to
the run log. Everything with side effects happens here, on whichever worker Temporal
picks; the workflow only decides.

An attempt is made by the very functions the local engine uses (`runtime/unit.py`'s
`attempt_step` and `judge_attempt`), on a throwaway execution that holds what the attempt
reads, so `ctx.generate`, `ctx.agent`, `ctx.call_tool` and the judges record their calls
as they always do. Those calls go back to the workflow, which writes them into the run's
log in order. An attempt retried by Temporal (its worker died) carries the same seamline
attempt number, hence the same `ctx.idempotency_key`.

An append is idempotent: the stores refuse a batch whose first seq is not the run's next
one, so a retried append whose first try landed finds its events there and stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from seamline.context.reads import context_url_for
from seamline.engines.temporal import codec
from seamline.events import Event, RunFinished, RunStarted
from seamline.exceptions import ApprovalError, ConfigError, RunBusy, RunFailed, StoreError
from seamline.pipeline import _RESULT_ONLY, Pipeline
from seamline.policies import Budget
from seamline.runtime.executor import Execution
from seamline.runtime.log import as_events
from seamline.runtime.state import unit_of
from seamline.runtime.unit import attempt_step, classify, judge_attempt
from seamline.runtime.writer import LogWriter
from seamline.steps import Step
from seamline.store.base import RunStore


class Activities:
    """The activities of one worker, on its pipelines, its store and its `deps`."""

    def __init__(
        self,
        pipelines: Mapping[str, Pipeline],
        store: RunStore,
        deps: Any,
        store_url: str | None = None,
    ) -> None:
        self.pipelines = pipelines
        self.store = store
        self.deps = deps
        # Where `ctx.search` reads when neither the run nor the pipeline names a context
        # store: the run store's own file or database, as on the local engine.
        self.context_source = context_url_for(store_url or getattr(store, "url", None))
        self._owned: set[str] = set()  # runs this process is the store's owner of
        self._connected: set[str] = set()  # pipelines whose MCP servers are up here

    def pipeline(self, name: str) -> Pipeline:
        pipe = self.pipelines.get(name)
        if pipe is None:
            # Not retryable here, but another worker may have it: fail this try only.
            raise ApplicationError(
                f"this worker has no pipeline {name!r} (it has {sorted(self.pipelines)}); "
                "start workers with every pipeline their task queue serves"
            )
        return pipe

    # -- the log -------------------------------------------------------------------------

    @activity.defn(name="seamline.append")
    async def append(self, batch: dict[str, Any]) -> int:
        """Append a batch of the run's events; returns how many landed now (0: an earlier
        try of this activity had written them)."""
        run_id: str = batch["run_id"]
        events = codec.events_from_json(batch["events"])
        if not events:
            return 0
        await self._own(run_id, events[0])
        try:
            await self.store.append(run_id, events)
        except (StoreError, ApprovalError):
            if await self._landed(run_id, events):
                return 0
            raise
        finally:
            if any(isinstance(e, RunFinished) for e in events):
                self._owned.discard(run_id)
        pipe = self.pipelines.get(batch["pipeline"])
        if pipe is not None and pipe._hooks:
            # Hooks see every event once it is in the store; a retried append may show
            # them a batch again (at least once, as anything Temporal retries).
            writer = LogWriter(run_id, _RESULT_ONLY, pipe._hooks)
            await writer._deliver(events)
        return len(events)

    async def _own(self, run_id: str, first: Event) -> None:
        """Keep the store's owner of a running run a live process: a worker that died
        would otherwise leave its runs listed as interrupted while others drive them."""
        if isinstance(first, RunStarted):
            self._owned.add(run_id)  # appending it makes this process the owner
            return
        if run_id in self._owned:
            return
        try:
            await self.store.acquire(run_id)
        except RunBusy:
            return  # another live worker is the owner: it may be
        self._owned.add(run_id)

    async def _landed(self, run_id: str, events: list[Event]) -> bool:
        try:
            log = await self.store.load(run_id)
        except StoreError:
            return False
        first = events[0].seq
        there = log[first : first + len(events)]
        return [type(e) for e in there] == [type(e) for e in events]

    # -- one attempt ---------------------------------------------------------------------

    @activity.defn(name="seamline.attempt")
    async def attempt(self, request: dict[str, Any]) -> dict[str, Any]:
        """Make one attempt of one unit and, if it produced an artifact, evaluate its gate."""
        pipe = self.pipeline(request["pipeline"])
        plan = pipe.validate()
        step = plan.steps[request["step"]]
        index: int | None = request["index"]
        attempt: int = request["attempt"]
        model: str | None = request["model"]
        if pipe._uses_servers() and pipe.name not in self._connected:
            try:
                await pipe.connect()
            except ConfigError as e:
                raise _stopped(e) from None
            self._connected.add(pipe.name)
        x = _execution(pipe, request, self.deps)
        source = request["run"].get("context")
        x.context = source if source is not None else pipe.context or self.context_source
        unit = unit_of(step.name, index)
        trouble = x.unit_trouble(unit)
        trouble.feedback = list(request["feedback"])
        trouble.model = model
        item = None
        if index is not None:
            item = _item(step, request["item"])
            # The item is what the step and its gate read under the list's name; the
            # list itself stays with the workflow.
            x.artifacts[step.map] = None  # type: ignore[index]
        beating = asyncio.create_task(_heartbeat(activity.info().heartbeat_timeout))
        verdict = None
        failure = None
        result: Any = None
        made_by_step = 0
        try:
            result, error = await attempt_step(x, step, unit, index, item, attempt, model)
            failure = classify(step, error) if error is not None else None
            made_by_step = len(x.log)
            if failure is None and step.name in x.gates:
                verdict = await judge_attempt(x, step, unit, index, item, attempt, result)
        except RunFailed as e:  # a spent budget: the run ends, with the calls made so far
            return {"raise": codec.error_to_json(e), "calls": _calls(x.log), "judge_calls": []}
        except ConfigError as e:
            raise _stopped(e) from None
        finally:
            beating.cancel()
        log = as_events(x.log)
        return {
            "artifact": codec.to_json(result) if failure is None else None,
            "failure": codec.failure_to_json(failure),
            "verdict": codec.to_json(verdict),
            "calls": codec.events_to_json(log[:made_by_step]),
            "judge_calls": codec.events_to_json(log[made_by_step:]),
            "raise": None,
        }


def _stopped(error: ConfigError) -> ApplicationError:
    """A setting that is missing or wrong fails nothing about the run: the attempt is
    tried again (with Temporal's backoff) until the workers' settings are fixed."""
    activity.logger.warning("seamline: %s; the attempt is retried until this is fixed", error)
    return ApplicationError(str(error), type="ConfigError")


def _execution(pipe: Pipeline, request: dict[str, Any], deps: Any) -> Execution:
    """A run's state as one attempt needs it: what the step and its gate read, the run's
    usage so far (for its budget), the unit's feedback; its log is the attempt's calls."""
    plan = pipe.validate()
    run = request["run"]
    default = run["model"]
    x = Execution(
        plan,
        _RESULT_ONLY,
        request["run_id"],
        gates=run["gates"],
        budget=Budget(**run["budget"]),
        model=plan.model_for(default) if default else None,
        deps=deps,
    )
    for name, raw in request["artifacts"].items():
        x.artifacts[name] = _adapter(pipe, name).validate_python(raw)
    used = request["used"]
    x.model_calls, x.tokens, x.tool_calls = used["model_calls"], used["tokens"], used["tool_calls"]
    x.cost_usd = used["cost_usd"]
    # The context the run reads: as of its start, at the revisions it pinned already.
    x.started_at = request.get("started_at")
    pins = request.get("context_pins")
    if pins:
        x.context_pins = dict(pins)
    return x


def _calls(log: list[Any]) -> list[Any]:
    return codec.events_to_json(as_events(log))


async def _heartbeat(every_timeout: Any) -> None:
    """Tell Temporal this worker is alive while the attempt runs, three times per
    heartbeat timeout: a worker that dies stops, and the attempt goes elsewhere."""
    every = every_timeout.total_seconds() / 3 if every_timeout else 5.0
    while True:
        activity.heartbeat()
        await asyncio.sleep(every)


def _adapter(pipe: Pipeline, name: str) -> TypeAdapter[Any]:
    adapter: TypeAdapter[Any] = _adapters(pipe)(name)
    return adapter


@cache
def _adapters(pipe: Pipeline) -> Any:
    """Per pipeline: the type of each input and step artifact, as a step reads it whole."""
    plan = pipe.validate()

    @cache
    def adapter(name: str) -> TypeAdapter[Any]:
        if name in pipe.inputs:
            return TypeAdapter(pipe.inputs[name])
        return TypeAdapter(plan.steps[name].artifact.annotation)

    return adapter


def _item(step: Step, raw: Any) -> Any:
    """One item of a map= step, as its parameter declares it."""
    param = next(p for p in step.params if p.name == step.map)
    return _item_adapter(param.annotation).validate_python(raw)


@cache
def _item_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
