"""The deterministic steps of the claims pipeline: policy lookup, assessment, decision.

Only extraction needs a model. Everything after it is plain Python over typed
artifacts, which is how a real claims desk would want it: reproducible, auditable,
and testable against the dataset's expected decisions.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from .models import Assessment, Claim, Decision, Policy, PolicyCheck, ReasonCode
from .normalize import normalize_name

POLICIES_CSV = Path(__file__).with_name("policies.csv")

# Payable amounts above this need a human adjuster even when everything else is clean.
APPROVAL_AUTHORITY = 20_000.0

# Denials win over referrals: there is nothing for an adjuster to decide on them.
DENY_REASONS: frozenset[ReasonCode] = frozenset(
    {"policy_inactive", "type_not_covered", "below_deductible"}
)


def load_policies(path: Path = POLICIES_CSV) -> dict[str, Policy]:
    """Read the policy table. `coverage` is a `;`-separated list of incident types."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    policies = {}
    for row in rows:
        policy = Policy.model_validate({**row, "coverage": row["coverage"].split(";")})
        policies[policy.policy_id] = policy
    return policies


@cache
def default_policies() -> dict[str, Policy]:
    return load_policies()


def same_person(a: str, b: str) -> bool:
    """Same words in any order: "O'Brien, Fatima" is "Fatima O'Brien"."""
    return sorted(normalize_name(a).split()) == sorted(normalize_name(b).split())


def check_policy(claim: Claim, policies: dict[str, Policy] | None = None) -> PolicyCheck:
    """Match a claim against the policy table."""
    table = default_policies() if policies is None else policies
    policy = table.get(claim.policy_id.strip())
    if policy is None:
        return PolicyCheck(
            policy_id=claim.policy_id,
            policy=None,
            active_on_incident_date=False,
            covers_incident_type=False,
            holder_matches=False,
        )
    return PolicyCheck(
        policy_id=policy.policy_id,
        policy=policy,
        active_on_incident_date=policy.active_from <= claim.incident_date <= policy.active_to,
        covers_incident_type=claim.incident_type in policy.coverage,
        holder_matches=same_person(claim.claimant, policy.holder),
    )


def assess(claim: Claim, policy_check: PolicyCheck) -> Assessment:
    """Coverage, and payable = min(claimed, limit) - deductible (never below zero)."""
    policy = policy_check.policy
    if policy is None:
        return Assessment(
            covered=False,
            payable_amount=0.0,
            reasons=["policy_not_found"],
            notes=[f"policy {claim.policy_id} is not in the policy table"],
        )
    reasons: list[ReasonCode] = []
    notes: list[str] = []
    if not policy_check.active_on_incident_date:
        reasons.append("policy_inactive")
        notes.append(
            f"incident on {claim.incident_date} is outside the policy period "
            f"{policy.active_from} to {policy.active_to}"
        )
    if not policy_check.covers_incident_type:
        reasons.append("type_not_covered")
        notes.append(f"{claim.incident_type} is not covered (covers: {', '.join(policy.coverage)})")
    payable = round(max(0.0, min(claim.amount, policy.limit) - policy.deductible), 2)
    if claim.amount > policy.limit:
        reasons.append("over_limit")
        notes.append(f"claimed {claim.amount:,.2f} exceeds the limit {policy.limit:,.2f}")
    if payable <= 0:
        reasons.append("below_deductible")
        notes.append(f"claimed {claim.amount:,.2f} does not exceed the deductible")
    if not policy_check.holder_matches:
        reasons.append("holder_mismatch")
        notes.append(f"claimant {claim.claimant} is not the policy holder {policy.holder}")
    covered = not any(r in DENY_REASONS for r in reasons)
    if covered and payable > APPROVAL_AUTHORITY:
        reasons.append("above_authority")
        notes.append(f"payable {payable:,.2f} is above the approval authority")
    return Assessment(
        covered=covered,
        payable_amount=payable if covered else 0.0,
        reasons=reasons,
        notes=notes,
    )


def decide(assessment: Assessment) -> Decision:
    """Deny what is not covered; refer anything a human must look at; approve the rest."""
    if not assessment.covered:
        # An unknown policy is referred, not denied: a person should find the right one.
        deny = any(r in DENY_REASONS for r in assessment.reasons)
        return Decision(outcome="deny" if deny else "refer", amount=0.0, reasons=assessment.reasons)
    if assessment.reasons:  # holder_mismatch, over_limit, above_authority
        return Decision(
            outcome="refer", amount=assessment.payable_amount, reasons=assessment.reasons
        )
    return Decision(outcome="approve", amount=assessment.payable_amount, reasons=[])
