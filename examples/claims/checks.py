"""Gate checks for the claims pipeline.

Each check takes artifacts by parameter name (`claim`, `doc`, `policy_check`,
`assessment`, `decision`) and returns True, or a short reason that becomes the
retry feedback. The reasons name what the document does say, so a weak model's
second attempt has something to pick from.

Grounding is the workhorse: a 135M model's typical errors ("$15,750" read as 15,
a claim reference copied as the policy id) are values that are not in the
document, and that is cheap to see.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .models import Claim, ClaimDoc, Decision, IncidentType, PolicyCheck
from .normalize import (
    amounts_in_text,
    dates_in_text,
    deductible_amounts,
    parse_amount,
    reporting_dates,
    text_contains_name,
)
from .rules import default_policies

# Words a document uses for each incident type (matched as word prefixes).
INCIDENT_KEYWORDS: dict[IncidentType, tuple[str, ...]] = {
    "collision": (
        "collision",
        "collided",
        "crash",
        "rear-ended",
        "accident",
        "ran into",
        "hit ",
        "struck",
        "reversed into",
        "backed into",
        "sideswiped",
    ),
    "theft": (
        "stolen",
        "theft",
        "stole",
        "broke in",
        "break-in",
        "burglar",
        "burgled",
        "thief",
        "thieves",
        "taken from",
    ),
    "fire": ("fire", "burn", "burnt", "flames", "smoke", "blaze"),
    "water_damage": ("water", "leak", "flood", "burst pipe", "pipe burst", "soaked"),
    "storm": ("storm", "hail", "wind", "hurricane", "tornado", "lightning", "fallen tree"),
    "vandalism": ("vandal", "graffiti", "keyed", "slashed", "spray-painted", "deliberately"),
    "glass": ("windshield", "windscreen", "glass", "window"),
}

_MAX_LISTED = 4


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (", ..." if len(values) > _MAX_LISTED else "")


# ---------------------------------------------------------------- claim seam: grounding


def policy_id_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The policy id appears verbatim in the document."""
    if claim.policy_id and claim.policy_id in doc.text:
        return True
    return f"policy id {claim.policy_id!r} does not appear in the document"


def claimant_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The claimant's full name appears in the document (any case; "Surname, Given" too)."""
    words = claim.claimant.split()
    if len(words) < 2:
        return f"claimant {claim.claimant!r} is not a full name (given name and surname)"
    if len(words) > 5 or any(ch.isdigit() for ch in claim.claimant):
        return f"claimant {claim.claimant!r} is not a person's name alone"
    if text_contains_name(doc.text, claim.claimant):
        return True
    return f"claimant {claim.claimant!r} does not appear in the document"


def amount_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The amount is one the document writes, in any form ($15,750 / 15750 USD / words)."""
    amount = parse_amount(claim.amount)
    mentioned = amounts_in_text(doc.text)
    if amount is not None and amount in mentioned:
        return True
    if not mentioned:
        return f"amount {claim.amount:,.2f} not found: the document mentions no money amount"
    listed = _listed([f"{a:,.2f}" for a in sorted(mentioned)])
    return f"amount {claim.amount:,.2f} not found in the document (it mentions {listed})"


def incident_date_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The incident date is one the document writes, in any format."""
    mentioned = dates_in_text(doc.text)
    if claim.incident_date in mentioned:
        return True
    if not mentioned:
        return f"incident date {claim.incident_date} not found: the document has no full date"
    listed = _listed([d.isoformat() for d in sorted(mentioned)])
    return f"incident date {claim.incident_date} not found in the document (it has {listed})"


def incident_type_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The document uses a word for the extracted incident type (e.g. 'stolen' for theft)."""
    text = doc.text.lower().replace("_", " ")
    keywords = INCIDENT_KEYWORDS[claim.incident_type]
    if claim.incident_type.replace("_", " ") in text:
        return True
    if any(re.search(r"\b" + re.escape(k), text) for k in keywords):
        return True
    return f"nothing in the document describes a {claim.incident_type} incident"


# ---------------------------------------------------------------- claim seam: rules


def amount_positive(claim: Claim) -> bool | str:
    return True if claim.amount > 0 else f"amount must be positive, got {claim.amount}"


def policy_id_known(claim: Claim) -> bool | str:
    """The policy id is in the policy table (catches a claim reference copied as the id)."""
    if claim.policy_id in default_policies():
        return True
    return f"policy id {claim.policy_id!r} is not in the policy table"


GROUNDING_CHECKS = (
    policy_id_in_document,
    claimant_in_document,
    amount_in_document,
    incident_date_in_document,
    incident_type_in_document,
)
# ------------------------------------------------- claim seam: what the document labels


def amount_is_not_the_deductible(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The deductible is an amount the document writes too; it is never the claim."""
    if claim.amount in deductible_amounts(doc.text):
        return f"amount {claim.amount:,.2f} is the deductible the document mentions, not the amount claimed"
    return True


def incident_date_is_not_the_report_date(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The day the claim was received or reported is not the day of the incident."""
    if claim.incident_date.isoformat() in reporting_dates(doc.text):
        return f"incident date {claim.incident_date} is when the claim was reported, not when it happened"
    return True


CLAIM_CHECKS = (
    amount_positive,
    *GROUNDING_CHECKS,
    amount_is_not_the_deductible,
    incident_date_is_not_the_report_date,
    policy_id_known,
)


# ---------------------------------------------------------------- decision seam


def incident_date_within_policy_period(claim: Claim, policy_check: PolicyCheck) -> bool | str:
    """Cross-field rule: the incident falls inside the policy period.

    Not a gate on the claim seam: an expired policy is a true fact about the claim,
    and it must end in a denial, not in retries. `decision_consistent` uses it.
    """
    policy = policy_check.policy
    if policy is None:
        return f"policy {policy_check.policy_id!r} is unknown"
    if policy.active_from <= claim.incident_date <= policy.active_to:
        return True
    return (
        f"incident date {claim.incident_date} is outside the policy period "
        f"{policy.active_from} to {policy.active_to}"
    )


def decision_consistent(claim: Claim, policy_check: PolicyCheck, decision: Decision) -> bool | str:
    """An approval pays a covered, in-period claim no more than limit - deductible; a denial pays 0.

    The decision step is deterministic, so this guards against a regression in it
    and, more usefully, against a human *edit* of the decision at the approval.
    """
    if decision.outcome == "deny":
        return True if decision.amount == 0 else f"a denial pays nothing, got {decision.amount}"
    if decision.amount < 0:
        return f"amount must not be negative, got {decision.amount}"
    policy = policy_check.policy
    if decision.outcome == "refer" or policy is None:
        return True if policy is not None or decision.amount == 0 else "unknown policy pays 0"
    in_period = incident_date_within_policy_period(claim, policy_check)
    if in_period is not True:
        return f"approved, but {in_period}"
    if claim.incident_type not in policy.coverage:
        return f"approved, but {claim.incident_type} is not covered by {policy.policy_id}"
    ceiling = Decimal(str(policy.limit)) - Decimal(str(policy.deductible))
    if Decimal(str(decision.amount)) > ceiling:
        return f"approved {decision.amount:,.2f}, above limit - deductible ({ceiling:,.2f})"
    if decision.amount == 0:
        return "approved with nothing to pay"
    return True


DECISION_CHECKS = (decision_consistent,)
