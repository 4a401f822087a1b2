"""Approvals teach the next run: decisions become examples, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.context import open_context
from seamline.context.learn import learn_from_runs
from seamline.events import ContextRead
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float
    examples: int = 0


def claims_pipeline() -> sl.Pipeline:
    pipe = sl.Pipeline("learner", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        found = await ctx.examples(k=2)
        return Claim(amount=float(doc.text.split("$")[1].split()[0]), examples=len(found))

    pipe.approval("claim")
    return pipe


async def test_an_edit_becomes_an_example_for_the_next_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    pipe = claims_pipeline()
    first = await pipe.run({"doc": Doc(text="Roof storm damage, $1200 claimed")}, store=url)
    assert first["claim"].examples == 0
    (pending,) = first.pending_approvals
    await pipe.decide(
        pending.approval_id, "edit", edit=Claim(amount=1250.0), store=url, reviewer="ana"
    )

    second = await pipe.run({"doc": Doc(text="Roof hail damage, $800 claimed")}, store=url)
    assert second["claim"].examples == 1
    (read,) = [e for e in second.events if isinstance(e, ContextRead)]
    assert (read.kind, read.collection) == ("examples", "examples/learner/claim")
    example = read.passages[0]["metadata"]
    assert example["artifact"] == {"amount": 1250.0, "examples": 0}
    assert example["inputs"] == {"doc": {"text": "Roof storm damage, $1200 claimed"}}
    assert (example["decision"], example["reviewer"]) == ("edit", "ana")

    (again,) = second.pending_approvals
    await pipe.decide(again.approval_id, "reject", reason="wrong amount", store=url, resume=False)
    context = await open_context(url, embedder="local")
    try:
        # Catching up writes nothing new: the edit is there, and a rejection is no example.
        runs = await sl.open_store(url)
        assert await learn_from_runs(context, pipe, runs) == 0
        await runs.close()
        (collection,) = await context.collections()
        assert (collection.name, collection.documents) == ("examples/learner/claim", 1)
    finally:
        await context.close()


async def test_examples_can_be_switched_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    pipe = claims_pipeline()
    pipe.learn_from_approvals = False
    first = await pipe.run({"doc": Doc(text="Storm, $10 claimed")}, store=url)
    await pipe.decide(first.pending_approvals[0].approval_id, "approve", store=url)
    second = await pipe.run({"doc": Doc(text="Storm, $20 claimed")}, store=url)
    assert second["claim"].examples == 0


async def test_without_the_context_extra_decisions_are_taken_and_it_is_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seamline.approvals
    import seamline.context.learn

    async def no_embedder(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'numpy'")

    monkeypatch.setattr(seamline.context.learn, "remember", no_embedder)
    monkeypatch.setattr(seamline.approvals, "_warned_no_context", False)
    url = f"sqlite:///{tmp_path}/runs.db"
    pipe = claims_pipeline()
    with pytest.warns(RuntimeWarning, match=r"needs the `context` extra") as caught:
        for amount in (10, 20):
            run = await pipe.run({"doc": Doc(text=f"Storm, ${amount} claimed")}, store=url)
            done = await pipe.decide(run.pending_approvals[0].approval_id, "approve", store=url)
            assert done.status == "succeeded"
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1


class Reading(BaseModel):
    amount: float


class Verdict(BaseModel):
    pay: bool


class Total(BaseModel):
    cents: int


def upstream_pipeline(seen: list[list[sl.Example]]) -> sl.Pipeline:
    """read (a model) -> total (Python) -> verdict (Python, signed off by a person)."""
    model = ScriptedModel(lambda request: {"amount": float(request.prompt.split("$")[1])})
    pipe = sl.Pipeline("upstream", inputs={"doc": Doc})

    @pipe.step(model=model)
    async def read(doc: Doc, ctx: sl.StepContext) -> Reading:
        seen.append(await ctx.examples(k=3))
        return await ctx.generate(Reading, f"Read {doc.text}")

    @pipe.step
    def total(read: Reading) -> Total:
        return Total(cents=int(read.amount * 100))

    @pipe.step
    def verdict(total: Total) -> Verdict:
        return Verdict(pay=total.cents < 100_000)

    pipe.approval("verdict")
    return pipe


async def test_an_approval_downstream_teaches_the_model_step_it_was_made_from(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    seen: list[list[sl.Example]] = []
    pipe = upstream_pipeline(seen)
    first = await pipe.run({"doc": Doc(text="Hail on the roof, $700")}, store=url)
    await pipe.decide(first.pending_approvals[0].approval_id, "approve", store=url, reviewer="ana")
    second = await pipe.run({"doc": Doc(text="Hail on the car, $300")}, store=url)
    (example,) = seen[-1]
    assert (example.step, example.taught_by, example.decision) == ("read", "verdict", "approve")
    assert example.inputs == {"doc": {"text": "Hail on the roof, $700"}}
    assert example.artifact == {"amount": 700.0}
    assert example.approval_id == first.pending_approvals[0].approval_id
    assert example.run_id == first.run_id

    # An edit corrects the verdict, not the reading it came from: nothing new upstream.
    await pipe.decide(
        second.pending_approvals[0].approval_id, "edit", edit=Verdict(pay=False), store=url
    )
    await pipe.run({"doc": Doc(text="Hail on the shed, $90")}, store=url)
    assert [e.inputs["doc"]["text"] for e in seen[-1]] == ["Hail on the roof, $700"]
    context = await open_context(url, embedder="local")
    try:
        names = {c.name: c.documents for c in await context.collections()}
        # `total` called no model: it is never taught; `verdict` keeps its own examples.
        assert names == {"examples/upstream/read": 1, "examples/upstream/verdict": 2}
        runs = await sl.open_store(url)
        assert await learn_from_runs(context, pipe, runs) == 0  # idempotent
        await runs.close()
    finally:
        await context.close()
