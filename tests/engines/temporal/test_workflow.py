"""A run on Temporal is the same run as in one process: the same artifacts, the same log
(modulo times and ids), the same decisions, read by the same readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.workflow import NondeterminismError
from tests.engines.temporal.pipelines import Doc, failing, gated, many, reader

import seamline as sl
from seamline.engines.temporal.worker import temporal_worker
from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    RunFinished,
    RunStarted,
    StepErrored,
    StepFinished,
    StepStarted,
)
from seamline.store import open_store

pytestmark = pytest.mark.slow

DOC = Doc(words=["a", "b", "c"])


def shape(events: list[Event]) -> list[tuple[Any, ...]]:
    """The log without its times, ids and process numbers: what happened, in order."""
    out: list[tuple[Any, ...]] = []
    for e in events:
        kind = type(e).__name__
        if isinstance(e, RunStarted):
            out.append((e.seq, kind, e.pipeline, e.options["gates"], e.options["graph"]))
        elif isinstance(e, StepStarted | StepFinished | StepErrored):
            artifact = getattr(e, "artifact", None)
            artifact = artifact.model_dump() if hasattr(artifact, "model_dump") else artifact
            if isinstance(artifact, list):
                artifact = [a.model_dump() if hasattr(a, "model_dump") else a for a in artifact]
            out.append((e.seq, kind, e.step, e.attempt, e.index, artifact))
        elif isinstance(e, ModelCalled):
            out.append((e.seq, kind, e.step, e.attempt, e.index, e.purpose, e.request["prompt"]))
        elif isinstance(e, GateEvaluated):
            out.append((e.seq, kind, e.step, e.attempt, e.index, e.action, e.effect, e.feedback))
        elif isinstance(e, ApprovalRequested):
            out.append((e.seq, kind, e.step, e.index, e.reason))
        elif isinstance(e, ApprovalDecided):
            out.append((e.seq, kind, e.decision, e.reviewer))
        elif isinstance(e, RunFinished):
            out.append((e.seq, kind, e.status))
        else:
            out.append((e.seq, kind))
    return out


async def test_a_gated_map_with_a_retry_and_an_approval_runs_as_it_does_locally(
    engine: str, tmp_path: Path
) -> None:
    local_store = f"sqlite:///{tmp_path}/local.db"
    store = f"sqlite:///{tmp_path}/temporal.db"
    local = await gated.run({"doc": DOC}, store=local_store)
    async with temporal_worker([gated], engine=engine, store=store):
        remote = await gated.run({"doc": DOC}, store=store, engine=engine)
        assert remote.status == local.status == "waiting"
        assert remote.artifacts == local.artifacts
        (pending,) = remote.pending_approvals
        (local_pending,) = local.pending_approvals
        done = await gated.decide(pending.approval_id, "approve", store=store, reviewer="ana")
        local_done = await gated.decide(
            local_pending.approval_id, "approve", store=local_store, reviewer="ana"
        )
    assert done is not None and local_done is not None
    assert done.status == local_done.status == "succeeded"
    assert done.artifacts == local_done.artifacts
    assert done["summary"].words == ["A", "B", "C"]
    # The same log, event for event: the retry of item 1 with the gate's feedback in its
    # prompt, the judge's calls, the approval, the decision and the resumption.
    remote_log = await _load(store, done.run_id)
    local_log = await _load(local_store, local_done.run_id)
    assert shape(remote_log) == shape(local_log)
    retried = [e for e in remote_log if isinstance(e, GateEvaluated) and e.action == "retry"]
    assert [(e.index, e.feedback) for e in retried] == [
        (1, ["is the word in upper case: b? is not B"])
    ]
    assert remote_log[0].options["engine"].startswith("temporal://")  # type: ignore[attr-defined]
    # Temporal replays the workflow's history through the same code without a difference:
    # the orchestration is deterministic.
    await _replays(engine, done.run_id)


async def _replays(engine: str, run_id: str) -> None:
    from seamline.engines.temporal.client import connect
    from seamline.engines.temporal.target import parse_target
    from seamline.engines.temporal.worker import replay

    client = await connect(parse_target(engine))
    history = await client.get_workflow_handle(run_id).fetch_history()
    await replay(history, [gated])
    # And a replay tells when a change would decide otherwise: the same pipeline with a
    # ladder that fails at once instead of retrying.
    changed = sl.Pipeline("gated", inputs={"doc": Doc}, model=gated.model)
    for name, step in gated.steps.items():
        changed.step(name=name, map=step.map, concurrency=step.concurrency)(step.fn)
    gate = gated.validate().gates["upper"]
    changed.gate("upper", *gate.checks, *gate.judges, on_fail=sl.fail())
    changed.approval("summary")
    with pytest.raises(NondeterminismError):
        await replay(history, [changed])


async def _load(url: str, run_id: str) -> list[Event]:
    store = await open_store(url)
    try:
        return await store.load(run_id)
    finally:
        await store.close()


async def test_readers_read_a_temporal_run_as_any_other(engine: str, tmp_path: Path) -> None:
    from seamline.reliability import run_report

    store = f"sqlite:///{tmp_path}/runs.db"
    async with temporal_worker([many], engine=engine, store=store):
        result = await many.run({"doc": Doc(words=["x", "y"])}, store=store, engine=engine)
    assert result.ok and result["joined"].words == ["X", "Y"]
    opened = await open_store(store)
    try:
        (summary,) = await opened.runs()
        assert summary.run_id == result.run_id and summary.status == "succeeded"
        report = run_report(await opened.load(result.run_id))
    finally:
        await opened.close()
    assert report is not None


async def test_a_rejection_sends_the_work_back_as_it_does_locally(
    engine: str, tmp_path: Path
) -> None:
    local_store = f"sqlite:///{tmp_path}/local.db"
    store = f"sqlite:///{tmp_path}/temporal.db"
    finals = {}
    async with temporal_worker([gated], engine=engine, store=store):
        for where, kwargs in ((local_store, {}), (store, {"engine": engine})):
            first = await gated.run({"doc": Doc(words=["c"])}, store=where, **kwargs)
            (pending,) = first.pending_approvals
            again = await gated.decide(
                pending.approval_id,
                "reject",
                store=where,
                reason="too short",
                reason_code="incomplete",
                reviewer="ana",
            )
            assert again is not None and again.status == "waiting"
            (pending,) = again.pending_approvals
            done = await gated.decide(
                pending.approval_id, "approve", store=where, reviewer_kind="simulated"
            )
            assert done is not None and done.status == "succeeded"
            decided = [e for e in done.events if isinstance(e, ApprovalDecided)]
            assert [e.reviewer_kind for e in decided] == ["human", "simulated"]
            assert [e.reason_code for e in decided] == ["incomplete", None]
            finals[where] = shape(await _load(where, done.run_id))
    assert finals[store] == finals[local_store]
    kinds = [row[1] for row in finals[store]]
    assert kinds.count("Rewound") == 1 and kinds.count("ApprovalRequested") == 2


async def test_failures_end_the_run_with_the_local_engine_s_error(
    engine: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path}/temporal.db"
    local = await failing.run({"doc": DOC}, raise_on_failure=False)
    local_budget = await gated.run(
        {"doc": DOC}, budget=sl.Budget(model_calls=2), raise_on_failure=False
    )
    async with temporal_worker([failing, gated], engine=engine, store=store):
        with pytest.raises(sl.StepFailed) as crashed:
            await failing.run({"doc": DOC}, store=store, engine=engine)
        spent = await gated.run(
            {"doc": DOC},
            store=store,
            engine=engine,
            budget=sl.Budget(model_calls=2),
            raise_on_failure=False,
        )
    assert str(crashed.value) == str(local.error)
    assert "failed on attempt 2: ValueError: cannot read 3 words" in str(crashed.value)
    assert crashed.value.result.status == "failed"  # type: ignore[attr-defined]
    assert spent.status == "failed" and isinstance(spent.error, sl.BudgetExceeded)
    assert str(spent.error) == str(local_budget.error)
    assert shape(spent.events) == shape(local_budget.events)


async def test_steps_read_the_context_store_as_of_the_run_s_start(
    engine: str, tmp_path: Path
) -> None:
    """ctx.search on a worker reads the context store of the run store's file, pinned to
    the revision current when the run started; the gate's check takes what the attempt
    read; the reads are in the log as a local run writes them."""
    from seamline.context import make_document, open_context
    from seamline.context.reads import close_shared

    rules = [
        make_document("rules.md", f"# Rules\n\nAt most {n} words per sentence.")
        for n in (30, 12)
    ]
    doc = Doc(words=["sentence", "length"])
    local_store = f"sqlite:///{tmp_path}/local.db"
    store = f"sqlite:///{tmp_path}/temporal.db"
    for url in (local_store, store):
        context = await open_context(url)
        try:
            await context.add("rules", [rules[0]])
        finally:
            await context.close()
    try:
        local = await reader.run({"doc": doc}, store=local_store)
        async with temporal_worker([reader], engine=engine, store=store):
            remote = await reader.run({"doc": doc}, store=store, engine=engine)
            # A rule changed after the run: a new run reads it, a replay does not.
            context = await open_context(store)
            try:
                await context.add("rules", [rules[1]])
            finally:
                await context.close()
            newer = await reader.run({"doc": doc}, store=store, engine=engine)
    finally:
        await close_shared()
    assert remote.ok and remote.artifacts == local.artifacts
    assert remote["cite"].claims == ["At most 30 words per sentence."]
    assert newer["cite"].claims == ["At most 12 words per sentence."]
    remote_log = await _load(store, remote.run_id)
    assert shape(remote_log) == shape(await _load(local_store, local.run_id))
    reads = [e for e in remote_log if isinstance(e, ContextRead)]
    assert [(e.attempt, e.revision) for e in reads] == [(1, 1), (2, 1)]
    verdicts = [e for e in remote_log if isinstance(e, GateEvaluated)]
    assert [(e.attempt, e.effect) for e in verdicts] == [(1, "again"), (2, "pass")]
    replayed = await reader.replay(remote.run_id, store=store)
    assert replayed["cite"] == remote["cite"]


def test_a_context_store_object_cannot_travel_to_the_workers(tmp_path: Path) -> None:
    with pytest.raises(sl.PipelineError, match="pass its URL"):
        reader.run(
            {"doc": DOC},
            store=f"sqlite:///{tmp_path}/runs.db",
            engine="temporal://127.0.0.1:1",
            context=object(),
        )
