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
from .spelled import spelled_ids

__all__ = ["IdMention", "id_key", "ids_in_text", "same_id"]

_GROUP = r"[A-Z0-9]+"
_JOINED = re.compile(rf"(?<![\w/.-]){_GROUP}(?:[-/.]{_GROUP})*(?![\w/-]|\.\w)")
# The same in lower case ("pol-4482-k", "hx88213"), only where letters and digits are
# glued or joined twice: "mid-2024" or "covid-19" is a word, not a reference.
# Possessive: a shorter match always ends before a letter, digit or joint, which the
# lookahead refuses, so giving back is never needed, and with `{2,}` beside the trailing
# groups it tried every split of a long "a-a-a-..." (quadratic when the lookahead failed).
_LOWER = re.compile(
    r"(?<![\w/.-])(?:[a-z]++\d[a-z0-9]*+(?:[-/.][a-z0-9]++)*+|[a-z0-9]++(?:[-/.][a-z0-9]++){2,}+)"
    r"(?![\w/-]|\.\w)"
)
# (A full stop after the last group ends the sentence, not the id: "number TH 5580 1193.")
_LETTERS_THEN_DIGITS = re.compile(r"(?<![\w/.-])([A-Z]{2,5})((?: \d{3,7}){1,3})(?![\w/-]|\.\w)")
# What a policy is called ("policy", "Police" in French and German, "póliza", "polis",
# "polizza", "Vertrag", "contrat"...) and its number ("no.", "n°", "Nr.", "nummer",
# "número", "ref"), in either order: "Policy number", "N° de police", "Número de póliza",
# "Versicherungsnummer", "Policen-Nr.", "polisnummer", "policy_number", "Your policy ref".
# A bare "police" is the police in English; it names a policy only with a number word or
# after a French or German article or adjective ("votre police", "die neue Police").
_POLICY_WORD = (
    r"(?:policy|pol\b\.?|policen|polizz[ae]n?|polis[ey]?|polisa|polise|p[óo]liza|ap[óo]lice|"
    r"contra(?:t|ct|to|tto)|vertrag|versicherung|versicherungsschein|certificate|cover note|"
    # Polish, Czech, Slovak, Turkish, Scandinavian, Finnish, Hungarian words for the policy
    r"poliçe(?:niz|m)?|pojistk[ayu]|pojistné smlouvy|pojistn[áé] smlouv[ay]|poistn[áé] zmluv[ay]|"
    r"försäkring|forsikring|poliisi|vakuutus|kötvény|"
    r"(?:votre|ma|notre|sa|cette|une|die|der|ihre|meine|unsere|neue[nr]?|alte[nr]?|"
    r"bisherige[nr]?|frühere[nr]?) police)"
)
_NUMBER_WORD = (
    r"(?:number|no\.?|n[°º]\.?|\#|num\.?|nr\.?|id|ref(?:erence)?|nummer|n[úu]mero|num[ée]ro|"
    r"numer|číslo|cislo|numarası|numara|nro\.?)"
)
POLICY_LABEL = re.compile(
    rf"(?:{_NUMBER_WORD}\s*(?:de|di|del|du)?\s*(?:la\s*)?(?:{_POLICY_WORD}|police)|{_POLICY_WORD}"
    rf"(?:[\s_-]*s?{_NUMBER_WORD})?|police[\s_-]*{_NUMBER_WORD})"
    r"(?:\s*(?:is|quoted by caller|on file|/ policy no\.?))?\s*[:#.]?\s*$",
    re.IGNORECASE,
)
_SPACED_AFTER_LABEL = re.compile(
    r"[A-Z0-9]+(?:[-/.][A-Z0-9]+)*(?: (?:[A-Z]{1,5}|\d{2,})(?![\w/-]))*"
)
# After a policy label, a reference as OCR or a hurried hand spaces it: "MX -22019 - 7",
# "TRV -  4410 - 92", "es aut 66120". Letters joined by a bare space lead the digits
# ("it casa 7720 14"); after them only digit groups or separators follow, so the words
# of the sentence ("... 7720 14 and the claim") are not taken in.
_LOOSE_AFTER_LABEL = re.compile(
    r"(?:[A-Za-z]{1,5} (?=[A-Za-z]{0,5} ?\d))*(?:[A-Za-z]{1,5} )?[A-Za-z0-9]+"
    # (a letter after a spaced dash ends the reference: "POL-4482 - K.", not "- I was")
    r"(?:[-/.][A-Za-z0-9]+|[ \t]{0,2}[-/][ \t]{0,2}(?:[A-Za-z]{0,5}\d[A-Za-z0-9]*|"
    r"(?:[A-Z]{1,2}|[a-z])(?=[ \t]*(?:$|[,.;:)]|[ \t]{2})))"
    r"| \d{2,}(?![\w]))*"
)
# Words that may stand between a label and its reference ("Policy number is the ...").
_NOT_ID_WORDS = frozenset(
    ["is", "the", "my", "our", "your", "a", "an", "of", "for", "on", "at", "no", "nr"]
)
# Words of a sentence, not letters of a reference ("la franquicia de mi póliza es de 300").
_FUNCTION_WORDS = _NOT_ID_WORDS | frozenset(
    [
        "de",
        "la",
        "el",
        "le",
        "les",
        "du",
        "des",
        "der",
        "die",
        "das",
        "den",
        "van",
        "het",
        "di",
        "il",
        "lo",
        "mi",
        "ma",
        "mon",
        "su",
        "sa",
    ]
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
    """Every reference in `text`, in order of appearance (a spelled-out one as the
    reference it spells: "H-K dash seven seven zero one dash B" is "HK-7701-B")."""
    found: dict[tuple[int, int], IdMention] = {}
    for label in _policy_labels(text):
        # "Policy no. X", "policy is X": the label goes on past "no." or "is".
        first = re.match(r"[A-Za-z0-9]+", text[label:])
        if first is None or first.group(0).lower() in _NOT_ID_WORDS:
            continue
        matches = (_SPACED_AFTER_LABEL.match(text, label), _LOOSE_AFTER_LABEL.match(text, label))
        values = [m.group(0).rstrip(".-/ ") for m in matches if m is not None]
        values = [v for v in values if _is_id(v) and not _in_a_sentence(text, label, v)]
        if values and not _overlaps(found, label, label + len(max(values, key=len))):
            value = max(values, key=len)  # the spaced form, when the tight one is a piece of it
            found[label, label + len(value)] = IdMention(value, label, label + len(value), True)
    for s in spelled_ids(text):
        if _is_id(s.value) and not _overlaps(found, s.start, s.end):
            found[s.start, s.end] = IdMention(s.value, s.start, s.end, _labelled(text, s.start))
    for m in _LETTERS_THEN_DIGITS.finditer(text):
        if m.group(1) in CURRENCY_CODES or _overlaps(found, m.start(), m.end()):
            continue
        found[m.start(), m.end()] = IdMention(m.group(0), m.start(), m.end(), False)
    for pattern in (_JOINED, _LOWER):
        for m in pattern.finditer(text):
            value = m.group(0).rstrip(".")
            if not _is_id(value) or _overlaps(found, m.start(), m.start() + len(value)):
                continue
            found[m.start(), m.start() + len(value)] = IdMention(
                value, m.start(), m.start() + len(value), _labelled(text, m.start())
            )
    return [found[k] for k in sorted(found)]


def _in_a_sentence(text: str, start: int, value: str) -> bool:
    """A spaced run that is words and an amount, not a reference: "es de 300,00 EUR"."""
    words = re.findall(r"[A-Za-z]+", value)
    amount = re.match(r"[.,]\d", text[start + len(value) :])
    return amount is not None or any(w.lower() in _FUNCTION_WORDS for w in words if " " in value)


def _policy_labels(text: str) -> list[int]:
    """Where an id may start right after a policy label."""
    starts = []
    for m in re.finditer(r"[A-Za-z0-9]", text):
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "'’"):
            continue  # inside a word ("It's")
        if _labelled(text, m.start()):
            starts.append(m.start())
    return starts


def _labelled(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(0, line_start, start - 40) : start]
    if POLICY_LABEL.search(before):
        return True
    # A transcript's answer to the question for it: "AGENT: And your policy number?" /
    # "CALLER: It's H-K dash seven ...": the answer opens with a speaker and a few words.
    previous = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : max(0, line_start - 1)]
    answer = re.fullmatch(
        r"\s*[\w .]{0,20}:\s*(?:[^\W\d][\w'’ ,]{0,20}?\s)?\s*", text[line_start:start]
    )
    asks = re.search(rf"{_POLICY_WORD}\b[^?\n]{{0,30}}\?\s*$", previous, re.IGNORECASE)
    return bool(answer and asks)


def _overlaps(found: dict[tuple[int, int], IdMention], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in found)
