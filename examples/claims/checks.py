"""Gate checks for the claims pipeline.

Each check takes artifacts by parameter name (`claim`, `doc`, `policy_check`, `decision`)
and returns True, or a short reason that becomes the retry's feedback. The reasons say
what the document does say, so the retry has something to choose from.

Two questions per field, both answered from `reading.read(doc.text)`:

- *grounding*: is the value one the document writes? (A 135M model reads "$15,750" as
  15, copies the few-shot example's policy id, or cuts `POL-4471-22` to `POL-4471`.)
- *role*: does the document say the value is something else? The deductible is an
  amount, the report date a date, the attorney a name, the police report a number; a
  value the document labels as the claim's (a total, a date of loss, a policy number)
  wins over one it does not label.

An unknown policy is not a gate failure: a real policy id that is not in the table is a
fact about the claim, and the decision refers it to a person.
"""

from __future__ import annotations

from decimal import Decimal

from .ids import id_key
from .models import Claim, ClaimDoc, Decision, PolicyCheck
from .names import same_person
from .prompts import EXAMPLES
from .reading import Seen, read
from .roles import AMOUNT_DECOYS, DATE_DECOYS, ID_DECOYS, NAME_DECOYS
from .rules import find_policy

_MAX_LISTED = 4

# How a reason names a decoy role.
_ROLE_NAMES = {
    "deductible": "the deductible",
    "limit": "the policy limit",
    "premium": "the premium",
    "superseded": "a figure the document replaces",
    "other_party": "the other party's",
    "converted_from": "the amount before conversion",
    "paid_already": "an amount already paid",
    "extra": "an expense beside the loss",
    "line_item": "one line item, not the total",
    "reported": "the day it was reported or written",
    "signature": "the signature date",
    "policy": "a date of the policy itself",
    "birth": "a date of birth",
    "purchase": "the day something was bought",
    "later": "the date of a later event (a repair, a visit)",
    "professional": "a representative (attorney, broker, agent, adjuster, manager)",
    "third_party": "another party (the other driver, a neighbour, a witness)",
    "claim_ref": "a claim reference",
    "police": "a police or crime report number",
    "invoice": "an invoice or receipt number",
    "phone": "a phone number",
    "vehicle": "a vehicle registration",
    "address": "part of an address",
    "old_policy": "a policy the document says is closed or replaced",
}


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (", ..." if len(values) > _MAX_LISTED else "")


def _roles_named(seen: list[Seen], decoys: frozenset[str]) -> str:
    roles = sorted({r for s in seen for r in s.roles & decoys})
    return " and ".join(_ROLE_NAMES.get(r, r) for r in roles)


def _money(value: object) -> str:
    amount, currency = value  # type: ignore[misc]
    return f"{amount:,.2f} {currency}" if currency not in (None, "$") else f"{amount:,.2f}"


def amount_key(amount: float) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- policy id


def policy_id_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The policy id is written in the document as a whole reference (not a piece of one)."""
    r = read(doc.text)
    # However it is written: "pol-4482-k", "POL -4482- K" or spelled out, it is POL-4482-K.
    if r.find_id_loosely(claim.policy_id):
        return True
    longer = [str(s.value) for s in r.id_values() if str(s.value).startswith(claim.policy_id)]
    if claim.policy_id and longer:
        return f"policy id {claim.policy_id!r} is cut short: the document writes {longer[0]!r}"
    written = _listed([str(s.value) for s in r.id_candidates()])
    return f"policy id {claim.policy_id!r} does not appear in the document" + (
        f" (it writes {written})" if written else ""
    )


def policy_id_is_the_policy_number(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The id is not another kind of reference, and it is the one the document calls the
    policy number (when it calls one so); of several policy numbers, ours is the one we issued."""
    r = read(doc.text)
    seen = r.find_id_loosely(claim.policy_id)
    if not seen:
        return True  # grounding says so
    if all(s.has(*ID_DECOYS) for s in seen):
        return f"{claim.policy_id!r} is {_roles_named(seen, ID_DECOYS)}, not a policy number"
    labelled = [s for s in r.id_values() if s.has("policy") and not s.has(*ID_DECOYS)]
    if labelled and not any(id_key(str(s.value)) == id_key(claim.policy_id) for s in labelled):
        return (
            f"the document gives the policy number as {_listed([str(s.value) for s in labelled])}"
        )
    ours = [s for s in labelled or r.id_candidates() if find_policy(str(s.value)) is not None]
    if len(ours) == 1 and id_key(str(ours[0].value)) != id_key(claim.policy_id):
        return f"of the policy numbers in the document, {ours[0].value!r} is one we issued"
    return True


# ---------------------------------------------------------------- claimant


def claimant_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The claimant's full name is written in the document (in any order or case)."""
    words = claim.claimant.split()
    if len(words) < 2:
        return f"claimant {claim.claimant!r} is not a full name (given name and surname)"
    if len(words) > 5 or any(ch.isdigit() for ch in claim.claimant):
        return f"claimant {claim.claimant!r} is not a person's name alone"
    r = read(doc.text)
    if r.find_name(claim.claimant):
        return True
    names = _listed([str(s.value) for s in r.name_candidates()])
    return f"claimant {claim.claimant!r} does not appear in the document" + (
        f" (it names {names})" if names else ""
    )


def claimant_is_the_one_claiming(claim: Claim, doc: ClaimDoc) -> bool | str:
    """Not a representative or another party; and when someone files on another's behalf,
    the claimant is the one filing (a person checks their authority), unless a professional
    files for their client."""
    r = read(doc.text)
    seen = r.find_name(claim.claimant)
    if not seen:
        return True
    if any(s.has(*NAME_DECOYS) for s in seen):
        return f"{claim.claimant} is {_roles_named(seen, NAME_DECOYS)}, not the claimant"
    # A representative or an employee files for the insured: the insured is the claimant,
    # and the one who writes is not.
    clients = [s for s in r.name_values() if s.has("client") and not s.has(*NAME_DECOYS)]
    if clients:
        if any(s.value == c.value for s in seen for c in clients):
            return True
        return f"the document is filed for {clients[0].value}, who is the claimant"
    people = [s for s in r.name_candidates() if s.has("person")]
    if people and not any(s.has("person") for s in seen):
        return (
            f"{claim.claimant!r} is not named as a person in the document (it names "
            f"{_listed([str(s.value) for s in people])})"
        )
    signers = [s for s in r.name_values() if s.has("signed") and not s.has(*NAME_DECOYS)]
    signed_by_another = signers and not any(s.value == signers[-1].value for s in seen)
    if signed_by_another and not any(s.has("principal") for s in signers):
        return f"the document is signed by {signers[-1].value}, who makes the claim"
    if any(s.has("principal") for s in seen):
        filers = [
            s
            for s in r.name_values()
            if s.has("signed") and not s.has(*NAME_DECOYS) and s.value != seen[0].value
        ]
        if filers:
            return (
                f"{filers[0].value} files this on behalf of {claim.claimant}: the claimant "
                f"is {filers[0].value}"
            )
    return True


# ---------------------------------------------------------------- amount


def amount_positive(claim: Claim) -> bool | str:
    return True if claim.amount > 0 else f"amount must be positive, got {claim.amount}"


def amount_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The amount is one the document writes, in any notation or currency."""
    r = read(doc.text)
    if r.find_amount(amount_key(claim.amount)):
        return True
    every = r.amount_values()
    if not every:
        return f"amount {claim.amount:,.2f} not found: the document mentions no money amount"
    listed = _listed([_money(s.value) for s in every])
    return f"amount {claim.amount:,.2f} not found in the document (it mentions {listed})"


def amount_is_the_amount_claimed(claim: Claim, doc: ClaimDoc) -> bool | str:
    """Not the deductible, a limit, a replaced figure, one line item or the other party's;
    the total or the amount the document says is claimed, when it says so."""
    r = read(doc.text)
    seen = r.find_amount(amount_key(claim.amount))
    if not seen:
        return True
    if all(s.has(*AMOUNT_DECOYS) for s in seen):
        return f"amount {claim.amount:,.2f} is {_roles_named(seen, AMOUNT_DECOYS)}, not the amount claimed"
    claimed = [s for s in r.amount_values() if s.has("claimed") and not s.has(*AMOUNT_DECOYS)]
    if claimed and not any(s in claimed for s in seen):
        return f"the document gives the amount claimed as {_listed([_money(s.value) for s in claimed])}"
    return True


def amount_is_in_the_policy_currency(claim: Claim, doc: ClaimDoc) -> bool | str:
    """When the document writes the claim in the policy's currency, that is the amount."""
    policy = find_policy(claim.policy_id)
    if policy is None or claim.currency == policy.currency:
        return True
    r = read(doc.text)
    in_policy_currency = [
        s for s in r.amount_candidates(policy.currency) if r.in_currency(s, policy.currency)
    ]
    if in_policy_currency:
        listed = _listed([_money(s.value) for s in in_policy_currency])
        return (
            f"amount {claim.amount:,.2f} is in {claim.currency}; the policy pays in "
            f"{policy.currency} and the document writes {listed}"
        )
    return True  # claimed only in another currency: a person converts (refer)


# ---------------------------------------------------------------- incident


def incident_date_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The date is one the document writes, read the way the document writes dates."""
    r = read(doc.text)
    if r.find_date(claim.incident_date):
        return True
    swapped = [m.text for m, _, _ in r.dates if claim.incident_date in m.options]
    if swapped:
        order = "day first" if r.order == "dmy" else "month first"
        return f"the document writes dates {order}: {swapped[0]} is not {claim.incident_date}"
    listed = _listed([str(s.value) for s in r.date_values()])
    if not listed:
        return f"incident date {claim.incident_date} not found: the document has no full date"
    return f"incident date {claim.incident_date} not found in the document (it has {listed})"


def incident_date_is_the_day_of_the_incident(claim: Claim, doc: ClaimDoc) -> bool | str:
    """Not the day it was reported, signed, a policy date, a birthday or a later repair; the
    date the document calls the date of loss, when it calls one so."""
    r = read(doc.text)
    seen = r.find_date(claim.incident_date)
    if not seen:
        return True
    if all(s.has(*DATE_DECOYS) for s in seen):
        return f"{claim.incident_date} is {_roles_named(seen, DATE_DECOYS)}, not the day of the incident"
    labelled = [s for s in r.date_values() if s.has("incident") and not s.has(*DATE_DECOYS)]
    if labelled and not any(s.value == claim.incident_date for s in labelled):
        return f"the document gives the date of the incident as {_listed([str(s.value) for s in labelled])}"
    return True


def incident_type_in_document(claim: Claim, doc: ClaimDoc) -> bool | str:
    """The document describes this kind of incident (and ticks it, when a form ticks one)."""
    r = read(doc.text)
    kind = claim.incident_type
    if r.ticked and kind not in r.ticked:
        return f"the form marks the incident as {', '.join(r.ticked)}, not {kind}"
    if kind == "other" and "theft" in r.described and "theft" not in r.ticked:
        # Luggage words describe "other" only where nothing was stolen (incidents.py).
        return "the document describes a theft (a stolen bag is a theft, not other)"
    if kind in r.described or kind in r.ticked:
        return True
    if kind == "other" and not r.described:
        return True
    described = ", ".join(r.described) or "no kind of incident"
    return f"nothing in the document describes a {kind} incident (it describes {described})"


# ---------------------------------------------------------------- the prompt's examples


def no_value_from_the_examples(claim: Claim, doc: ClaimDoc) -> bool | str:
    """No value copied from the prompt's few-shot examples (unless this document has it too)."""
    r = read(doc.text)
    for _, example in EXAMPLES:
        copied = [
            field
            for field, same, written in (
                (
                    "claimant",
                    same_person(claim.claimant, example.claimant),
                    r.find_name(claim.claimant),
                ),
                (
                    "policy id",
                    id_key(claim.policy_id) == id_key(example.policy_id),
                    r.find_id_loosely(claim.policy_id),
                ),
                (
                    "amount",
                    amount_key(claim.amount) == amount_key(example.amount),
                    r.find_amount(amount_key(claim.amount)),
                ),
                (
                    "incident date",
                    claim.incident_date == example.incident_date,
                    r.find_date(claim.incident_date),
                ),
            )
            if same and not written
        ]
        if (
            claim.description
            and claim.description.strip().lower() == example.description.strip().lower()
        ):
            copied.append("description")
        if copied:
            return (
                f"{', '.join(copied)} copied from the prompt's example, not read from this document"
            )
    return True


GROUNDING_CHECKS = (
    policy_id_in_document,
    claimant_in_document,
    amount_in_document,
    incident_date_in_document,
    incident_type_in_document,
)
ROLE_CHECKS = (
    policy_id_is_the_policy_number,
    claimant_is_the_one_claiming,
    amount_is_the_amount_claimed,
    amount_is_in_the_policy_currency,
    incident_date_is_the_day_of_the_incident,
)
CLAIM_CHECKS = (amount_positive, *GROUNDING_CHECKS, *ROLE_CHECKS, no_value_from_the_examples)

# The checks that judge each field, for the grounded retry (which offers only the values
# these would accept).
FIELD_CHECKS = {
    "policy_id": (policy_id_in_document, policy_id_is_the_policy_number),
    "claimant": (claimant_in_document, claimant_is_the_one_claiming),
    "amount": (amount_in_document, amount_is_the_amount_claimed, amount_is_in_the_policy_currency),
    "incident_date": (incident_date_in_document, incident_date_is_the_day_of_the_incident),
    "incident_type": (incident_type_in_document,),
}


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
    if claim.currency != policy.currency:
        return f"approved, but claimed in {claim.currency} on a policy in {policy.currency}"
    ceiling = Decimal(str(policy.limit)) - Decimal(str(policy.deductible))
    if Decimal(str(decision.amount)) > ceiling:
        return f"approved {decision.amount:,.2f}, above limit - deductible ({ceiling:,.2f})"
    if decision.amount == 0:
        return "approved with nothing to pay"
    return True


DECISION_CHECKS = (decision_consistent,)
