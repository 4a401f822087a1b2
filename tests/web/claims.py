"""A claims pipeline for the web UI's tests: its model misreads every amount, so its gate
escalates each claim to a person, who edits the amount; a person then approves the
decision. The model is scripted (the model boundary); everything else is real."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

import seamline as sl
from seamline.testing import ScriptedModel


class ClaimDoc(BaseModel):
    text: str


class Claim(BaseModel):
    claimant: str
    amount: float = Field(description="what the claimant asks for, in dollars")
    policy_id: str
    incident: Literal["storm", "fire", "theft", "water"]
    notes: list[str] = []


class Decision(BaseModel):
    approve: bool
    payout: float


def misread(request: object) -> Claim:
    """Reads the name and policy right, and the amount as the first digits only."""
    text = str(getattr(request, "prompt", request))
    name = re.search(r"([A-Z][a-z]+ [A-Z][a-z]+), policy", text)
    policy = re.search(r"policy (\w+-\d+)", text)
    return Claim(
        claimant=name.group(1) if name else "?",
        amount=15.0,
        policy_id=policy.group(1) if policy else "?",
        incident="storm",
    )


def read_right(request: object) -> Claim:
    """Reads the amount right too."""
    claim = misread(request)
    found = re.search(r"\$([\d,]+)", str(getattr(request, "prompt", request)))
    return claim.model_copy(update={"amount": float(found.group(1).replace(",", "")) if found else 0})


def amounts(doc: ClaimDoc) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", doc.text)}


def amount_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    return claim.amount in amounts(doc) or f"amount {claim.amount:g} does not appear in the document"


def build(
    name: str = "claims",
    reader: Callable[[object], Claim] = misread,
    approval: bool = True,
    on_fail: sl.Policy | None = None,
) -> sl.Pipeline:
    pipe = sl.Pipeline(name, inputs={"doc": ClaimDoc}, model=ScriptedModel(reader))

    @pipe.step
    async def claim(doc: ClaimDoc, ctx: sl.StepContext) -> Claim:
        return await ctx.generate(Claim, f"Extract the claim from:\n{doc.text}")

    @pipe.step
    def decision(claim: Claim) -> Decision:
        return Decision(approve=claim.amount <= 20_000, payout=min(claim.amount, 20_000))

    pipe.gate(
        "claim",
        sl.check("policy id is in the document", lambda claim, doc: claim.policy_id in doc.text),
        sl.check("amount is in the document", amount_in_document),
        on_fail=on_fail or sl.retry(1, feedback=True).then(sl.escalate_to_human()),
    )
    if approval:
        pipe.approval("decision", route_to="claim")
    return pipe


pipe = build()

DOC = ClaimDoc(text="Ana Ruiz, policy PX-2231, claims $15,750 for storm damage to her roof.")
