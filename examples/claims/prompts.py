"""The extraction prompt: short, because the local model has a small context.

The two examples use policy ids, names, amounts and dates that appear nowhere in
`claims.jsonl` (a test pins that): with a leaked id in an example, a small model
copies the example's prefix instead of reading the document.
"""

from __future__ import annotations

import re
from datetime import date

from .models import Claim, ClaimDoc
from .normalize import amounts_in_text, dates_in_text

SYSTEM = (
    "You read insurance claim documents and extract the claim. Copy the policy number "
    "exactly. The amount is the money being claimed, as a number. The date is the day "
    "the incident happened (not the day it was reported), as YYYY-MM-DD. The claimant "
    "is the person making the claim."
)

EXAMPLES: list[tuple[ClaimDoc, Claim]] = [
    (
        ClaimDoc(
            text=(
                "From: Priya Raman\nHi, I'm claiming on policy KTR-550917. On 9 February 2021 "
                "a burst pipe flooded my hallway. The plumber's bill was $2,310. Ref CLM-00417."
            )
        ),
        Claim(
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
                "Caller: This is Tomas Novak, policy WXL-120884.\nAgent: What happened?\n"
                "Caller: Someone hit my parked car on 06/11/2020. The quote is 870 USD."
            )
        ),
        Claim(
            claimant="Tomas Novak",
            policy_id="WXL-120884",
            incident_date=date(2020, 6, 11),
            incident_type="collision",
            amount=870.0,
            description="Another car hit the parked car.",
        ),
    ),
]


_POLICY_LIKE = re.compile(r"\b[A-Z]{2,5}-\d{3,}\b")


def candidates(doc: ClaimDoc) -> str:
    """Values a parser can find, listed for the model to choose from (the `hints` variant)."""
    amounts = ", ".join(f"{a:.2f}" for a in sorted(amounts_in_text(doc.text)))
    dates = ", ".join(d.isoformat() for d in sorted(dates_in_text(doc.text)))
    ids = ", ".join(dict.fromkeys(_POLICY_LIKE.findall(doc.text)))
    return f"Amounts: {amounts or 'none'}\nDates: {dates or 'none'}\nReferences: {ids or 'none'}"


def extraction_prompt(doc: ClaimDoc, *, hints: bool = True) -> str:
    """The user prompt. With `hints`, the parsed candidates follow the document.

    Hints are on by default: on the local model they raised fully-correct extractions
    from 0/12 to 3/12 and correct fields from 30/60 to 43/60 (`compare_prompts.py`).
    The model still has to choose (the deductible is an amount too), so the grounding
    checks and the expected decisions still have work to do.
    """
    prompt = f"Extract the claim from this document.\n\nDocument:\n{doc.text}"
    if hints:
        prompt += f"\n\nValues found in the document:\n{candidates(doc)}"
    return prompt


# As `ctx.generate(..., examples=...)` takes them: (user text, assistant JSON) pairs.
EXAMPLE_PAIRS: list[tuple[str, str]] = [
    (extraction_prompt(doc), claim.model_dump_json()) for doc, claim in EXAMPLES
]
