"""Replay: a recorded run re-runs offline; the first request that differs is named."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.store import MemoryStore
from seamline.testing import ScriptedModel, assert_replays


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float


class Policy(BaseModel):
    limit: float


def claims_pipeline(
    model: ScriptedModel, *, prompt: str = "Extract the claim", clean: str = "strip"
) -> sl.Pipeline:
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})
    lookups: list[str] = []

    @pipe.step
    async def cleaned(doc: Doc) -> Doc:
        return Doc(text=doc.text.strip() if clean == "strip" else doc.text.upper())

    @pipe.step(model=model)
    async def claim(cleaned: Doc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, f"{prompt}: {cleaned.text}")

    def policy_table(policy_id: str) -> Policy:
        lookups.append(policy_id)
        return Policy(limit=500)

    @pipe.step
    async def policy(claim: Claim, ctx: sl.StepContext) -> Policy:
        return await ctx.call_tool("policy_table", policy_table, returns=Policy, policy_id="P-1")

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(1))
    pipe.lookups = lookups  # type: ignore[attr-defined]
    return pipe


async def record(store: MemoryStore) -> str:
    model = ScriptedModel([Claim(amount=-1), Claim(amount=120)])
    result = await claims_pipeline(model).run({"doc": Doc(text="  claim $120  ")}, store=store)
    assert result.ok
    return result.run_id


async def test_a_recorded_run_replays_offline_without_calling_models_or_tools() -> None:
    store = MemoryStore()
    run_id = await record(store)
    idle = ScriptedModel([])  # fails if called
    pipe = claims_pipeline(idle)
    replayed = await assert_replays(pipe, run_id, store=store)
    assert replayed["claim"] == Claim(amount=120) and replayed["policy"] == Policy(limit=500)
    assert idle.requests == [] and pipe.lookups == []  # type: ignore[attr-defined]


async def test_a_changed_prompt_is_a_divergence_naming_the_step() -> None:
    store = MemoryStore()
    run_id = await record(store)
    pipe = claims_pipeline(ScriptedModel([]), prompt="Pull out the claim")
    with pytest.raises(sl.ReplayDivergence) as err:
        await pipe.replay(run_id, store=store)
    assert err.value.step == "claim"
    assert "'prompt' changed" in str(err.value) and "Pull out the claim" in str(err.value)


async def test_a_changed_upstream_step_shows_where_it_reaches_a_model() -> None:
    store = MemoryStore()
    run_id = await record(store)
    with pytest.raises(
        sl.ReplayDivergence, match=r"(?s)replay diverged at step 'claim'.*CLAIM \$120"
    ):
        await claims_pipeline(ScriptedModel([]), clean="upper").replay(run_id, store=store)


async def test_assert_replays_fails_the_test_with_the_divergence() -> None:
    store = MemoryStore()
    run_id = await record(store)
    with pytest.raises(AssertionError, match="no longer replays: replay diverged at step 'claim'"):
        await assert_replays(
            claims_pipeline(ScriptedModel([]), prompt="other"), run_id, store=store
        )


async def test_fewer_calls_than_recorded_is_a_divergence() -> None:
    store = MemoryStore()
    run_id = await record(store)
    pipe = claims_pipeline(ScriptedModel([]))
    pipe._gates.clear()  # without the gate the first (bad) answer is kept: one call, not two
    pipe._plan = None
    with pytest.raises(sl.ReplayDivergence, match="fewer calls than recorded"):
        await pipe.replay(run_id, store=store)
