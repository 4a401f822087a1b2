"""Property tests of run state: a run cut at any point a crash can leave it (every batch
the store received) and resumed ends exactly as the uninterrupted run, with no completed
attempt executed twice and no tool call a person approved made twice; the reducer folds
the log into the state the executor kept; and the executor's inline fast path writes the
same log as its general path."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic_core import to_jsonable_python
from tests.runtime.pipelines import (
    Spec,
    acted_in,
    build,
    dangling_approvals,
    dangling_intents,
    drive,
    open_attempts,
    outcome,
    specs,
    without_fast_path,
)

from seamline.events import ApprovalRequested, Event, StepStarted, ToolCalled
from seamline.runtime.state import fold
from seamline.store import MemoryStore, open_store
from seamline.store.base import RunStore


class Batches(MemoryStore):
    """The in-memory store, keeping every batch it was given, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[Event]] = []

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        await super().append(run_id, events)
        self.batches.append(list(events))


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _timeless(v)
            for k, v in value.items()
            if k not in ("at", "timeout_at", "seconds", "timestamp")
        }
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _comparable(events: list[Event]) -> list[Any]:
    """A log without what differs between two runs of the same work: times and ids."""
    out = []
    for e in events:
        data = _timeless(to_jsonable_python(e))
        if data.get("approval_id"):
            data["approval_id"] = data["approval_id"].rsplit(".", 1)[-1]
        if "closes" in data:
            data["closes"] = [c.rsplit(".", 1)[-1] for c in data["closes"]]
        out.append((type(e).__name__, data))
    return out


def _renamed(event: Event, run_id: str) -> Event:
    """An event of run "run" as run `run_id`'s (approval ids name their run)."""
    changes: dict[str, Any] = {}
    if isinstance(getattr(event, "approval_id", None), str):
        changes["approval_id"] = event.approval_id.replace("run.", f"{run_id}.", 1)  # type: ignore[attr-defined]
    if getattr(event, "closes", None):
        changes["closes"] = [c.replace("run.", f"{run_id}.", 1) for c in event.closes]  # type: ignore[attr-defined]
    return dataclasses.replace(event, **changes) if changes else event


async def _uninterrupted(spec: Spec) -> tuple[Batches, dict[str, Any], Counter[Any], Counter[Any]]:
    built = build(spec)
    store = Batches()
    result = await drive(built, store, "run", start=True)
    log = await store.load("run")
    assert Counter(acted_in(log)) == Counter(built.acted), "every call made is in the log"
    return store, outcome(result, log), Counter(built.executed), Counter(built.acted)


async def _check_every_cut(spec: Spec, reference: RunStore | None = None) -> None:
    recorded, expected, executed, acted = await _uninterrupted(spec)
    boundaries = []
    n = 0
    for batch in recorded.batches:
        n += len(batch)
        boundaries.append(n)
    full = await recorded.load("run")
    tag = uuid.uuid4().hex[:8]
    for k, cut in enumerate(boundaries[:-1]):
        built = build(spec)
        store = reference if reference is not None else MemoryStore()
        run_id = f"run-{tag}-cut-{k}"
        # The prefix, batch by batch as the store first received it.
        seen = 0
        for batch in recorded.batches:
            if seen >= cut:
                break
            await store.append(run_id, [_renamed(e, run_id) for e in batch])
            seen += len(batch)
        pure = {s.name for s in spec.steps if s.pure}  # their code does not see the attempt
        prefix_executed = Counter(
            (e.step, e.index, 0 if e.step in pure else e.attempt)
            for e in full[:cut]
            if isinstance(e, StepStarted)
        )
        # An attempt cut while it ran runs again under its own number: once more.
        again = Counter(
            (step, index, 0 if step in pure else attempt)
            for step, index, attempt in open_attempts(full[:cut])
        )
        # Cut between an approved call's intent and its result: its attempt runs once more,
        # to ask whether the call happened (it never is made again on its own).
        again += Counter(
            (step, index, 0 if step in pure else attempt)
            for step, index, attempt in dangling_intents(full[:cut])
        )
        result = await drive(built, store, run_id, start=False)
        log = await store.load(run_id)
        dangling = dangling_approvals(full[:cut], run_id)
        if dangling:
            # A person is asked whether each call happened before it is made again. That
            # extra round of decisions changes the rest of the run's scheduling (a reroute
            # discards other items' work at another point, and the reviewer's decisions
            # follow the history), so the run may end differently: what must hold is that
            # each unknown outcome went to a person and no intent's decision made a call.
            asked = {
                e.artifact.get("outcome_unknown")
                for e in log
                if isinstance(e, ApprovalRequested) and isinstance(e.artifact, dict)
            }
            assert dangling <= asked, f"cut after {cut}: an unknown outcome not asked about"
            remade = [
                e for e in log[cut:] if isinstance(e, ToolCalled) and e.approval_id in dangling
            ]
            assert not remade, f"cut after {cut}: a call with an intent was made again"
            assert result.status.is_final, f"cut after {cut}: the run did not end"
            continue
        assert outcome(result, log) == expected, f"cut after event {cut} of {len(full)}"
        # Nothing done before the cut ran again; together, the same work as uninterrupted.
        assert Counter(built.executed) + prefix_executed - again == executed, f"cut after {cut}"
        # A call a person approved is made once, wherever the run was cut.
        assert Counter(built.acted) + Counter(acted_in(full[:cut])) == acted, f"cut after {cut}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_a_run_cut_at_any_batch_and_resumed_ends_as_the_uninterrupted_one(spec: Spec) -> None:
    asyncio.run(_check_every_cut(spec))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_the_reducer_folds_the_log_into_the_state_the_executor_kept(spec: Spec) -> None:
    async def go() -> None:
        built = build(spec)
        store = MemoryStore()
        result = await built.pipe.run(built.inputs, store=store, raise_on_failure=False)
        folded = fold(result.run_id, await store.load(result.run_id))
        assert to_jsonable_python(folded.step_artifacts()) == to_jsonable_python(result.artifacts)
        assert folded.status is result.status
        live = result.state  # folded from the log the result holds, as every reader does
        assert dict(folded.attempts) == dict(live.attempts)
        assert dict(folded.done) == dict(live.done)
        assert folded.model_calls == live.model_calls
        assert folded.tool_calls == live.tool_calls
        assert dict(folded.waiting) == dict(live.waiting)

    asyncio.run(go())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_the_fast_path_writes_the_same_log_as_the_general_path(spec: Spec) -> None:
    async def go() -> None:
        fast, slow = build(spec), build(spec)
        without_fast_path(slow.pipe)
        logs = []
        for built in (fast, slow):
            store = MemoryStore()
            result = await drive(built, store, "run", start=True)
            logs.append((_comparable(await store.load("run")), str(result.status)))
        assert logs[0] == logs[1]
        assert fast.executed == slow.executed

    asyncio.run(go())


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_cuts_resume_the_same_on_a_durable_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path}/runs.db"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(specs())
    def check(spec: Spec) -> None:
        async def go() -> None:
            store = await open_store(url)
            try:
                await _check_every_cut(spec, reference=store)
            finally:
                await store.close()

        asyncio.run(go())

    check()
