"""Gates at seams: checks and judges give a verdict; the ladder retries with feedback,
re-routes, falls back, escalates or fails; budgets bound it all; shadow mode only watches."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import ApprovalRequested, GateEvaluated, ModelCalled, StepErrored, StepStarted
from seamline.testing import FaultInjector, ScriptedModel


class Brief(BaseModel):
    text: str


class Storyboard(BaseModel):
    lighting: str
    duration_sec: int


class Shots(BaseModel):
    count: int


def verdicts(result: sl.RunResult, step: str) -> list[GateEvaluated]:
    return [e for e in result.events if isinstance(e, GateEvaluated) and e.step == step]


# -- scenario 1: the verification gate -------------------------------------------------


async def test_judge_and_check_fail_together_retry_with_both_reasons_then_pass() -> None:
    storyboards = ScriptedModel(
        [
            Storyboard(lighting="neon dusk over the harbour", duration_sec=95),
            Storyboard(lighting="neon dawn, cool haze", duration_sec=80),
        ]
    )
    judge = ScriptedModel(
        [
            sl.JudgeScore(score=0.81, reasons=["the harbour is not established before the chase"]),
            sl.JudgeScore(score=0.93, reasons=[]),
        ]
    )
    pipe = sl.Pipeline("film", inputs={"brief": Brief})
    feedback_seen: list[tuple[str, ...]] = []

    @pipe.step(model=storyboards)
    async def storyboard(brief: Brief, ctx: sl.StepContext) -> Storyboard:
        feedback_seen.append(ctx.feedback)
        return await ctx.generate(Storyboard, f"Storyboard this brief: {brief.text}")

    @pipe.step
    async def shots(storyboard: Storyboard) -> Shots:
        return Shots(count=storyboard.duration_sec // 10)

    pipe.gate(
        "storyboard",
        sl.check(
            "at most 90 seconds",
            lambda storyboard: (
                storyboard.duration_sec <= 90 or f"duration_sec {storyboard.duration_sec} > 90"
            ),
        ),
        sl.check("neon lighting", lambda storyboard: "neon" in storyboard.lighting),
        sl.judge(
            "matches the brief",
            rubric="Does the storyboard tell the brief's story?",
            threshold=0.85,
            model=judge,
            reads=("brief",),
        ),
        on_fail=sl.retry(2, feedback=True),
        judges="always",
    )

    result = await pipe.run({"brief": Brief(text="a chase through a neon harbour")})

    first, second = verdicts(result, "storyboard")
    assert not first.verdict.passed and first.action == "retry"
    assert first.verdict.score == pytest.approx(0.81)
    assert first.verdict.reasons == [
        "at most 90 seconds: duration_sec 95 > 90",
        "matches the brief: scored 0.81 < 0.85: the harbour is not established before the chase",
    ]
    # The producer ran again with both reasons as feedback, and they reached its prompt.
    assert feedback_seen == [(), tuple(first.verdict.reasons)]
    assert "duration_sec 95 > 90" in storyboards.requests[1].prompt
    assert "scored 0.81 < 0.85" in storyboards.requests[1].prompt
    assert second.verdict.passed and second.action == "pass"
    assert result["shots"] == Shots(count=8)  # the next step got the passing artifact
    judge_calls = [e for e in result.events if isinstance(e, ModelCalled) and e.purpose == "judge"]
    assert (
        len(judge_calls) == 2
        and "a chase through a neon harbour" in judge_calls[0].request["prompt"]
    )


# -- scenario 2: the continuity critic -------------------------------------------------


class Character(BaseModel):
    name: str
    eyes: str


class SceneGraph(BaseModel):
    hero: Character
    scenes: list[str]


class Frame(BaseModel):
    scene: str
    hero_eyes: str


class Cut(BaseModel):
    frames: list[Frame]


async def test_continuity_critic_catches_blue_eyes_and_only_clean_frames_reach_assembly() -> None:
    pipe = sl.Pipeline("film", inputs={"graph": SceneGraph})
    prompts: list[tuple[int | None, tuple[str, ...]]] = []

    @pipe.step
    async def scenes(graph: SceneGraph) -> list[Brief]:
        return [Brief(text=s) for s in graph.scenes]

    @pipe.step(map="scenes")
    async def frame(scenes: Brief, ctx: sl.StepContext) -> Frame:
        prompts.append((ctx.index, ctx.feedback))
        # The first draft of the first frame gets the hero's eyes wrong.
        eyes = "blue" if ctx.index == 0 and ctx.attempt == 1 else "brown"
        return Frame(scene=scenes.text, hero_eyes=eyes)

    @pipe.step
    async def assembly(frame: list[Frame]) -> Cut:
        return Cut(frames=frame)

    def continuity(frame: Frame, graph: SceneGraph) -> bool | str:
        if frame.hero_eyes != graph.hero.eyes:
            return f"eye_color_mismatch: {graph.hero.name} has {graph.hero.eyes} eyes, frame shows {frame.hero_eyes}"
        return True

    pipe.gate("frame", sl.check("continuity critic", continuity), on_fail=sl.retry(2))

    graph = SceneGraph(hero=Character(name="Mara", eyes="brown"), scenes=["dock", "alley", "roof"])
    result = await pipe.run({"graph": graph})

    caught = [v for v in verdicts(result, "frame") if not v.verdict.passed]
    assert len(caught) == 1 and caught[0].index == 0
    assert "eye_color_mismatch" in caught[0].verdict.reasons[0]
    assert (0, tuple(caught[0].verdict.reasons)) in prompts  # regenerated with that feedback
    assert [f.hero_eyes for f in result["assembly"].frames] == ["brown"] * 3
    assert [f.scene for f in result["assembly"].frames] == ["dock", "alley", "roof"]
    seam = result.report().seam("frame")
    assert seam.catches == 1 and seam.units == 3 and seam.first_pass_yield == pytest.approx(2 / 3)


# -- checks ----------------------------------------------------------------------------


class Claim(BaseModel):
    amount: float
    policy_id: str


class Doc(BaseModel):
    text: str


def claims_pipe(model: ScriptedModel) -> sl.Pipeline:
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})

    @pipe.step(model=model)
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, f"Extract the claim from: {doc.text}")

    return pipe


DOC = Doc(text="Policy P-1 claims $200")


async def test_a_raising_check_is_a_failed_check_with_the_exception_as_reason() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=200, policy_id="P-1")] * 3))

    def explodes(claim: Claim) -> bool:
        raise KeyError("policy table not loaded")

    pipe.gate("claim", sl.check("policy exists", explodes), on_fail=sl.fail())
    with pytest.raises(sl.GateRejected) as err:
        await pipe.run({"doc": DOC})
    assert err.value.reasons == ["policy exists: raised KeyError: 'policy table not loaded'"]
    assert err.value.result.artifacts == {}  # type: ignore[attr-defined]


async def test_check_results_true_none_false_and_reason() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=200, policy_id="P-1")]))
    pipe.gate(
        "claim",
        sl.check("true", lambda claim: True),
        sl.check("none means pass (assert style)", lambda claim: None),
        sl.check("false", lambda claim: False),
        sl.check("reason", lambda claim, doc: "policy id missing from document"),
        sl.check("not a bool", lambda claim: 3),
        on_fail=sl.escalate_to_human(),
    )
    result = await pipe.run({"doc": DOC})
    (v,) = verdicts(result, "claim")
    outcomes = [(c.name, c.outcome.value, c.reason) for c in v.verdict.checks]
    assert outcomes == [
        ("true", "passed", None),
        ("none means pass (assert style)", "passed", None),
        ("false", "failed", None),
        ("reason", "failed", "policy id missing from document"),
        ("not a bool", "failed", "returned int; a check returns True, False or a reason string"),
    ]


async def test_judges_are_skipped_once_a_check_fails_and_the_saving_is_counted() -> None:
    judge = ScriptedModel([])  # would fail the test if called
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")]))
    pipe.gate(
        "claim",
        sl.judge("faithful", rubric="faithful to the document", model=judge),
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.escalate_to_human(),
    )
    result = await pipe.run({"doc": DOC})
    (v,) = verdicts(result, "claim")
    assert [(c.name, c.outcome.value) for c in v.verdict.checks] == [
        ("positive", "failed"),
        ("faithful", "skipped"),
    ]
    assert v.verdict.skipped_judges == 1 and judge.requests == []


async def test_a_malformed_judge_is_a_gate_error_handled_by_the_same_policy() -> None:
    judge = ScriptedModel(['{"score": "very good"}', sl.JudgeScore(score=0.95)])
    pipe = claims_pipe(ScriptedModel([Claim(amount=200, policy_id="P-1")] * 2))
    pipe.gate(
        "claim",
        sl.judge("faithful", rubric="faithful", threshold=0.8, model=judge),
        on_fail=sl.retry(1),
    )
    result = await pipe.run({"doc": DOC})
    first, second = verdicts(result, "claim")
    assert first.verdict.errored and not first.verdict.passed and first.action == "retry"
    assert first.verdict.checks[0].outcome is sl.Outcome.ERROR
    assert "judge output malformed" in (first.verdict.checks[0].reason or "")
    assert second.verdict.passed


async def test_malformed_model_output_is_a_failed_gate_not_a_crash() -> None:
    model = ScriptedModel(['{"amount": "two hundred"}', Claim(amount=200, policy_id="P-1")])
    pipe = claims_pipe(model)
    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(1))
    result = await pipe.run({"doc": DOC})
    assert result.ok
    first = verdicts(result, "claim")[0]
    assert first.verdict.checks[0].kind == "schema" and "amount" in first.verdict.reasons[0]
    assert "amount" in model.requests[1].prompt  # the validation error became feedback
    assert [e.kind for e in result.events if isinstance(e, StepErrored)] == ["retry"]


# -- the ladder ------------------------------------------------------------------------


async def test_ladder_retry_then_fallback_model_then_escalate() -> None:
    cheap = ScriptedModel([Claim(amount=-1, policy_id="P-1")] * 2, name="cheap")
    strong = ScriptedModel([Claim(amount=-5, policy_id="P-1")], name="strong")
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})
    models_used: list[str | None] = []

    @pipe.step(model=cheap)
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        models_used.append(getattr(ctx.model, "name", ctx.model))
        return await ctx.generate(Claim, "extract")

    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.retry(1).then(sl.fallback_model(strong)).then(sl.escalate_to_human()),  # type: ignore[arg-type]
    )
    result = await pipe.run({"doc": DOC})
    assert [v.action for v in verdicts(result, "claim")] == ["retry", "fallback:strong", "escalate"]
    assert models_used == ["cheap", "cheap", "strong"]
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    (approval,) = result.pending_approvals
    assert approval.reason == "escalation" and approval.artifact == Claim(
        amount=-5, policy_id="P-1"
    )


async def test_escalation_keeps_what_other_branches_produced() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")]))

    @pipe.step
    async def summary(doc: Doc) -> Doc:
        await asyncio.sleep(0.01)
        return Doc(text=doc.text[:6])

    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.escalate_to_human(),
    )
    result = await pipe.run({"doc": DOC})
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    assert result["summary"] == Doc(text="Policy") and "claim" not in result.artifacts


async def test_fail_raises_gate_rejected() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")]))
    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.fail())
    with pytest.raises(sl.GateRejected, match="gate on 'claim' rejected the artifact: positive"):
        await pipe.run({"doc": DOC})


async def test_ladder_past_its_last_rung_fails() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")] * 3))
    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(2))
    with pytest.raises(sl.GateRejected):
        await pipe.run({"doc": DOC})


class Notes(BaseModel):
    facts: list[str]


class Draft(BaseModel):
    text: str


async def test_reroute_reruns_an_earlier_step_with_feedback_and_recomputes_downstream() -> None:
    pipe = sl.Pipeline("content", inputs={"brief": Brief})
    research_feedback: list[tuple[str, ...]] = []
    runs = {"research": 0, "draft": 0, "side": 0}

    @pipe.step
    async def research(brief: Brief, ctx: sl.StepContext) -> Notes:
        runs["research"] += 1
        research_feedback.append(ctx.feedback)
        return Notes(facts=["fact A"] if runs["research"] == 1 else ["fact A", "fact B"])

    @pipe.step
    async def draft(research: Notes) -> Draft:
        runs["draft"] += 1
        return Draft(text=" ".join(research.facts))

    @pipe.step
    async def side(research: Notes) -> Draft:
        runs["side"] += 1
        return Draft(text=f"{len(research.facts)} facts")

    pipe.gate(
        "draft",
        sl.check("cites fact B", lambda draft: "fact B" in draft.text or "fact B is missing"),
        on_fail=sl.reroute("research"),
    )
    result = await pipe.run({"brief": Brief(text="x")})
    assert result.ok
    assert research_feedback == [(), ("cites fact B: fact B is missing",)]
    assert result["draft"].text == "fact A fact B"
    assert result["side"].text == "2 facts"  # recomputed from the new research
    assert runs["research"] == 2 and runs["draft"] == 2
    assert [v.action for v in verdicts(result, "draft")] == ["reroute:research", "pass"]


# -- budgets ---------------------------------------------------------------------------


async def test_per_gate_attempt_budget() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")] * 5))
    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.retry(10),
        max_attempts=3,
    )
    with pytest.raises(sl.BudgetExceeded) as err:
        await pipe.run({"doc": DOC})
    assert err.value.budget == "attempts at the gate on 'claim'" and err.value.used == 3
    assert verdicts(err.value.result, "claim")[-1].action == "budget"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("budget", "name"),
    [
        (sl.Budget(model_calls=2), "model_calls"),
        (sl.Budget(tokens=30), "tokens"),
        (sl.Budget(cost_usd=0.025), "cost_usd"),
    ],
)
async def test_run_budgets_end_the_run_and_keep_its_artifacts(budget: sl.Budget, name: str) -> None:
    model = ScriptedModel([Claim(amount=-1, policy_id="P-1")] * 50, cost_per_call=0.01)
    pipe = sl.Pipeline("claims", inputs={"doc": Doc}, budget=budget)

    @pipe.step
    async def first(doc: Doc) -> Doc:
        return doc

    @pipe.step(model=model)
    async def claim(first: Doc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, "extract " + first.text)

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(40))
    with pytest.raises(sl.BudgetExceeded) as err:
        await pipe.run({"doc": DOC})
    assert err.value.budget == name
    result = err.value.result  # type: ignore[attr-defined]
    assert result.status is sl.RunStatus.FAILED and result["first"] == DOC
    assert len(model.requests) < 10


async def test_wall_time_budget() -> None:
    pipe = sl.Pipeline("slow", inputs={"doc": Doc}, budget=sl.Budget(seconds=0.05))

    @pipe.step
    async def sleepy(doc: Doc) -> Doc:
        await asyncio.sleep(1)
        return doc

    with pytest.raises(sl.BudgetExceeded, match="budget 'seconds' exceeded"):
        await pipe.run({"doc": DOC})


# -- shadow and off --------------------------------------------------------------------


async def test_shadow_mode_records_every_verdict_but_never_acts() -> None:
    model = ScriptedModel([Claim(amount=-1, policy_id="P-1")])
    pipe = claims_pipe(model)
    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.fail())
    result = await pipe.run({"doc": DOC}, gates="shadow")
    assert result.ok and result["claim"].amount == -1
    (v,) = verdicts(result, "claim")
    assert v.action == "shadow" and not v.verdict.passed
    assert len(model.requests) == 1


async def test_gates_off_evaluates_nothing() -> None:
    pipe = claims_pipe(ScriptedModel([Claim(amount=-1, policy_id="P-1")]))
    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.fail())
    result = await pipe.run({"doc": DOC}, gates="off")
    assert result.ok and verdicts(result, "claim") == []


# -- seamline.testing ------------------------------------------------------------------


class Out(BaseModel):
    text: str


async def test_fault_injector_is_seeded_and_its_corruption_is_caught() -> None:
    def build(seed: int) -> tuple[sl.Pipeline, FaultInjector]:
        faults = FaultInjector(0.3, seed=seed)
        pipe = sl.Pipeline("faulty", inputs={"doc": Doc})

        async def echo(doc: Doc) -> Out:
            return Out(text=doc.text)

        pipe.step(faults.step(echo))
        pipe.gate("echo", faults.detects("echo"), on_fail=sl.retry(5))
        return pipe, faults

    pipe, faults = build(seed=3)
    shadow = [await pipe.run({"doc": DOC}, gates="shadow") for _ in range(40)]
    corrupted = sum(not verdicts(r, "echo")[0].verdict.passed for r in shadow)
    assert corrupted == faults.injected and 4 <= corrupted <= 20
    pipe2, _ = build(seed=3)
    shadow2 = [await pipe2.run({"doc": DOC}, gates="shadow") for _ in range(40)]
    assert [r["echo"].text for r in shadow2] == [
        r["echo"].text for r in shadow
    ]  # same seed, same faults
    gated = [await pipe.run({"doc": DOC}) for _ in range(40)]
    assert all(r["echo"].text == DOC.text for r in gated)


async def test_real_model_calls_fail_a_test_that_did_not_plan_them() -> None:
    class FakeReal:
        name = "openai:gpt-4o"

        async def generate(self, output_type: type[BaseModel], request: object) -> object:
            raise AssertionError("must not be reached")

    pipe = claims_pipe(FakeReal())  # type: ignore[arg-type]
    with pytest.raises(sl.StepFailed, match="a test tried to call the real model 'openai:gpt-4o'"):
        await pipe.run({"doc": DOC})


async def test_fallback_model_switch_is_recorded_on_the_attempt() -> None:
    weak = ScriptedModel([Claim(amount=-1, policy_id="P-1")], name="weak")
    strong = ScriptedModel([Claim(amount=3, policy_id="P-1")], name="strong")
    pipe = claims_pipe(weak)
    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.fallback_model(strong),
    )  # type: ignore[arg-type]
    result = await pipe.run({"doc": DOC})
    assert result.ok
    starts = [e for e in result.events if isinstance(e, StepStarted)]
    assert [getattr(s.model, "name", s.model) for s in starts] == [None, "strong"]
    assert not any(isinstance(e, ApprovalRequested) for e in result.events)
