"""The claims pipeline: one model step (extraction), three deterministic steps, gates, approval.

    doc ─▶ claim ─▶ policy_check ─▶ assessment ─▶ decision ─▶ (human approval)
           model     table lookup    arithmetic    rules

Run one claim (offline, with the embedded local model):

    python -m examples.claims.pipeline            # the first claim of claims.jsonl
    python -m examples.claims.pipeline claim-017
    python -m examples.claims.pipeline dev-004     # one of the development set

`pipe` is the pipeline as shipped; `build(gates=..., agree=...)` makes the variants the
benchmark compares (the gates before independent evidence, and with a consensus gate).
"""

from __future__ import annotations

import sys
from typing import Literal

import seamline as sl
from seamline.policies import Policy

from . import checks, rules
from .evidence import CHECK_NAME, EscalateWhenInconclusive, reading_is_conclusive
from .grounded import as_claim, candidate_claim_type, grounded_claim_type
from .learned import example_pairs
from .models import Assessment, Claim, ClaimDoc, ClaimTask, Decision, PolicyCheck
from .prompts import SYSTEM, extraction_prompt

Gates = Literal["evidence", "current"]
# The fields a consensus gate holds the samples to (the description is free text).
AGREED_FIELDS = ("claimant", "policy_id", "incident_date", "incident_type", "amount")


async def claim(doc: ClaimDoc, ctx: sl.StepContext) -> Claim:
    # A consensus gate's samples (ctx.sample 1, 2, ...) see each field's values in another
    # order: a reading that depends on where a value is listed does not agree with itself.
    rotate = ctx.sample
    prompt = extraction_prompt(doc, rotate=rotate)
    if not ctx.feedback:
        # Each field is a choice among the document's own values that are not decoys.
        # The static examples, or approved claims with deps=LearnFromApprovals (learned.py).
        examples = await example_pairs(ctx)
        choice = await ctx.generate(
            candidate_claim_type(doc, rotate), prompt, system=SYSTEM, examples=examples
        )
        return as_claim(choice, doc)
    # The gate rejected an earlier answer (its reasons are added to the prompt): this time
    # the choices are only the values the gate's own checks would accept.
    choice = await ctx.generate(grounded_claim_type(doc, rotate), prompt, system=SYSTEM)
    return as_claim(choice, doc)


def policy_check(claim: Claim) -> PolicyCheck:
    return rules.check_policy(claim)


def assessment(claim: Claim, policy_check: PolicyCheck) -> Assessment:
    return rules.assess(claim, policy_check)


def decision(assessment: Assessment) -> Decision:
    return rules.decide(assessment)


def build(gates: Gates = "evidence", agree: int = 0) -> sl.Pipeline:
    """The claims pipeline.

    Args:
        gates: "evidence" (as shipped): the checks below plus `reading_is_conclusive`, whose
            failure goes straight to a person; "current": the checks alone, as before the
            independent evidence, retried twice, then a person.
        agree: with n >= 2, a consensus gate too: n samples of the reading must agree on
            every field (`sl.agree`); a disagreement goes straight to a person.
    """
    if gates not in ("evidence", "current"):
        raise ValueError(f"gates={gates!r}: use 'evidence' or 'current'")
    name = "claims" if (gates, agree) == ("evidence", 0) else f"claims-{gates}-agree{agree}"
    pipe = sl.Pipeline(name, inputs={"doc": ClaimDoc})
    pipe.step(claim)
    pipe.step(policy_check)
    pipe.step(assessment)
    pipe.step(decision)

    # The seam that matters: every value the model read must be written in the document,
    # and the document must not say it is something else (the deductible, the report
    # date, the attorney, a police report number). A failure goes back to the model with
    # the reasons (which say what the document does write), twice, then to a person. An
    # unknown policy is no failure: the decision refers it.
    items: list[sl.Check | sl.Agree] = [
        sl.check("amount is positive", checks.amount_positive),
        sl.check("policy id is in the document", checks.policy_id_in_document),
        sl.check("claimant is in the document", checks.claimant_in_document),
        sl.check("amount is in the document", checks.amount_in_document),
        sl.check("incident date is in the document", checks.incident_date_in_document),
        sl.check("incident type is described in the document", checks.incident_type_in_document),
        sl.check("policy id is the policy number", checks.policy_id_is_the_policy_number),
        sl.check("claimant is the one claiming", checks.claimant_is_the_one_claiming),
        sl.check("amount is the amount claimed", checks.amount_is_the_amount_claimed),
        sl.check("amount is in the policy's currency", checks.amount_is_in_the_policy_currency),
        sl.check(
            "incident date is the day of the incident",
            checks.incident_date_is_the_day_of_the_incident,
        ),
        sl.check("nothing copied from the prompt's examples", checks.no_value_from_the_examples),
    ]
    inconclusive = set()
    if gates == "evidence":
        # Independent evidence (evidence.py): what the document's labels say, and, where it
        # labels nothing and writes several values, whether the model and the readers
        # agree. A retry cannot settle that: a person does.
        items.append(sl.check(CHECK_NAME, reading_is_conclusive))
        inconclusive.add(CHECK_NAME)
    if agree >= 2:
        consensus = sl.agree(n=agree, fields=AGREED_FIELDS)
        items.append(consensus)
        inconclusive.add(consensus.name)
    if inconclusive:
        ladder = Policy((EscalateWhenInconclusive(2, frozenset(inconclusive)),)).then(
            sl.escalate_to_human()
        )
    else:
        ladder = sl.retry(2, feedback=True).then(sl.escalate_to_human())
    pipe.gate("claim", *items, on_fail=ladder)

    # Deterministic steps cannot be retried into a different answer: a failure here is a
    # bug or a bad edit, and a person should see it.
    pipe.gate(
        "decision",
        sl.check("decision is consistent with the policy", checks.decision_consistent),
        on_fail=sl.escalate_to_human(),
    )

    # Every decision is signed off; a rejection sends the claim back to extraction with the
    # reviewer's reason as feedback.
    pipe.approval("decision", route_to="claim")
    return pipe


pipe = build()


def main(argv: list[str]) -> None:
    from .datasets import load_set

    tasks: list[ClaimTask] = [*load_set("synthetic"), *load_set("dev")]
    task = next(t for t in tasks if not argv or t.id == argv[0])
    result = pipe.run_sync({"doc": task.doc}, model="local")
    print(result.status, result.artifacts.get("claim"), result.artifacts.get("decision"), sep="\n")
    print("expected:", task.expected.decision)


if __name__ == "__main__":
    main(sys.argv[1:])
