"""The metrics on logs written by the real executor, with a scripted model."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.reliability import measure
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float


def claims_pipeline(model: ScriptedModel) -> sl.Pipeline:
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})

    @pipe.step(model=model)
    async def claim(doc: Doc, ctx: sl.StepContext[None]) -> Claim:
        return await ctx.generate(Claim, f"Extract the claim: {doc.text}")

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.retry(2))
    return pipe


async def test_run_report_counts_malformed_output_and_failed_checks_as_catches() -> None:
    # malformed JSON (a schema catch), a negative amount (a check catch), then right
    model = ScriptedModel(["{not json", Claim(amount=-1), Claim(amount=120)], cost_per_call=0.01)
    result = await claims_pipeline(model).run({"doc": Doc(text="claim $120")})
    assert result.ok

    report = result.report()
    claim = report.seam("claim")
    assert (claim.units, claim.attempts, claim.first_pass, claim.passed_units) == (1, 3, 0, 1)
    assert claim.catches == 2 and claim.evaluations == 3
    assert claim.retries_to_pass == 2
    assert claim.model_calls == 3
    assert claim.cost_usd == pytest.approx(0.03)
    assert claim.input_tokens > 0 and claim.output_tokens > 0
    assert report.end_to_end.passed == 1
    assert report.end_to_end.cost_per_success == pytest.approx(0.03)
    assert "claim" in str(report)


async def test_shadow_run_lets_the_bad_artifact_through_and_counts_it() -> None:
    model = ScriptedModel([Claim(amount=-1)])
    result = await claims_pipeline(model).run({"doc": Doc(text="x")}, gates="shadow")
    assert result.ok and result.artifacts["claim"].amount == -1  # gates watched, did not act

    gated_model = ScriptedModel([Claim(amount=-1), Claim(amount=3)])
    gated = await claims_pipeline(gated_model).run({"doc": Doc(text="x")})
    report = measure([result.events, gated.events])

    assert report.shadow is not None and report.gated is not None
    assert (report.shadow.end_to_end.passed, report.gated.end_to_end.passed) == (0, 1)
    assert report.shadow.end_to_end.losses == (("claim", 1),)
    assert report.shadow.seam("claim").catches == report.gated.seam("claim").catches == 1
