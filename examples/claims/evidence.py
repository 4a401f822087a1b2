"""Independent evidence for the claim seam: a reading is accepted only when the evidence
for each of its values is conclusive; otherwise a person decides.

The other checks ask whether a value is written and whether the document says it is
something else, all through `reading.read`, the reader the model's choices come from. When
that reader is wrong, they agree with it. This check asks two other questions:

- **What do the document's own labels say?** `labels.py` (a second reader, built on line
  labels rather than role windows) gives the values written right after a label for the
  field (`DOL`, `Insd:`, `N° de police`, `Amount claimed |`). One labelled value: the
  claim must have it. Several different labelled values: the evidence conflicts.
- **Where nothing is labelled and the document writes several candidates**, do the model
  and the readers agree? The model read the document; the readers ranked its values by
  role. Two ways of reading that land on the same value are evidence; two that differ
  mean the document is ambiguous to both, and a guess is not a reading.

A failure here is not something a retry fixes (the model would choose again among the
same values), so `EscalateWhenInconclusive` sends it straight to a person, with the
reason: what the labels say, or which values compete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from seamline.policies import Decision, Failure, Rung

from .grounded import offered_values
from .labels import key_of, labelled
from .models import Claim, ClaimDoc
from .names import same_person

CHECK_NAME = "the evidence is conclusive"
_WHAT = {
    "policy_id": "policy number",
    "claimant": "claimant",
    "incident_date": "date of the incident",
    "amount": "amount claimed",
}


def _shown(field: str, value: Any) -> str:
    if field == "amount":
        return f"{float(value):,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(field: str, a: Any, b: Any) -> bool:
    if field == "claimant":
        return same_person(str(a), str(b))
    if field == "amount":
        return abs(float(a) - float(b)) < 0.005
    return bool(key_of(field, a) == key_of(field, b))


def reading_is_conclusive(claim: Claim, doc: ClaimDoc) -> bool | str:
    """Each value is the one the document's labels give, or, where it labels none and
    writes several, the one both the model and the readers chose."""
    labels = labelled(doc.text)
    offered: dict[str, list[Any]] | None = None
    problems = []
    for field, what in _WHAT.items():
        mine = getattr(claim, field)
        given = labels.of(field)
        if len(given) == 1:
            if key_of(field, mine) != given[0]:
                problems.append(
                    f"the document labels the {what} as {labels.shown[field][0]!r}, "
                    f"not {_shown(field, mine)!r}"
                )
            continue
        if len(given) > 1:
            written = ", ".join(repr(v) for v in labels.shown[field])
            problems.append(f"the document labels several values as the {what} ({written})")
            continue
        if offered is None:
            offered = offered_values(doc)
        values = offered.get(field, [])
        if len(values) > 1 and not _same(field, mine, values[0]):
            competing = ", ".join(repr(_shown(field, v)) for v in values[:4])
            problems.append(
                f"the document labels no {what} and writes several ({competing}); the "
                f"reading chose {_shown(field, mine)!r}, the readers rank "
                f"{_shown(field, values[0])!r} first"
            )
    if not problems:
        return True
    return "; ".join(problems) + ": a claims handler should confirm"


@dataclass(frozen=True, slots=True)
class EscalateWhenInconclusive(Rung):
    """Retry (with the reasons) while a check a retry can fix has failed; escalate at once
    when all that failed is the evidence (`only`: those checks' names)."""

    times: int = 2
    only: frozenset[str] = frozenset({CHECK_NAME})

    @property
    def label(self) -> str:
        return "retry"

    def decide(self, failure: Failure) -> Decision:
        failed = {c.name for c in failure.verdict.checks if c.outcome in ("failed", "error")}
        if failed and failed <= self.only:
            return Decision("escalate", "escalate")
        return Decision("retry", "again")
