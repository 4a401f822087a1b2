"""The deterministic steps of the claims pipeline: policy lookup, assessment, decision.

Only extraction needs a model. Everything after it is plain Python over typed
artifacts, which is how a real claims desk would want it: reproducible, auditable,
and testable against the dataset's expected decisions.
"""

from __future__ import annotations

import csv
import os
from functools import cache
from pathlib import Path

from .ids import id_key
from .models import Assessment, Claim, Decision, Policy, PolicyCheck, ReasonCode
from .names import same_person

HERE = Path(__file__).parent
POLICIES_CSV = HERE / "policies.csv"
# Every dataset folder may bring its own policy table (dev/policies.csv, ...); more tables
# can be named in $CLAIMS_POLICIES (paths separated by the OS path separator).
POLICIES_ENV = "CLAIMS_POLICIES"

# Payable amounts above this need a human adjuster even when everything else is clean,
# in the policy's currency (a desk's authority is set in the money it pays out).
APPROVAL_AUTHORITY = 20_000.0
AUTHORITY_BY_CURRENCY = {
    "USD": 20_000.0,
    "EUR": 18_000.0,
    "GBP": 16_000.0,
    "CHF": 18_000.0,
    "CAD": 27_000.0,
    "AUD": 30_000.0,
    "NZD": 33_000.0,
    "JPY": 3_000_000.0,
    "ZAR": 370_000.0,
}

# Denials win over referrals: there is nothing for an adjuster to decide on them.
DENY_REASONS: frozenset[ReasonCode] = frozenset(
    {"policy_inactive", "type_not_covered", "below_deductible"}
)


def load_policies(path: Path = POLICIES_CSV) -> dict[str, Policy]:
    """Read a policy table. `coverage` is a `;`-separated list of incident types; a table
    without a `currency` column is in US dollars."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    policies = {}
    for row in rows:
        values = {k: v for k, v in row.items() if v not in (None, "")}
        policy = Policy.model_validate({**values, "coverage": row["coverage"].split(";")})
        policies[policy.policy_id] = policy
    return policies


def policy_files() -> list[Path]:
    """The policy tables the pipeline knows: this folder's, each dataset folder's, and any
    named in $CLAIMS_POLICIES."""
    files = [POLICIES_CSV, *sorted(HERE.glob("*/policies.csv"))]
    extra = os.environ.get(POLICIES_ENV, "")
    files += [Path(p) for p in extra.split(os.pathsep) if p]
    return files


@cache
def default_policies() -> dict[str, Policy]:
    policies: dict[str, Policy] = {}
    for path in policy_files():
        policies.update(load_policies(path))
    return policies


def find_policy(policy_id: str, policies: dict[str, Policy] | None = None) -> Policy | None:
    """The policy with this id, however it is spaced or punctuated ("hx 88213" = "HX88213")."""
    table = default_policies() if policies is None else policies
    found = table.get(policy_id.strip())
    if found is not None:
        return found
    key = id_key(policy_id)
    return next((p for p in table.values() if id_key(p.policy_id) == key), None) if key else None


def check_policy(claim: Claim, policies: dict[str, Policy] | None = None) -> PolicyCheck:
    """Match a claim against the policy table."""
    policy = find_policy(claim.policy_id, policies)
    if policy is None:
        return PolicyCheck(
            policy_id=claim.policy_id,
            policy=None,
            active_on_incident_date=False,
            covers_incident_type=False,
            holder_matches=False,
            currency_matches=False,
        )
    return PolicyCheck(
        policy_id=policy.policy_id,
        policy=policy,
        active_on_incident_date=policy.active_from <= claim.incident_date <= policy.active_to,
        covers_incident_type=claim.incident_type in policy.coverage,
        holder_matches=same_person(claim.claimant, policy.holder),
        currency_matches=claim.currency == policy.currency,
    )


def authority(currency: str) -> float:
    return AUTHORITY_BY_CURRENCY.get(currency, APPROVAL_AUTHORITY)


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
    if not policy_check.currency_matches:
        return _other_currency(claim, policy, policy_check)
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
    if covered and payable > authority(policy.currency):
        reasons.append("above_authority")
        notes.append(f"payable {payable:,.2f} is above the approval authority")
    return Assessment(
        covered=covered,
        payable_amount=payable if covered else 0.0,
        reasons=reasons,
        notes=notes,
    )


def _other_currency(claim: Claim, policy: Policy, policy_check: PolicyCheck) -> Assessment:
    """Claimed in another currency than the policy's: deny what is plainly not covered,
    refer the rest to a person, who converts (the limit and deductible are in the policy's
    currency, so nothing payable can be computed here)."""
    reasons: list[ReasonCode] = []
    if not policy_check.active_on_incident_date:
        reasons.append("policy_inactive")
    if not policy_check.covers_incident_type:
        reasons.append("type_not_covered")
    covered = not reasons
    if covered:
        reasons.append("currency_mismatch")
    note = f"claimed {claim.amount:,.2f} {claim.currency}; the policy pays in {policy.currency}"
    return Assessment(covered=covered, payable_amount=0.0, reasons=reasons, notes=[note])


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
