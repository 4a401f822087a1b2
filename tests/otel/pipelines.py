"""The pipeline the otel tests trace: a gated claim (a check with a retry), a map, a judge
that reroutes, and an approval."""

from __future__ import annotations

from pydantic import BaseModel

import seamline as sl
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    claimant: str
    amount: float


class Line(BaseModel):
    n: int


class Checked(BaseModel):
    n: int
    amount: float


class Decision(BaseModel):
    total: float


def claims_pipeline(model: ScriptedModel) -> sl.Pipeline:
    pipe = sl.Pipeline("otel-claims", inputs={"doc": Doc}, model=model)

    @pipe.step
    async def claim(doc: Doc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, f"Extract the claim from: {doc.text}")

    @pipe.step
    def lines(claim: Claim) -> list[Line]:
        return [Line(n=i) for i in range(3)]

    @pipe.step(map="lines")
    async def checked(lines: Line, claim: Claim) -> Checked:
        return Checked(n=lines.n, amount=claim.amount / 3)

    @pipe.step
    def decision(checked: list[Checked], claim: Claim) -> Decision:
        return Decision(total=sum(c.amount for c in checked))

    def grounded(claim: Claim, doc: Doc) -> bool | str:
        return f"{claim.amount:g}" in doc.text or f"amount {claim.amount:g} is not in the document"

    pipe.gate("claim", sl.check("amount is grounded", grounded), on_fail=sl.retry(2))
    pipe.gate(
        "decision",
        sl.judge(
            "consistent with the claim", rubric="the total is the claimed amount", reads=("claim",)
        ),
        on_fail=sl.reroute("claim"),
    )
    pipe.approval("decision")
    return pipe


def scripted() -> ScriptedModel:
    return ScriptedModel(
        {
            Claim: [
                Claim(claimant="Ana", amount=99),  # not in the document: a retry
                Claim(claimant="Ana", amount=15750),
                Claim(claimant="Ana", amount=15750),  # after the judge's reroute
            ],
            "JudgeScore": [
                sl.JudgeScore(score=0.3, reasons=["the total is off by rounding"]),
                sl.JudgeScore(score=0.9),
            ],
        }
    )
