"""The notes, read without a model: each sentence a fact, and whether it may be used.

A fact is unusable when:

- **outdated**: another, newer note gives a different figure for the same measure
  (the same unit after the number, "52 percent" / "71 percent", and most of the shorter
  fact's content words in common, at least two); the older note's fact loses, the newer one must be used;
- **discredited**: a note says the figure is wrong ("misleading", "incorrect", "not
  measured", "revised", ...); every fact that uses that figure loses;
- **disputed**: two notes conflict and neither has a date to settle it;
- **off_topic**: its note shares no content word with the brief's topic or audience,
  and fewer than two with any other note: the odd one out.

The model decides which facts to use (`selection`), and the gate holds it to these
findings. Where the reader misjudges a note, the gated article is wrong too; the
expected artifacts of a held-out set measure that.
"""

from __future__ import annotations

import re
from itertools import combinations

from .models import ContentBrief, Fact, FactSheet, SourceNotes, StyleGuide
from .rules import numbers, stems

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$])")
_NUMBER = re.compile(r"(\$)?(?<![\w.])(\d+(?:[.,]\d+)*)(?:-(\w+))?\s*(%|[A-Za-z]+)?")
_CUES = (
    "misleading",
    "incorrect",
    "inaccurate",
    "not measured",
    "not independently",
    "not supported",
    "unverified",
    "overstated",
    "outdated",
    "out of date",
    "superseded",
    "revised",
    "corrected",
    "no longer",
    "withdrawn",
    "retracted",
    "was wrong",
    "in error",
)
_PARAGRAPH_WORDS = 30  # a fact paragraph: one or two short sentences


def _measures(text: str) -> list[tuple[str, str]]:
    """(number, unit) pairs: "$" for money, else the word after the number."""
    found = []
    for m in _NUMBER.finditer(text):
        value = numbers(m.group(2))
        if not value:
            continue
        unit = "$" if m.group(1) else (m.group(3) or m.group(4) or "").lower()
        found.append((next(iter(value)), "percent" if unit == "%" else unit))
    return found


def _discredited(text: str) -> set[str]:
    """Figures a sentence calls wrong; a figure after "to"/"now" is the corrected one."""
    low = text.lower()
    if not any(cue in low for cue in _CUES):
        return set()
    corrected = {
        n for m in re.finditer(r"\b(?:to|now)\s+\$?(\d[\d,.]*)", text) for n in numbers(m.group(1))
    }
    return numbers(text) - corrected


def read_notes(notes: SourceNotes, brief: ContentBrief, guide: StyleGuide) -> FactSheet:
    """Every sentence of the notes as a fact, with its status (see the module doc)."""
    topic = stems(f"{brief.topic} {brief.audience}")
    words = {n.id: stems(f"{n.title} {n.text}") for n in notes.notes}
    facts: list[Fact] = []
    for note in notes.notes:
        mine = words[note.id]
        linked = any(len(mine & w) >= 2 for other, w in words.items() if other != note.id)
        on_topic = bool(mine & topic) or linked
        for k, sentence in enumerate(_SENTENCE.split(note.text.strip()), start=1):
            if not sentence.strip():
                continue
            facts.append(
                Fact(
                    id=f"{note.id}.{k}",
                    note_id=note.id,
                    note_title=note.title,
                    date=note.date,
                    text=sentence.strip(),
                    numbers=sorted(numbers(sentence)),
                    status="current" if on_topic else "off_topic",
                    why=""
                    if on_topic
                    else f"{note.title!r} has nothing to do with {brief.topic!r}",
                )
            )

    bad: dict[str, str] = {}  # figure -> why
    for fact in facts:
        for figure in _discredited(fact.text):
            bad.setdefault(figure, f"{fact.note_title!r} says {figure} is wrong: {fact.text}")
    must_use: list[str] = []
    for a, b in combinations(facts, 2):
        if a.note_id == b.note_id or "off_topic" in (a.status, b.status):
            continue
        shared = stems(a.text) & stems(b.text)
        conflicts = {
            (x, y)
            for x, unit_x in _measures(a.text)
            for y, unit_y in _measures(b.text)
            if x != y and unit_x and unit_x == unit_y
        }
        units = {u for _, u in _measures(a.text)}
        smaller = min(len(stems(a.text) - units), len(stems(b.text) - units))
        # The same measure: two or more content words in common, and most of the shorter fact's.
        if not conflicts or len(shared - units) < max(2, 0.6 * smaller):
            continue
        if not a.date or not b.date or a.date == b.date:
            for fact in (a, b):
                _mark(
                    fact,
                    "disputed",
                    "another note gives a different figure, and no date settles it",
                )
            continue
        old, new = (a, b) if a.date < b.date else (b, a)
        replaced = ", ".join(sorted({x if old is a else y for x, y in conflicts}))
        _mark(
            old,
            "outdated",
            f"{old.note_title} ({old.date}) gives {replaced}; {new.note_title} ({new.date}) replaces it: {new.text}",
        )
        for figure in (x if old is a else y for x, y in conflicts):
            bad.setdefault(figure, old.why)
        must_use.append(new.id)
    for fact in facts:
        if fact.status == "current" and (hit := sorted(set(fact.numbers) & set(bad))):
            _mark(fact, "discredited", bad[hit[0]])

    usable = [f for f in facts if f.status == "current"]
    must = [i for i in dict.fromkeys(must_use) if any(f.id == i for f in usable)]
    room = max(brief.max_words - len(guide.disclosure.split()), _PARAGRAPH_WORDS)
    count = max(1, min(len(usable) or 1, room // _PARAGRAPH_WORDS))
    count = max(count, min(len(must), room // 12))  # corrections first, in shorter paragraphs
    return FactSheet(
        facts=facts,
        must_use=must,
        paragraphs=count,
        paragraph_words=max(room // count, 8),
        bad_figures=sorted(bad),
    )


def _mark(fact: Fact, status: str, why: str) -> None:
    if fact.status == "current":
        fact.status = status  # type: ignore[assignment]
        fact.why = why
