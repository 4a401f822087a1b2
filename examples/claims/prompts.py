"""The extraction prompt: short, because the local model has a small context.

After the document comes what a parser found in it, with what the document says each
value is ("the deductible", "when it was reported"): the model still has to choose, and
the gate still checks, but it does not have to find "1.250,00" in a page of text.

The two few-shot examples use names, ids, amounts and dates that appear in no dataset
(a test pins that), and a check fails an answer that copies one of them.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from .models import ClaimDoc, ClaimReading
from .reading import Seen, read

T = TypeVar("T")

SYSTEM = (
    "You read insurance claim documents and extract the claim. Copy the policy number "
    "exactly. The amount is the money being claimed, as a number. The date is the day "
    "the incident happened (not the day it was reported), as YYYY-MM-DD. The claimant "
    "is the person making the claim, not their lawyer, broker or agent."
)

EXAMPLES: list[tuple[ClaimDoc, ClaimReading]] = [
    (
        ClaimDoc(
            text=(
                "From: Priya Raman\nHi, I'm claiming on policy KTR-550917. On 9 February 2021 "
                "a burst pipe flooded my hallway. The plumber's bill was $2,310 (my excess "
                "is $150). Ref CLM-00417."
            )
        ),
        ClaimReading(
            claimant="Priya Raman",
            policy_id="KTR-550917",
            incident_date=date(2021, 2, 9),
            incident_type="water_damage",
            amount=2310.0,
            description="A burst pipe flooded the hallway.",
        ),
    ),
    (
        ClaimDoc(
            text=(
                "Caller: This is Tomas Novak, policy WXL/120884.\nAgent: What happened?\n"
                "Caller: Someone hit my parked car on 06/11/2020. I called it in on 08/11/2020. "
                "The garage quote is 870,00 EUR."
            )
        ),
        ClaimReading(
            claimant="Tomas Novak",
            policy_id="WXL/120884",
            incident_date=date(2020, 11, 6),
            incident_type="collision",
            amount=870.0,
            description="Another car hit the parked car.",
        ),
    ),
]

_ROLE_HINTS = {
    "deductible": "the deductible",
    "limit": "a limit",
    "superseded": "replaced by a later figure",
    "line_item": "one line item",
    "other_party": "the other party's",
    "converted_from": "before conversion",
    "paid_already": "already paid",
    "extra": "an expense beside the loss",
    "claimed": "called the total or the claim",
    "reported": "when it was reported or written",
    "signature": "a signature date",
    "policy": "a policy date",
    "birth": "a date of birth",
    "purchase": "a purchase date",
    "later": "a later event",
    "incident": "called the date of the incident",
    "professional": "a representative",
    "third_party": "another party",
    "principal": "on whose behalf it is filed",
    "signed": "signs the document",
    "holder": "the policyholder",
    "claim_ref": "a claim reference",
    "police": "a police report number",
    "invoice": "an invoice number",
    "phone": "a phone number",
}


def _hint(text: str, roles: frozenset[str]) -> str:
    said = [_ROLE_HINTS[r] for r in sorted(roles) if r in _ROLE_HINTS]
    return f"{text} ({', '.join(said)})" if said else text


def _amount(seen: Seen) -> str:
    value, currency = seen.value  # type: ignore[misc]
    written = f"{value:.2f}" + (f" {currency}" if currency not in (None, "$") else "")
    return _hint(written, seen.roles)


def rotated(values: list[T], by: int) -> list[T]:
    """`values` starting at position `by` (mod its length): another order, same values."""
    if not values or by % len(values) == 0:
        return values
    k = by % len(values)
    return values[k:] + values[:k]


def candidates(doc: ClaimDoc, rotate: int = 0) -> str:
    """What a parser finds in the document, each with what the document says it is.
    `rotate` lists each kind of value starting further along (a consensus sample's view:
    a model that picks by position then disagrees with itself)."""
    r = read(doc.text)
    policy = ", ".join(
        _hint(str(s.value), s.roles - {"policy"})
        if s.has("policy")
        else _hint(str(s.value), s.roles)
        for s in rotated(r.id_values(), rotate)
    )
    names = ", ".join(_hint(str(s.value), s.roles) for s in rotated(r.name_values(), rotate))
    amounts = ", ".join(_amount(s) for s in rotated(r.amount_values(), rotate))
    dates = ", ".join(_hint(str(s.value), s.roles) for s in rotated(r.date_values(), rotate))
    lines = [
        f"Policy numbers: {policy or 'none'}",
        f"Names: {names or 'none'}",
        f"Amounts: {amounts or 'none'}",
        f"Dates: {dates or 'none'}",
        f"Incident types described: {', '.join(rotated(r.type_candidates(), rotate)) or 'none'}",
    ]
    return "\n".join(lines)


def extraction_prompt(doc: ClaimDoc, *, hints: bool = True, rotate: int = 0) -> str:
    """The user prompt. With `hints`, the parsed values follow the document (each list
    rotated by `rotate`, see `candidates`)."""
    prompt = f"Extract the claim from this document.\n\nDocument:\n{doc.text}"
    if hints:
        prompt += f"\n\nValues found in the document:\n{candidates(doc, rotate)}"
    return prompt


# As `ctx.generate(..., examples=...)` takes them: (user text, assistant JSON) pairs.
EXAMPLE_PAIRS: list[tuple[str, str]] = [
    (extraction_prompt(doc), claim.model_dump_json()) for doc, claim in EXAMPLES
]
