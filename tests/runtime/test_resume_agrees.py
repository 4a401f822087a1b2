"""Resume agrees with the live run: each of these broke before run state had one reducer
(issue 10), and each test asserts what a user sees."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

import seamline as sl
from seamline.events import (
    ApprovalRequested,
    Event,
    GateEvaluated,
    Rewound,
    StepErrored,
    StepStarted,
)
from seamline.store import MemoryStore
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float


class Scene(BaseModel):
    n: int


class Scenes(BaseModel):
    items: list[Scene]


class Frame(BaseModel):
    scene: int
    take: int
    note: str = ""


class Cut(BaseModel):
    frames: list[Frame]


class Renamed(BaseModel):
    total: float


async def _cut_at(result: sl.RunResult, keep: int) -> MemoryStore:
    """A store holding the first `keep` events of `result`'s log: the run as a process
    killed right there left it."""
    store = MemoryStore()
    await store.append(result.run_id, result.events[:keep])
    return store


def _first(events: list[Event], kind: type[Event], **fields: object) -> int:
    return next(
        n
        for n, e in enumerate(events)
        if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
    )


# -- models survive a resume ----------------------------------------------------------------


def _claims(
    model: sl.testing.ScriptedModel | str | None = None, backup: object = None
) -> sl.Pipeline:
    pipe = sl.Pipeline("claims", inputs={"doc": Doc}, model=model)

    @pipe.step
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, f"Extract: {doc.text}")

    on_fail = sl.retry(1)
    if backup is not None:
        on_fail = on_fail.then(sl.fallback_model(backup))  # type: ignore[arg-type]
    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=on_fail.then(sl.escalate_to_human()),
    )
    return pipe


async def test_a_fallback_model_object_is_found_again_after_a_rejection() -> None:
    primary = ScriptedModel([Claim(amount=-1), Claim(amount=-2)], name="primary")
    backup = ScriptedModel([Claim(amount=-3), Claim(amount=7)], name="backup")
    pipe = _claims(primary, backup)
    store = MemoryStore()
    waiting = await pipe.run({"doc": Doc(text="x")}, store=store)
    assert waiting.status is sl.RunStatus.NEEDS_REVIEW
    (pending,) = waiting.pending_approvals

    # Another "process": the pipeline is built anew with its own model objects.
    done = await pipe.decide(pending.approval_id, "reject", reason="try again", store=store)

    assert done is not None and done.status is sl.RunStatus.SUCCEEDED
    assert done["claim"] == Claim(amount=7)
    assert "rejected by a reviewer: try again" in backup.requests[-1].prompt
    fallback = next(e for e in done.events if isinstance(e, GateEvaluated) and e.model)
    assert (fallback.action, fallback.model) == ("fallback:backup", "backup")


async def test_a_pipeline_model_object_survives_an_approval() -> None:
    model = ScriptedModel([Claim(amount=5), Claim(amount=6)], name="house-model")
    pipe = _claims(model)
    pipe.approval("claim")
    store = MemoryStore()
    first = await pipe.run({"doc": Doc(text="x")}, store=store)
    (pending,) = first.pending_approvals
    done = await pipe.decide(pending.approval_id, "reject", reason="again", store=store)
    assert done is not None and done.status is sl.RunStatus.WAITING  # asks again, on the same model
    assert len(model.requests) == 2


async def test_a_run_model_object_the_pipeline_does_not_know_is_asked_for_by_name() -> None:
    pipe = _claims()
    pipe.approval("claim")
    store = MemoryStore()
    outside = ScriptedModel([Claim(amount=5), Claim(amount=6)], name="outside")
    first = await pipe.run({"doc": Doc(text="x")}, store=store, model=outside)
    (pending,) = first.pending_approvals
    with pytest.raises(sl.ConfigError, match=r"'outside'.*models="):
        await pipe.decide(pending.approval_id, "reject", reason="again", store=store)
    # Given the object, the same run goes on.
    (pending,) = (await pipe.resume(first.run_id, store=store, model=outside)).pending_approvals
    assert pending.step == "claim" and len(outside.requests) == 2


def test_two_model_objects_under_one_name_are_refused_at_build_time() -> None:
    a, b = ScriptedModel([], name="same"), ScriptedModel([], name="same")
    pipe = _claims(a, b)
    with pytest.raises(sl.PipelineError, match="two different model objects are both named 'same'"):
        pipe.validate()


# -- attempts and crashes -------------------------------------------------------------------


@pytest.mark.parametrize("gates", ["shadow", "off"])
async def test_a_retry_without_an_acting_gate_killed_mid_attempt_is_not_run_a_third_time(
    gates: sl.pipeline.GateMode,
) -> None:
    seen: list[int] = []
    pipe = sl.Pipeline("p", inputs={"doc": Doc})

    @pipe.step(attempts=2, backoff=0)
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        seen.append(ctx.attempt)
        raise sl.Retry("not yet")

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0))
    live = await pipe.run({"doc": Doc(text="x")}, gates=gates, raise_on_failure=False)
    assert live.status is sl.RunStatus.FAILED and seen == [1, 2]

    store = await _cut_at(live, _first(live.events, StepStarted, attempt=2) + 1)
    seen.clear()
    resumed = await pipe.resume(live.run_id, store=store, raise_on_failure=False)

    assert seen == [2]  # attempt 2 again, under its own number; no attempt 3
    assert resumed.status is sl.RunStatus.FAILED
    assert isinstance(resumed.error, sl.StepFailed) and resumed.error.attempt == 2


async def test_resuming_a_finished_run_returns_its_artifacts() -> None:
    pipe = _claims(ScriptedModel([Claim(amount=3)]))
    store = MemoryStore()
    done = await pipe.run({"doc": Doc(text="x")}, store=store)
    again = await pipe.resume(done.run_id, store=store)
    assert again.status is sl.RunStatus.SUCCEEDED
    assert again.artifacts == {"claim": Claim(amount=3)}


# -- budgets come from the log ----------------------------------------------------------------


def _three_calls(model: ScriptedModel) -> sl.Pipeline:
    pipe = sl.Pipeline(
        "budgeted", inputs={"doc": Doc}, model=model, budget=sl.Budget(model_calls=3)
    )

    @pipe.step
    async def first(doc: Doc, ctx: sl.StepContext) -> Claim:
        await ctx.generate(Claim, "one")
        return await ctx.generate(Claim, "two")

    @pipe.step
    async def second(first: Claim, ctx: sl.StepContext) -> Claim:
        await ctx.generate(Claim, "three")
        return await ctx.generate(Claim, "four")

    return pipe


async def test_a_budget_holds_across_a_resume_after_an_approval() -> None:
    straight = _three_calls(ScriptedModel([Claim(amount=1)] * 4))
    with pytest.raises(sl.BudgetExceeded) as without_pause:
        await straight.run({"doc": Doc(text="x")})

    paused = _three_calls(ScriptedModel([Claim(amount=1)] * 4))
    paused.approval("first")
    store = MemoryStore()
    waiting = await paused.run({"doc": Doc(text="x")}, store=store)
    (pending,) = waiting.pending_approvals
    with pytest.raises(sl.BudgetExceeded) as with_pause:
        await paused.decide(pending.approval_id, "approve", store=store)

    for caught in (without_pause.value, with_pause.value):
        assert caught.used == 3 and caught.limit == 3
        assert "3 of 3 used, and another was needed" in str(caught)


# -- map= steps ---------------------------------------------------------------------------------


def _film(critic_fails: int) -> tuple[sl.Pipeline, list[tuple[int, tuple[str, ...]]]]:
    made: list[tuple[int, tuple[str, ...]]] = []
    pipe = sl.Pipeline("film", inputs={"scenes": Scenes})

    @pipe.step
    async def scene_list(scenes: Scenes) -> list[Scene]:
        return scenes.items

    @pipe.step(map="scene_list")
    async def frames(scene_list: Scene, ctx: sl.StepContext) -> Frame:
        made.append((scene_list.n, tuple(ctx.feedback)))
        return Frame(scene=scene_list.n, take=ctx.attempt)

    @pipe.step
    async def cut(frames: list[Frame]) -> Cut:
        return Cut(frames=frames)

    verdicts = iter([False] * critic_fails + [True] * 10)
    pipe.gate(
        "cut",
        sl.check("continuity holds", lambda cut: next(verdicts) or "eye colour changes in scene 2"),
        on_fail=sl.reroute("frames"),
    )
    return pipe, made


async def test_a_reroute_back_to_a_map_step_gives_every_item_the_feedback() -> None:
    pipe, made = _film(critic_fails=1)
    result = await pipe.run({"scenes": Scenes(items=[Scene(n=1), Scene(n=2)])})
    assert result.status is sl.RunStatus.SUCCEEDED
    reason = ("continuity holds: eye colour changes in scene 2",)
    assert sorted(made) == [(1, ()), (1, reason), (2, ()), (2, reason)]
    (rewound,) = [e for e in result.events if isinstance(e, Rewound)]
    assert (rewound.step, rewound.steps, rewound.cause) == ("frames", ["cut", "frames"], "reroute")


def _escalating_frames() -> tuple[sl.Pipeline, list[tuple[int, int]]]:
    made: list[tuple[int, int]] = []
    pipe = sl.Pipeline("film", inputs={"scenes": Scenes})

    @pipe.step
    async def scene_list(scenes: Scenes) -> list[Scene]:
        return scenes.items

    @pipe.step(map="scene_list")
    async def frames(scene_list: Scene, ctx: sl.StepContext) -> Frame:
        made.append((scene_list.n, ctx.attempt))
        return Frame(scene=scene_list.n, take=ctx.attempt, note="; ".join(ctx.feedback))

    @pipe.step
    async def cut(frames: list[Frame]) -> Cut:
        return Cut(frames=frames)

    # Scene 2's first take always fails; a person decides.
    pipe.gate(
        "frames",
        sl.check("sharp", lambda frames: frames.scene != 2 or frames.take > 1),
        on_fail=sl.escalate_to_human(),
    )
    return pipe, made


async def test_rejecting_one_items_escalation_redoes_that_item_only() -> None:
    pipe, made = _escalating_frames()
    store = MemoryStore()
    scenes = Scenes(items=[Scene(n=1), Scene(n=2), Scene(n=3)])
    waiting = await pipe.run({"scenes": scenes}, store=store)
    assert waiting.status is sl.RunStatus.NEEDS_REVIEW
    (escalated,) = waiting.pending_approvals
    assert (escalated.step, escalated.index) == ("frames", 1)
    made.clear()

    done = await pipe.decide(escalated.approval_id, "reject", reason="blurry", store=store)

    assert done is not None and done.status is sl.RunStatus.SUCCEEDED
    assert made == [(2, 2)]  # only scene 2, its next attempt
    assert done["cut"].frames[1] == Frame(scene=2, take=2, note="rejected by a reviewer: blurry")
    assert await store.pending_approvals() == []
    with pytest.raises(sl.ApprovalError, match="not pending"):
        await pipe.decide(escalated.approval_id, "approve", store=store)


async def test_per_item_approvals_are_decided_in_any_order_and_a_rejection_redoes_one_item() -> (
    None
):
    made: list[tuple[int, int]] = []
    pipe = sl.Pipeline("film", inputs={"scenes": Scenes})

    @pipe.step
    async def scene_list(scenes: Scenes) -> list[Scene]:
        return scenes.items

    @pipe.step(map="scene_list")
    async def frames(scene_list: Scene, ctx: sl.StepContext) -> Frame:
        made.append((scene_list.n, ctx.attempt))
        return Frame(scene=scene_list.n, take=ctx.attempt, note="; ".join(ctx.feedback))

    @pipe.step
    async def cut(frames: list[Frame]) -> Cut:
        return Cut(frames=frames)

    pipe.approval("frames", per_item=True)
    store = MemoryStore()
    waiting = await pipe.run(
        {"scenes": Scenes(items=[Scene(n=1), Scene(n=2), Scene(n=3)])}, store=store
    )
    assert waiting.status is sl.RunStatus.WAITING
    by_item = {a.index: a.approval_id for a in waiting.pending_approvals}
    assert sorted(by_item) == [0, 1, 2]
    made.clear()

    await pipe.decide(by_item[2], "approve", store=store, resume=False)
    after_reject = await pipe.decide(by_item[1], "reject", reason="wrong light", store=store)
    assert after_reject is not None and after_reject.status is sl.RunStatus.WAITING
    assert made == [(2, 2)]
    (redo,) = [a for a in after_reject.pending_approvals if a.index == 1]
    assert {a.index for a in after_reject.pending_approvals} == {0, 1}

    await pipe.decide(redo.approval_id, "approve", store=store, resume=False)
    done = await pipe.decide(by_item[0], "approve", store=store)
    assert done is not None and done.status is sl.RunStatus.SUCCEEDED
    assert [f.take for f in done["cut"].frames] == [1, 2, 1]
    assert done["cut"].frames[1].note == "rejected by a reviewer: wrong light"


def test_per_item_needs_a_map_step() -> None:
    pipe = _claims()
    pipe.approval("claim", per_item=True)
    with pytest.raises(sl.PipelineError, match="per_item=True"):
        pipe.validate()


# -- replay applies what people decided ------------------------------------------------------------


async def test_replaying_a_run_a_person_rejected_matches() -> None:
    model = ScriptedModel([Claim(amount=5), Claim(amount=6)])
    pipe = _claims(model)
    pipe.approval("claim")
    store = MemoryStore()
    first = await pipe.run({"doc": Doc(text="x")}, store=store)
    (pending,) = first.pending_approvals
    second = await pipe.decide(pending.approval_id, "reject", reason="too low", store=store)
    assert second is not None
    (again,) = second.pending_approvals
    done = await pipe.decide(again.approval_id, "approve", store=store)
    assert done is not None and done.status is sl.RunStatus.SUCCEEDED

    replayed = await pipe.replay(done.run_id, store=store)

    assert replayed.status is sl.RunStatus.SUCCEEDED
    assert replayed["claim"] == Claim(amount=6)


# -- a step's own validation is a failed gate -----------------------------------------------------


async def test_a_validation_error_the_step_raises_is_a_failed_schema_verdict() -> None:
    pipe = sl.Pipeline("own-validation", inputs={"doc": Doc})
    tries = iter(["not a number", "12.5"])

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim.model_validate({"amount": next(tries)})

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(1))
    result = await pipe.run({"doc": Doc(text="x")})
    assert result["claim"] == Claim(amount=12.5)
    failed = next(e for e in result.verdicts if not e.verdict.passed)
    assert failed.verdict.checks[0].kind == "schema"
    assert "amount" in failed.verdict.reasons[0]
    assert not isinstance(result.error, ValidationError)


# -- a changed pipeline is refused before anything is written ---------------------------------------


async def test_resuming_with_a_step_renamed_says_what_changed_and_writes_nothing() -> None:
    pipe = _claims(ScriptedModel([Claim(amount=1)]))
    pipe.approval("claim")
    store = MemoryStore()
    waiting = await pipe.run({"doc": Doc(text="x")}, store=store)
    (pending,) = waiting.pending_approvals
    before = await store.load(waiting.run_id)

    renamed = sl.Pipeline("claims", inputs={"doc": Doc})

    @renamed.step
    async def extract(doc: Doc) -> Claim:
        return Claim(amount=1)

    renamed.approval("extract")
    with pytest.raises(sl.IncompatibleRun, match=r"step\(s\) \['claim'\].*no longer has"):
        await renamed.decide(pending.approval_id, "approve", store=store)
    with pytest.raises(sl.IncompatibleRun, match="claim"):
        await renamed.resume(waiting.run_id, store=store)
    assert await store.load(waiting.run_id) == before
    assert [a.approval_id for a in await store.pending_approvals()] == [pending.approval_id]


async def test_resuming_with_an_artifact_field_renamed_names_the_step() -> None:
    pipe = _claims(ScriptedModel([Claim(amount=1)]))
    pipe.approval("claim")
    store = MemoryStore()
    waiting = await pipe.run({"doc": Doc(text="x")}, store=store)

    changed = sl.Pipeline("claims", inputs={"doc": Doc})

    @changed.step
    async def claim(doc: Doc) -> Renamed:
        return Renamed(total=1)

    changed.approval("claim")
    with pytest.raises(sl.IncompatibleRun, match=r"step 'claim'.*no longer fits"):
        await changed.resume(waiting.run_id, store=store)


# -- an escalation without an artifact needs an edit ---------------------------------------------------


async def test_approving_an_escalation_that_produced_nothing_asks_for_an_edit() -> None:
    pipe = _claims(ScriptedModel(["not json", "still not json"]))
    store = MemoryStore()
    waiting = await pipe.run({"doc": Doc(text="x")}, store=store)
    (pending,) = waiting.pending_approvals
    request = next(e for e in waiting.events if isinstance(e, ApprovalRequested))
    assert request.artifact is None
    with pytest.raises(sl.ApprovalError, match="produced no artifact"):
        await pipe.decide(pending.approval_id, "approve", store=store)
    done = await pipe.decide(pending.approval_id, "edit", edit={"amount": 4}, store=store)
    assert done is not None and done["claim"] == Claim(amount=4)


# -- a finished attempt whose verdict was never written is judged, not re-run --------------------------


async def test_a_finished_attempt_cut_before_its_verdict_is_judged_without_running_again() -> None:
    calls: list[int] = []
    pipe = sl.Pipeline("p", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        calls.append(ctx.attempt)
        return Claim(amount=ctx.attempt - 1.5)  # -0.5, then 0.5

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(1))
    live = await pipe.run({"doc": Doc(text="x")})
    cut = _first(live.events, GateEvaluated)  # StepFinished of attempt 1 is in; its verdict is not
    store = await _cut_at(live, cut)
    calls.clear()
    resumed = await pipe.resume(live.run_id, store=store)
    assert calls == [2]
    assert resumed["claim"] == Claim(amount=0.5)
    assert [e.attempt for e in resumed.events if isinstance(e, StepErrored)] == []
