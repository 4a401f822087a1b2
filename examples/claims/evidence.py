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
  mean the document is ambiguous to both, and a guess is not a reading. And agreement is
  not enough when the readers ranked the value first only for where it stands: the words
  around it must say it is the claim's (a total, a date of loss, a policy number, the
  policyholder or the signer).
- **Does the document describe the incident at all?** "other" when the readers recognize
  no kind of incident is a guess, not a reading.

A failure here is not something a retry fixes (the model would choose again among the
same values), so `EscalateWhenInconclusive` sends it straight to a person, with the
reason: what the labels say, or which values compete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from seamline.policies import Decision, Failure, Rung

from .checks import amount_key
from .grounded import offered_values
from .labels import key_of, labelled
from .models import Claim, ClaimDoc
from .names import same_person
from .reading import read

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


# The roles (reading.py) by which a document says a value is the claim's own.
_SUPPORT = {
    "policy_id": frozenset({"policy"}),
    "amount": frozenset({"claimed"}),
    "incident_date": frozenset({"incident"}),
    "claimant": frozenset({"holder", "signed", "principal", "client", "self"}),
}


# The fields whose support must single out one value (a document may name its signer and
# its policyholder, both supporting a claimant; it should not call two figures the total).
_ONE_SAYS = frozenset({"amount", "incident_date"})


def _supported(field: str, value: Any, doc: ClaimDoc) -> bool:
    """Whether the words around the value, somewhere in the document, make it the field's."""
    r = read(doc.text)
    if field == "policy_id":
        seen = r.find_id_loosely(str(value))
    elif field == "amount":
        seen = r.find_amount(amount_key(float(value)))
    elif field == "incident_date":
        seen = r.find_date(value)
    else:
        seen = r.find_name(str(value))
    return any(s.has(*_SUPPORT[field]) for s in seen)


def _said_apart(field: str, value: Any, mine: Any, doc: ClaimDoc) -> bool:
    """Whether the document calls `value` the field's on a line where `mine` is not written
    (a figure inside the chosen total's own line, "total 14 300, incl. 2 150", is a part of
    it, not a rival)."""
    r = read(doc.text)
    text = doc.text
    mentions: list[tuple[int, frozenset[str], object]]
    if field == "amount":
        mentions = [(m.start, roles, amount_key(float(m.value))) for m, roles in r.amounts]
        theirs, ours = amount_key(float(value)), amount_key(float(mine))
    else:
        mentions = [(m.start, roles, day) for m, days, roles in r.dates for day in days]
        theirs, ours = value, mine
    our_lines = {text.count("\n", 0, start) for start, _, v in mentions if v == ours}
    return any(
        v == theirs and roles & _SUPPORT[field] and text.count("\n", 0, start) not in our_lines
        for start, roles, v in mentions
    )


def reading_is_conclusive(claim: Claim, doc: ClaimDoc) -> bool | str:
    """Each value is the one the document's labels give; or, where it labels none and
    writes several, the one both the model and the readers chose, which the document
    also calls the claim's (a total, a date of loss, a policy number, the policyholder)."""
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
        if len(values) < 2:
            continue
        competing = ", ".join(repr(_shown(field, v)) for v in values[:4])
        if not _same(field, mine, values[0]):
            problems.append(
                f"the document labels no {what} and writes several ({competing}); the "
                f"reading chose {_shown(field, mine)!r}, the readers rank "
                f"{_shown(field, values[0])!r} first"
            )
        elif not _supported(field, mine, doc):
            # Both chose it, but only because it comes first: nothing the document says
            # makes it the claim's (a ranking by position is not evidence).
            problems.append(
                f"the document writes several values that may be the {what} ({competing}) "
                f"and says of none that it is the {what}"
            )
        elif field in _ONE_SAYS and any(
            _said_apart(field, v, mine, doc) for v in values[1:] if not _same(field, mine, v)
        ):
            # Two figures the document calls a total, each in its own place ("the garage:
            # total 9 000" ... "the dealer: total 11 250"), and nothing to choose between
            # them: the first is no more the claim's.
            problems.append(
                f"the document calls several values the {what} ({competing}) and labels none"
            )
    r = read(doc.text)
    if claim.incident_type == "other" and not (r.described or r.ticked):
        # Nothing the readers recognize describes the incident: "other" would be a guess.
        problems.append("the readers recognize no kind of incident in the document")
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
