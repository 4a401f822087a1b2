"""The side of a Temporal run that starts it, waits for it and decides its approvals.

`pipe.run(..., engine="temporal://...")` starts the run's workflow (its id is the run's
id) and waits on the run store, the one truth, until the run finishes or waits for a
person; the result is folded from the log like any other. A decision on a Temporal run
is a signal to its workflow, which writes it to the log and goes on.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from seamline.engines.temporal.codec import RemoteRunFailed, to_json
from seamline.engines.temporal.target import TemporalTarget, parse_target
from seamline.engines.temporal.workflow import DECIDE, WORKFLOW
from seamline.events import ApprovalDecided, Event, RunFinished, RunStatus
from seamline.exceptions import ApprovalError, BudgetExceeded, ConfigError, RunFailed
from seamline.runtime.result import RunResult
from seamline.runtime.resume import _ended, coercer
from seamline.runtime.state import fold
from seamline.store import open_store

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.store.base import RunStore

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[TemporalTarget, Client]] = (
    weakref.WeakKeyDictionary()
)
_UNSETTLED = (RunStatus.RUNNING, RunStatus.INTERRUPTED)


async def connect(target: TemporalTarget) -> Client:
    """A client of the target's frontend and namespace, one per event loop."""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    key = TemporalTarget(target.address, target.namespace)
    client = per_loop.get(key)
    if client is None:
        try:
            client = await Client.connect(target.address, namespace=target.namespace)
        except RuntimeError as e:
            raise ConfigError(
                f"cannot reach Temporal at {target.address} (namespace {target.namespace!r}): "
                f"{e}. Start one on this machine with `seamline dev-server`"
            ) from None
        per_loop[key] = client
    return client


async def run_on_temporal(
    pipe: Pipeline,
    engine: str,
    store: str | RunStore,
    run_id: str,
    inputs: dict[str, Any],
    options: dict[str, Any],
    run: dict[str, Any],
    raise_on_failure: bool,
) -> RunResult:
    """Start the run's workflow and wait until the run finishes or waits for a person."""
    target = parse_target(engine)
    client = await connect(target)
    start = {
        "run_id": run_id,
        "pipeline": pipe.name,
        "inputs": to_json(inputs),
        "options": {**options, "engine": target.url},
        "run": run,
        "heartbeat": target.heartbeat,
    }
    handle = await _start(client, start, run_id, target.task_queue)
    return await settle(pipe, store, run_id, handle=handle, raise_on_failure=raise_on_failure)


async def _start(
    client: Client, start: dict[str, Any], run_id: str, task_queue: str
) -> WorkflowHandle[Any, Any]:
    """Start the run's workflow; a start that a busy server did not answer in time is
    sent again, and found started if the first one landed (its id is the run's)."""
    for tries in range(1, _START_TRIES + 1):
        try:
            return await client.start_workflow(
                WORKFLOW, start, id=run_id, task_queue=task_queue, rpc_timeout=_START_RPC
            )
        except WorkflowAlreadyStartedError:
            if tries == 1:
                raise ConfigError(
                    f"run id {run_id!r} is already a workflow on this Temporal namespace; "
                    "give the run an id of its own (or none)"
                ) from None
            return client.get_workflow_handle(run_id)  # our earlier try landed
        except RPCError as e:
            if e.status not in _TRANSIENT or tries == _START_TRIES:
                raise ConfigError(
                    f"Temporal did not start run {run_id!r} ({tries} tries): {e}"
                ) from None
            await asyncio.sleep(0.5 * tries)
    raise AssertionError("unreachable")


_START_TRIES = 5
_START_RPC = timedelta(seconds=30)


async def settle(
    pipe: Pipeline,
    store: str | RunStore,
    run_id: str,
    *,
    handle: WorkflowHandle[Any, Any] | None = None,
    decided: str | None = None,
    wait: float | None = None,
    raise_on_failure: bool = True,
) -> RunResult:
    """The run's result once it stops running (after `decided`'s decision, if given: the
    approval closed and the run moved on from it), read from the store.

    Raises:
        TimeoutError: not settled within `wait` seconds (no worker running, say).
        ConfigError: the run's workflow failed (see Temporal's UI or `temporal workflow show`).
    """
    opened = await open_store(store) if isinstance(store, str) else store
    # A workflow that ends says so at once (Temporal long-polls its result); one that
    # waits for a person is seen in the store, polled less and less often.
    ended = asyncio.ensure_future(handle.result()) if handle is not None else None
    try:
        async with asyncio.timeout(wait):
            delay = 0.02
            while True:
                waited = ended is not None and ended.done()
                if waited and handle is not None and _failed(run_id, ended):  # type: ignore[arg-type]
                    # The long poll itself gave up (a busy server's deadline), not the
                    # workflow: poll again.
                    ended = asyncio.ensure_future(handle.result())
                events = await _settled(opened, run_id, decided)
                if events is not None:
                    return result_from_log(pipe, run_id, events, raise_on_failure)
                if ended is not None:
                    await asyncio.wait([ended], timeout=delay)
                else:
                    await asyncio.sleep(delay)
                delay = min(delay * 1.5, 1.0)
    finally:
        if ended is not None and not ended.done():
            ended.cancel()
        if isinstance(store, str):
            await opened.close()


async def _settled(store: RunStore, run_id: str, decided: str | None) -> list[Event] | None:
    if decided is not None:
        record = await store.approval(decided)
        if record is None or record.pending:
            return None
        events = await store.load(run_id)
        at = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, ApprovalDecided) and e.approval_id == decided
        )
        return events if any(isinstance(e, RunFinished) for e in events[at:]) else None
    summary = await store.run(run_id)
    if summary is None or summary.status in _UNSETTLED:
        return None
    return await store.load(run_id)


def _failed(run_id: str, ended: asyncio.Future[Any]) -> bool:
    """Whether waiting on the workflow's result failed for a reason of its own (True:
    wait again); the workflow's own failure is raised."""
    error = ended.exception()
    if error is None:
        return False  # finished: its last append is in the store, read next
    if isinstance(error, WorkflowFailureError):
        raise ConfigError(f"the workflow of run {run_id!r} failed: {error.cause}") from error
    if isinstance(error, RPCError) and error.status in _TRANSIENT:
        return True
    raise ConfigError(f"waiting on the workflow of run {run_id!r}: {error}") from error


# What a long poll of a busy or restarting server answers; the workflow is unaffected.
_TRANSIENT = frozenset(
    {
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)


def result_from_log(
    pipe: Pipeline, run_id: str, events: list[Event], raise_on_failure: bool = True
) -> RunResult:
    """A run's result as its log describes it (the artifacts in the pipeline's types)."""
    state = fold(run_id, events, coercer(pipe, run_id))
    error: RunFailed | None = None
    if state.status is RunStatus.FAILED:
        error = _ended(pipe.validate(), state) or _recorded_error(state.error_type, state.error)
    result = RunResult(
        run_id, state.pipeline or pipe.name, state.status, state.step_artifacts(), events, error
    )
    if error is not None:
        error.run_id = run_id
        error.result = result  # type: ignore[attr-defined]
        if raise_on_failure:
            raise error
    return result


_BUDGET = re.compile(r"budget '(\w+)' exceeded(?: at step '(.*?)')?: (\S+) of (\S+) used")


def _recorded_error(kind: str | None, message: str | None) -> RunFailed:
    """The error a failed run recorded, rebuilt from its words where its decisions do not
    say it (a budget spent by a model call)."""
    message = message or "the run failed"
    found = _BUDGET.search(message) if kind == "BudgetExceeded" else None
    if found is not None:
        budget, step, used, limit = found.groups()
        error = BudgetExceeded(budget, float(limit), float(used), step=step)
        error.args = (message,)
        return error
    return RemoteRunFailed(kind or "RunFailed", message)


async def send_decision(engine: str, run_id: str, decided: ApprovalDecided) -> None:
    """Signal the decision to the run's workflow. Temporal keeps it until a worker runs.

    Raises:
        ApprovalError: the run's workflow is not running.
    """
    client = await connect(parse_target(engine))
    handle = client.get_workflow_handle(run_id)
    decision = {
        "approval_id": decided.approval_id,
        "decision": decided.decision,
        "reason": decided.reason,
        "edit": decided.edit,
        "reviewer": decided.reviewer,
        "route_to": decided.route_to,
        "reviewer_kind": decided.reviewer_kind,
        "reason_code": decided.reason_code,
        "at": decided.at,
    }
    try:
        await handle.signal(DECIDE, decision)
    except RPCError as e:
        if e.status is RPCStatusCode.NOT_FOUND:
            raise ApprovalError(
                f"run {run_id!r} has no running workflow on {engine.split('?')[0]}: it ended, "
                "or was started on another Temporal"
            ) from None
        raise
