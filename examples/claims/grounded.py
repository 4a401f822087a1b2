"""Grounded re-extraction: what a retry asks for after the gate rejected an extraction.

The first attempt reads the document freely. When the grounding gate rejects it, the
retry narrows the schema: every grounded field becomes a choice among the values a
parser finds in the document (JSON-schema `enum`), which constrained decoding enforces.
A 135M model that cannot copy "$15,750" reliably can still pick 15750.00 out of
{250.00, 15750.00}. It can still pick the wrong one (the deductible is an amount too):
that is what the expected decisions measure.
"""

from __future__ import annotations

import calendar
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from .checks import INCIDENT_KEYWORDS
from .models import Claim, ClaimDoc, IncidentType
from .normalize import (
    amounts_in_text,
    dates_in_text,
    deductible_amounts,
    reporting_dates,
)

_POLICY_LIKE = re.compile(r"\b[A-Z]{2,5}-\d{4,8}\b")
# Runs of capitalised words; a name is two or three consecutive ones that are not
# ordinary sentence or calendar words.
_WORD = r"[A-Z][a-z]*(?:['’-][A-Z]?[a-z]+)*"
_CAPITALISED_RUN = re.compile(rf"{_WORD}(?:[ \t]+{_WORD})+")
_SURNAME_FIRST = re.compile(rf"({_WORD}), ({_WORD})")  # forms: "Holm, Kwame"
_NOT_NAME_WORDS = {
    "I'm",
    "I’m",
    "Hi",
    "Hello",
    "Dear",
    "Sir",
    "Madam",
    "Regards",
    "Best",
    "Kind",
    "Thanks",
    "The",
    "This",
    "My",
    "On",
    "At",
    "In",
    "Please",
    "Policy",
    "Claim",
    "Claims",
    "Form",
    "Team",
    "Department",
    "Number",
    "Ref",
    "Re",
    "Subject",
    "From",
    "To",
    "Caller",
    "Agent",
    "Voicemail",
    "Transcription",
    "Insurance",
    "Street",
    "Road",
    "Avenue",
    "USD",
    *calendar.month_name[1:],
    *calendar.day_name,
}


def _unless(values: list[Any], excluded: set[Any]) -> list[Any]:
    """`values` without `excluded`, unless that would leave nothing to choose."""
    kept = [v for v in values if v not in excluded]
    return kept or values


def _choice(values: list[Any], fallback: Any, description: str) -> Any:
    """A field holding one of `values`, or the free field when the parser found none."""
    if not values:
        return fallback
    return (Literal[tuple(values)], Field(description=description))  # type: ignore[valid-type]


def names_in_text(text: str) -> list[str]:
    """Candidate person names: two or three consecutive capitalised words."""
    found: dict[str, None] = {}
    for run in _CAPITALISED_RUN.finditer(text):
        words = run.group(0).split()
        for size in (2, 3):
            for start in range(len(words) - size + 1):
                part = words[start : start + size]
                if not any(w in _NOT_NAME_WORDS for w in part):
                    found[" ".join(part)] = None
    for surname, given in _SURNAME_FIRST.findall(text):
        if surname not in _NOT_NAME_WORDS and given not in _NOT_NAME_WORDS:
            found[f"{given} {surname}"] = None
    return list(found)


def types_in_text(text: str) -> list[str]:
    """Incident types the document describes, by the words the type check accepts."""
    lowered = text.lower().replace("_", " ")
    return [
        kind
        for kind, words in INCIDENT_KEYWORDS.items()
        if kind.replace("_", " ") in lowered
        or any(re.search(r"\b" + re.escape(w), lowered) for w in words)
    ]


def grounded_claim_type(doc: ClaimDoc) -> type[BaseModel]:
    """`Claim`, with each grounded field narrowed to the document's own values."""
    text = doc.text
    fields: dict[str, Any] = {
        "claimant": _choice(names_in_text(text), (str, ...), "The claimant's full name"),
        "policy_id": _choice(
            list(dict.fromkeys(_POLICY_LIKE.findall(text))), (str, ...), "The policy number"
        ),
        "incident_date": _choice(
            _unless(sorted(d.isoformat() for d in dates_in_text(text)), reporting_dates(text)),
            (str, ...),
            "The day of the incident",
        ),
        "incident_type": _choice(types_in_text(text), (IncidentType, ...), "What happened"),
        "amount": _choice(
            _unless(sorted(float(a) for a in amounts_in_text(text)), deductible_amounts(text)),
            (float, ...),
            "The amount claimed",
        ),
        "description": (str, Field(max_length=160, description="What happened, in a few words")),
    }
    return create_model("GroundedClaim", **fields)


def as_claim(choice: BaseModel) -> Claim:
    return Claim.model_validate(choice.model_dump())
