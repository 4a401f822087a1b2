"""From the model's reading to the `Claim` artifact, and the grounded retry's narrower schema.

`as_claim` writes what the model read the way the pipeline keeps it: the claimant as
"Given Surname" (the document may write "KOWALCZYK, Anna"), the policy id as the document
spells it ("hx 88213" read out is the document's "HX88213"), and the amount's currency
from where the document writes that amount.

Both model calls choose rather than copy. `candidate_claim_type` is what the first
reading asks for: each field a choice (a JSON-schema `enum`, enforced by constrained
decoding) among the values the document writes that are not decoys. A 135M model that
cannot copy "1.250,00" can still pick 1250.0. `grounded_claim_type` is what a retry asks
for once the gate rejected a reading: the choices narrowed to the values the gate's own
field checks would accept. Where several values remain, the model still has to choose,
and the expected artifacts measure how well.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, create_model

from .checks import FIELD_CHECKS, amount_key
from .models import Claim, ClaimDoc, IncidentDate, IncidentType, Policy
from .names import canonical_name, same_person
from .prompts import rotated
from .reading import DOLLARS, Reading, read
from .rules import find_policy

__all__ = [
    "as_claim",
    "as_filed",
    "candidate_claim_type",
    "candidate_values",
    "currency_of",
    "grounded_claim_type",
    "offered_values",
    "top_candidates",
]


def currency_of(amount: Decimal, reading: Reading, policy: Policy | None) -> str:
    """The currency the document writes `amount` in; "$" is the policy's dollar, if any."""
    written = [s.value[1] for s in reading.find_amount(amount)]  # type: ignore[index]
    codes = [c for c in written if c not in (None, "$", "kr")]
    if codes:
        return policy.currency if policy is not None and policy.currency in codes else codes[0]
    if "$" in written:
        return policy.currency if policy is not None and policy.currency in DOLLARS else "USD"
    if "kr" in written and policy is not None and policy.currency in ("SEK", "NOK", "DKK", "ISK"):
        return policy.currency
    return reading.only_currency() or (policy.currency if policy is not None else "USD")


def as_claim(answer: BaseModel, doc: ClaimDoc) -> Claim:
    """The model's answer (a `ClaimReading` or a grounded choice) as the `Claim` artifact."""
    data = answer.model_dump()
    r = read(doc.text)
    names = r.find_name(data["claimant"])
    claimant = str(names[0].value) if names else canonical_name(data["claimant"])
    holders = [p.holder for p in map(find_policy, _policy_ids(r)) if p is not None]
    claimant = _on_file(claimant, holders)
    ids = r.find_id(data["policy_id"]) or r.find_id_loosely(data["policy_id"])
    policy_id = as_filed(str(ids[0].value) if ids else str(data["policy_id"]).strip())
    amount = float(data["amount"])
    return Claim(
        claimant=claimant,
        policy_id=policy_id,
        incident_date=data["incident_date"],
        incident_type=data["incident_type"],
        amount=amount,
        currency=currency_of(amount_key(amount), r, find_policy(policy_id)),
        description=data["description"],
    )


def as_filed(policy_id: str) -> str:
    """A policy id as the policy table writes it, when the table has it ("pol-4482-k" and
    "P-O-L dash four four eight two dash K" are POL-4482-K); else as the document does."""
    policy = find_policy(policy_id)
    return policy.policy_id if policy is not None else policy_id


def _policy_ids(reading: Reading) -> list[str]:
    return list(dict.fromkeys(as_filed(str(s.value)) for s in reading.id_candidates()))


def _names(reading: Reading) -> list[str]:
    """The claimant's candidates, each written as the policy table writes its holder when
    it is the holder of a policy the document names: a form's "Brennan Aoife" (surname
    first, nothing to say so) is the holder Aoife Brennan."""
    holders = [p.holder for p in map(find_policy, _policy_ids(reading)) if p is not None]
    return list(dict.fromkeys(_on_file(str(s.value), holders) for s in reading.name_candidates()))


def _on_file(name: str, holders: list[str]) -> str:
    return next((h for h in holders if same_person(h, name)), name)


def _first(values: list[Any], fallback: Any) -> Any:
    return values[0] if values else fallback


def top_candidates(doc: ClaimDoc) -> Claim:
    """The parser's first candidate for every field, with no model at all: what a retry's
    field checks are tried against one field at a time, and the floor a model must beat."""
    r = read(doc.text)
    ids = _policy_ids(r)
    policy = find_policy(_first(ids, ""))
    amounts = r.amount_candidates(policy.currency if policy is not None else None)
    amount = float(amounts[0].value[0]) if amounts else 1.0  # type: ignore[index]
    dates = [s.value for s in r.date_candidates()]
    return Claim(
        claimant=_first(_names(r), "Unknown Person"),
        policy_id=_first(ids, "UNKNOWN"),
        incident_date=_first(dates, "2000-01-01"),
        incident_type=_first(r.type_candidates(), "other"),
        amount=amount,
        currency=currency_of(amount_key(amount), r, policy),
    )


def _passes(field: str, claim: Claim, doc: ClaimDoc) -> bool:
    """Whether every check of `field` accepts `claim`, called the way the gate calls it."""
    artifacts = {"claim": claim, "doc": doc}
    for check in FIELD_CHECKS[field]:
        names = inspect.signature(check).parameters
        if check(**{n: artifacts[n] for n in names}) is not True:
            return False
    return True


def candidate_values(doc: ClaimDoc) -> dict[str, list[Any]]:
    """Per grounded field, the document's values that are not decoys (the deductible, the
    report date, the attorney, a police report number...), the ones it labels first."""
    r = read(doc.text)
    ids = _policy_ids(r)
    policy = find_policy(ids[0]) if ids else None
    currency = policy.currency if policy is not None else None
    return {
        "policy_id": ids,
        "claimant": _names(r),
        "amount": list(
            dict.fromkeys(float(s.value[0]) for s in r.amount_candidates(currency))  # type: ignore[index]
        ),
        "incident_date": [s.value for s in r.date_candidates()],
        "incident_type": r.type_candidates(),
    }


def offered_values(doc: ClaimDoc) -> dict[str, list[Any]]:
    """Per grounded field, the candidates the gate's field checks accept (or, if none
    would, every candidate: the gate will say why)."""
    r = read(doc.text)
    base = top_candidates(doc)
    policy = find_policy(base.policy_id)
    offered: dict[str, list[Any]] = {}
    for field, values in candidate_values(doc).items():
        accepted = []
        for value in dict.fromkeys(values):
            update: dict[str, Any] = {field: value}
            if field == "amount":
                update["currency"] = currency_of(amount_key(value), r, policy)
            if field == "policy_id":
                update["currency"] = currency_of(amount_key(base.amount), r, find_policy(value))
            if _passes(field, base.model_copy(update=update), doc):
                accepted.append(value)
        offered[field] = accepted or list(dict.fromkeys(values))
    return offered


def _choice(values: list[Any], fallback: Any, description: str) -> Any:
    """A field holding one of `values`, or the free field when the document has none."""
    if not values:
        return fallback
    return (Literal[tuple(values)], Field(description=description))  # type: ignore[valid-type]


def _choices_type(name: str, values: dict[str, list[Any]]) -> type[BaseModel]:
    types = values["incident_type"] or list(get_args(IncidentType))
    dates = [d.isoformat() for d in values["incident_date"]]
    fields: dict[str, Any] = {
        "claimant": _choice(values["claimant"], (str, ...), "The claimant's full name"),
        "policy_id": _choice(values["policy_id"], (str, ...), "The policy number"),
        # With no date to choose from, still a date: free text ("20260211") would be no
        # Claim at all, and a shadow run would fail where a gated one retries.
        "incident_date": _choice(dates, (IncidentDate, ...), "The day of the incident"),
        "incident_type": _choice(types, (IncidentType, ...), "What happened"),
        "amount": _choice(values["amount"], (float, ...), "The amount claimed"),
        "description": (str, Field(max_length=160, description="What happened, in a few words")),
    }
    return create_model(name, **fields)


def _rotated(values: dict[str, list[Any]], by: int) -> dict[str, list[Any]]:
    return {field: rotated(list(choices), by) for field, choices in values.items()}


def candidate_claim_type(doc: ClaimDoc, rotate: int = 0) -> type[BaseModel]:
    """What the first reading asks for: each field one of the document's own values that
    is not a decoy. The model still chooses (and the gate still checks the choice).
    `rotate` offers each field's values in another order (a consensus sample's)."""
    return _choices_type("ClaimChoice", _rotated(candidate_values(doc), rotate))


def grounded_claim_type(doc: ClaimDoc, rotate: int = 0) -> type[BaseModel]:
    """What a retry asks for: each field narrowed to the values the gate would accept."""
    return _choices_type("GroundedClaim", _rotated(offered_values(doc), rotate))
