"""Durable human checkpoints: the run waits in the store; decisions arrive from anywhere;
approve, reject (routes back with the reason), edit (validated); never twice."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

import seamline as sl
import seamline.events
from seamline.events import ApprovalDecided, StepStarted
from seamline.store import MemoryStore


class Brief(BaseModel):
    text: str


class Draft(BaseModel):
    text: str
    version: int


class Post(BaseModel):
    text: str


def content_pipeline(counter: dict[str, int], route_to: str | None = None) -> sl.Pipeline:
    """Built fresh per 'process': the pipeline is code; the run lives in the store."""
    pipe = sl.Pipeline("content", inputs={"brief": Brief})

    @pipe.step
    async def research(brief: Brief) -> Brief:
        counter["research"] = counter.get("research", 0) + 1
        return Brief(text=f"notes on {brief.text}")

    @pipe.step
    async def draft(research: Brief, ctx: sl.StepContext) -> Draft:
        counter["draft"] = counter.get("draft", 0) + 1
        fixed = " (fixed: " + "; ".join(ctx.feedback) + ")" if ctx.feedback else ""
        return Draft(text=f"draft of {research.text}{fixed}", version=counter["draft"])

    @pipe.step
    async def publish(draft: Draft) -> Post:
        counter["publish"] = counter.get("publish", 0) + 1
        return Post(text=draft.text)

    pipe.approval("draft", route_to=route_to)
    return pipe


async def test_run_waits_and_an_approval_from_another_process_finishes_it() -> None:
    store = MemoryStore()
    first_process: dict[str, int] = {}
    result = await content_pipeline(first_process).run({"brief": Brief(text="tides")}, store=store)
    assert result.status is sl.RunStatus.WAITING and "publish" not in result.artifacts
    (pending,) = await store.pending_approvals()
    assert pending.step == "draft" and pending.run_id == result.run_id
    assert (await store.runs())[0].status is sl.RunStatus.WAITING

    second_process: dict[str, int] = {}
    done = await content_pipeline(second_process).decide(
        pending.approval_id, "approve", store=store, reviewer="ana"
    )
    assert done is not None and done.ok and done["publish"].text == "draft of notes on tides"
    assert second_process == {"publish": 1}  # nothing completed was executed again
    assert await store.pending_approvals() == []


async def test_reject_routes_back_with_the_reason_as_feedback() -> None:
    store = MemoryStore()
    counter: dict[str, int] = {}
    pipe = content_pipeline(counter)
    await pipe.run({"brief": Brief(text="tides")}, store=store)
    (pending,) = await store.pending_approvals()
    again = await pipe.decide(
        pending.approval_id, "reject", store=store, reason="cite the tide tables"
    )
    assert again is not None and again.status is sl.RunStatus.WAITING
    assert "rejected by a reviewer: cite the tide tables" in again.artifacts["draft"].text
    assert counter == {"research": 1, "draft": 2}
    (second,) = await store.pending_approvals()
    assert second.approval_id != pending.approval_id
    final = await pipe.decide(second.approval_id, "approve", store=store)
    assert final is not None and final.ok and final["publish"].text.startswith("draft of notes")


async def test_reject_can_route_to_an_earlier_step() -> None:
    store = MemoryStore()
    counter: dict[str, int] = {}
    pipe = content_pipeline(counter, route_to="research")
    await pipe.run({"brief": Brief(text="tides")}, store=store)
    (pending,) = await store.pending_approvals()
    await pipe.decide(pending.approval_id, "reject", store=store, reason="wrong sources")
    assert counter == {"research": 2, "draft": 2}


async def test_edit_replaces_the_artifact_after_validating_it() -> None:
    store = MemoryStore()
    counter: dict[str, int] = {}
    pipe = content_pipeline(counter)
    await pipe.run({"brief": Brief(text="tides")}, store=store)
    (pending,) = await store.pending_approvals()
    log_before = await store.load(pending.run_id)
    with pytest.raises(sl.ApprovalError, match="the edit is not a valid 'draft' artifact"):
        await pipe.decide(pending.approval_id, "edit", store=store, edit={"text": "no version"})
    assert await store.load(pending.run_id) == log_before  # a refused edit changes nothing
    done = await pipe.decide(
        pending.approval_id, "edit", store=store, edit=Draft(text="human words", version=9)
    )
    assert done is not None and done["publish"].text == "human words" and done["draft"].version == 9
    assert counter == {"research": 1, "draft": 1, "publish": 1}


async def test_deciding_twice_is_an_error_that_changes_nothing() -> None:
    store = MemoryStore()
    pipe = content_pipeline({})
    await pipe.run({"brief": Brief(text="tides")}, store=store)
    (pending,) = await store.pending_approvals()
    await pipe.decide(pending.approval_id, "approve", store=store, resume=False)
    log = await store.load(pending.run_id)
    with pytest.raises(sl.ApprovalError, match="not pending"):
        await pipe.decide(pending.approval_id, "reject", store=store, reason="too late")
    assert await store.load(pending.run_id) == log
    assert sum(isinstance(e, ApprovalDecided) for e in log) == 1


async def test_a_rejection_needs_a_reason() -> None:
    store = MemoryStore()
    pipe = content_pipeline({})
    await pipe.run({"brief": Brief(text="tides")}, store=store)
    (pending,) = await store.pending_approvals()
    with pytest.raises(sl.ApprovalError, match="needs a reason"):
        await pipe.decide(pending.approval_id, "reject", store=store)


def branching_pipeline() -> sl.Pipeline:
    pipe = sl.Pipeline("branches", inputs={"brief": Brief})

    @pipe.step
    async def left(brief: Brief) -> Post:
        return Post(text="L")

    @pipe.step
    async def right(brief: Brief) -> Post:
        return Post(text="R")

    @pipe.step
    async def join(left: Post, right: Post) -> Post:
        return Post(text=left.text + right.text)

    pipe.approval("left")
    pipe.approval("right")
    return pipe


async def test_parallel_branches_wait_with_their_own_approvals() -> None:
    store = MemoryStore()
    pipe = branching_pipeline()
    result = await pipe.run({"brief": Brief(text="x")}, store=store)
    assert result.status is sl.RunStatus.WAITING
    pending = {a.step: a for a in await store.pending_approvals()}
    assert set(pending) == {"left", "right"}
    assert pending["left"].approval_id != pending["right"].approval_id
    after_left = await pipe.decide(pending["left"].approval_id, "approve", store=store)
    assert after_left is not None and after_left.status is sl.RunStatus.WAITING
    assert [a.step for a in await store.pending_approvals()] == [
        "right"
    ]  # not resolved by the other
    done = await pipe.decide(pending["right"].approval_id, "approve", store=store)
    assert done is not None and done["join"].text == "LR"


async def test_escalation_becomes_an_approval_that_a_human_can_approve() -> None:
    store = MemoryStore()
    pipe = sl.Pipeline("esc", inputs={"brief": Brief})

    @pipe.step
    async def draft(brief: Brief) -> Draft:
        return Draft(text="short", version=1)

    @pipe.step
    async def publish(draft: Draft) -> Post:
        return Post(text=draft.text)

    pipe.gate(
        "draft",
        sl.check("long enough", lambda draft: len(draft.text) > 10),
        on_fail=sl.escalate_to_human(),
    )
    result = await pipe.run({"brief": Brief(text="x")}, store=store)
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    (pending,) = await store.pending_approvals()
    assert pending.reason == "escalation"
    done = await pipe.decide(pending.approval_id, "approve", store=store, reviewer="editor")
    assert done is not None and done["publish"].text == "short"


async def test_approval_timeout_applies_its_policy_on_resume() -> None:
    store = MemoryStore()
    pipe = sl.Pipeline("timeout", inputs={"brief": Brief})

    @pipe.step
    async def draft(brief: Brief) -> Draft:
        return Draft(text="t", version=1)

    @pipe.step
    async def publish(draft: Draft) -> Post:
        return Post(text=draft.text)

    pipe.approval("draft", timeout=0.05, on_timeout="approve")
    result = await pipe.run({"brief": Brief(text="x")}, store=store)
    assert result.status is sl.RunStatus.WAITING
    early = await pipe.resume(result.run_id, store=store)
    assert early.status is sl.RunStatus.WAITING  # not yet timed out
    await asyncio.sleep(0.06)
    done = await pipe.resume(result.run_id, store=store)
    assert done.ok and done["publish"].text == "t"
    (decided,) = [e for e in done.events if isinstance(e, ApprovalDecided)]
    assert decided.decision == "timeout" and decided.reviewer == "seamline"


async def test_resume_of_a_finished_run_does_nothing() -> None:
    store = MemoryStore()
    counter: dict[str, int] = {}
    pipe = sl.Pipeline("once", inputs={"brief": Brief})

    @pipe.step
    async def only(brief: Brief) -> Post:
        counter["only"] = counter.get("only", 0) + 1
        return Post(text="x")

    result = await pipe.run({"brief": Brief(text="x")}, store=store)
    again = await pipe.resume(result.run_id, store=store)
    assert again.ok and counter == {"only": 1}
    assert sum(isinstance(e, StepStarted) for e in again.events) == 1


@pytest.mark.parametrize("url", ["memory://", "sqlite"])
async def test_a_decision_bound_to_a_stale_view_is_refused(url: str, tmp_path: object) -> None:
    store_url = url if url != "sqlite" else f"sqlite:///{tmp_path}/runs.db"
    store = await sl.open_store(store_url)
    try:
        pipe = content_pipeline({})
        result = await pipe.run({"brief": Brief(text="tides")}, store=store)
        (request,) = result.pending_approvals
        shown = sl.approval_fingerprint(request)  # the artifact as a model, in the result
        (pending,) = await store.pending_approvals()
        events = await store.load(pending.run_id)
        (stored,) = [e for e in events if isinstance(e, sl.events.ApprovalRequested)]
        assert sl.approval_fingerprint(stored) == shown  # and as JSON read back from the store

        other = sl.events.ApprovalRequested(**{**vars_of(stored), "artifact": {"text": "x"}})
        with pytest.raises(sl.StaleApproval, match="not what the reviewer saw"):
            await pipe.decide(
                pending.approval_id, "approve", store=store, expected=sl.approval_fingerprint(other)
            )
        assert await store.load(pending.run_id) == events  # nothing written
        done = await pipe.decide(pending.approval_id, "approve", store=store, expected=shown)
        assert done is not None and done.ok
    finally:
        await store.close()


def vars_of(event: object) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}  # type: ignore[arg-type]
