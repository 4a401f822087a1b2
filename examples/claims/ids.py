"""Find the reference numbers a document writes, of any shape, and which is the policy's.

Policy numbers come in every shape: `POL-4471-22`, `HX88213`, `LM/AUTO/0048812`,
`MED 4419 2207`, `7734-118-09`, `W0031877`. So do the numbers around them: claim
references, police reports, invoices, phone numbers, the other driver's policy. An id
here is a run of letters and digits, with at least three digits, joined by `-`, `/` or
`.` (or by single spaces, when a policy label says where it starts, or when letters lead
digit groups: `QP 661 204`). `same_id` compares two ids as a person would read them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .money import CURRENCY_CODES

__all__ = ["IdMention", "id_key", "ids_in_text", "same_id"]

_GROUP = r"[A-Z0-9]+"
_JOINED = re.compile(rf"(?<![\w/.-]){_GROUP}(?:[-/.]{_GROUP})*(?![\w/-]|\.\w)")
_LETTERS_THEN_DIGITS = re.compile(r"(?<![\w/.-])([A-Z]{2,5})((?: \d{3,7}){1,3})(?![\w/.-])")
# "Policy number: ...", "policy #", "Pol. no", "contrat n°", "N° de police", "póliza"
# (a bare "police" is the police in English, the policy only in French after "n° de").
POLICY_LABEL = re.compile(
    r"(?:policy|pol\.|contract|contrat|certificate|cover note|póliza|poliza|n[°º] de police|vertrag)"
    r"(?:\s*(?:number|no\.?|n[°º]|#|num\.?|nr\.?|id|ref(?:erence)?))?"
    r"(?:\s*(?:is|quoted by caller|on file|/ policy no\.?))?\s*[:#.]?\s*$",
    re.IGNORECASE,
)
_SPACED_AFTER_LABEL = re.compile(
    r"[A-Z0-9]+(?:[-/.][A-Z0-9]+)*(?: (?:[A-Z]{1,5}|\d{2,})(?![\w/-]))*"
)


@dataclass(frozen=True, slots=True)
class IdMention:
    """One reference as the document writes it."""

    value: str
    start: int
    end: int
    after_policy_label: bool  # "Policy no.: <this>"


def id_key(value: str) -> str:
    """An id as a person reads it out: upper case, no separators ("hx-88213" = "HX 88213")."""
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def same_id(a: str, b: str) -> bool:
    return bool(id_key(a)) and id_key(a) == id_key(b)


def _is_id(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    if digits < 3 or len(id_key(value)) < 5:
        return False
    if re.fullmatch(r"\d{1,4}([-/.])\d{1,2}\1\d{1,4}", value):  # a date
        return False
    if re.fullmatch(r"\d{1,2}:\d{2}", value) or re.fullmatch(r"\d{4}", value):
        return False
    return not re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+[.,]\d{1,2}", value)


def ids_in_text(text: str) -> list[IdMention]:
    """Every reference in `text`, in order of appearance."""
    found: dict[tuple[int, int], IdMention] = {}
    for label in _policy_labels(text):
        m = _SPACED_AFTER_LABEL.match(text, label)
        if m and _is_id(m.group(0)):
            value = m.group(0).rstrip(".-/")
            found[m.start(), m.start() + len(value)] = IdMention(
                value, m.start(), m.start() + len(value), True
            )
    for m in _LETTERS_THEN_DIGITS.finditer(text):
        if m.group(1) in CURRENCY_CODES or _overlaps(found, m.start(), m.end()):
            continue
        found[m.start(), m.end()] = IdMention(m.group(0), m.start(), m.end(), False)
    for m in _JOINED.finditer(text):
        value = m.group(0).rstrip(".")
        if not _is_id(value) or _overlaps(found, m.start(), m.start() + len(value)):
            continue
        found[m.start(), m.start() + len(value)] = IdMention(
            value, m.start(), m.start() + len(value), _labelled(text, m.start())
        )
    return [found[k] for k in sorted(found)]


def _policy_labels(text: str) -> list[int]:
    """Where an id may start right after a policy label."""
    starts = []
    for m in re.finditer(r"[A-Z0-9]", text):
        if _labelled(text, m.start()) and (m.start() == 0 or not text[m.start() - 1].isalnum()):
            starts.append(m.start())
    return starts


def _labelled(text: str, start: int) -> bool:
    before = text[max(0, text.rfind("\n", 0, start) + 1, start - 40) : start]
    return bool(POLICY_LABEL.search(before))


def _overlaps(found: dict[tuple[int, int], IdMention], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in found)
