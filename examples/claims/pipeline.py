"""The claims pipeline: one model step (extraction), three deterministic steps, gates, approval.

    doc ─▶ claim ─▶ policy_check ─▶ assessment ─▶ decision ─▶ (human approval)
           model     table lookup    arithmetic    rules

Run one claim (offline, with the embedded local model):

    python -m examples.claims.pipeline            # the first claim of claims.jsonl
    python -m examples.claims.pipeline claim-017
"""

from __future__ import annotations

import sys

import seamline as sl

from . import checks, rules
from .grounded import as_claim, grounded_claim_type
from .models import Assessment, Claim, ClaimDoc, ClaimTask, Decision, PolicyCheck
from .prompts import EXAMPLE_PAIRS, SYSTEM, extraction_prompt

pipe = sl.Pipeline("claims", inputs={"doc": ClaimDoc})


@pipe.step
async def claim(doc: ClaimDoc, ctx: sl.StepContext) -> Claim:
    if not ctx.feedback:
        return await ctx.generate(
            Claim, extraction_prompt(doc), system=SYSTEM, examples=EXAMPLE_PAIRS
        )
    # The gate rejected an earlier answer (its reasons are added to the prompt): this time
    # the model chooses each grounded value among those the document actually contains.
    choice = await ctx.generate(grounded_claim_type(doc), extraction_prompt(doc), system=SYSTEM)
    return as_claim(choice)


@pipe.step
def policy_check(claim: Claim) -> PolicyCheck:
    return rules.check_policy(claim)


@pipe.step
def assessment(claim: Claim, policy_check: PolicyCheck) -> Assessment:
    return rules.assess(claim, policy_check)


@pipe.step
def decision(assessment: Assessment) -> Decision:
    return rules.decide(assessment)


# The seam that matters: everything the model read must be in the document, and the
# policy must exist. A failure goes back to the model with the reason (which lists
# what the document does say), twice, then to a person.
pipe.gate(
    "claim",
    sl.check("amount is positive", checks.amount_positive),
    sl.check("policy id is in the document", checks.policy_id_in_document),
    sl.check("claimant is in the document", checks.claimant_in_document),
    sl.check("amount is in the document", checks.amount_in_document),
    sl.check("incident date is in the document", checks.incident_date_in_document),
    sl.check("amount is not the deductible", checks.amount_is_not_the_deductible),
    sl.check("incident date is not the report date", checks.incident_date_is_not_the_report_date),
    sl.check("incident type is described in the document", checks.incident_type_in_document),
    sl.check("policy id is in the policy table", checks.policy_id_known),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

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


def main(argv: list[str]) -> None:
    from pathlib import Path

    path = Path(__file__).with_name("claims.jsonl")
    tasks = [ClaimTask.model_validate_json(line) for line in path.read_text().splitlines()]
    task = next(t for t in tasks if not argv or t.id == argv[0])
    result = pipe.run_sync({"doc": task.doc}, model="local")
    print(result.status, result.artifacts.get("claim"), result.artifacts.get("decision"), sep="\n")
    print("expected:", task.expected.decision)


if __name__ == "__main__":
    main(sys.argv[1:])
