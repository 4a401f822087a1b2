"""Prompts for the two model steps: one fact at a time (use it?), one paragraph per fact.

Each call sees one fact. The answers' schemas (`choices.py`) bound every field, so the
token limit follows from them. The few-shot examples are on a topic no brief uses,
with numbers no note contains (a test pins that), and `checks.no_example_leak` fails
a paragraph that copies their words.
"""

from __future__ import annotations

from .models import ContentBrief, Fact, SourceNotes, StyleGuide

SELECT_SYSTEM = (
    "You help an editor choose facts for a short article. Say whether the article should "
    "use the fact: only facts about the topic, and never a figure that a newer note "
    "replaced or that a note says is wrong."
)

PARAGRAPH_SYSTEM = (
    "You write one short paragraph of an article from one fact, for the readers named. "
    "Keep the fact's numbers exactly as written and add no other number. Plain, calm words, "
    "no praise and no hype."
)

# Words of the examples below that no brief's notes use; a paragraph with them copied
# the example instead of its fact.
EXAMPLE_WORDS = frozenset({"late", "fees", "lapsed", "renewed", "borrowers", "overdue"})


def _notes(notes: SourceNotes) -> str:
    return "\n".join(
        f"[{n.id}{', ' + n.date if n.date else ''}] {n.title}: {n.text}" for n in notes.notes
    )


def select_prompt(fact: Fact, brief: ContentBrief, notes: SourceNotes) -> str:
    return (
        f"Topic: {brief.topic}\nAngle: {brief.angle}\n\nNotes:\n{_notes(notes)}\n\n"
        f"Fact from {fact.note_id}: {fact.text}\nShould the article use this fact?"
    )


def paragraph_prompt(fact: Fact, brief: ContentBrief, words: int, guide: StyleGuide) -> str:
    # The banned words are not listed: named in the prompt, a 135M model uses them (every
    # first draft said "game-changer"). The gate holds the paragraph to the guide.
    del guide
    return (
        f"Readers: {brief.audience}\nTopic: {brief.topic}\nFact: {fact.text}\n\n"
        f"Write one paragraph of at most {words} words that states this fact."
    )


_EXAMPLE_NOTES = (
    "Notes:\n[n1, 2023-01] Town library report: After late fees ended, 310 lapsed members "
    "renewed their cards.\n[n2, 2019-01] Old leaflet: Late fees brought in $2,150 a year.\n"
    "[n3, 2023-02] Budget line: Late fees now bring in $0 a year."
)
SELECT_EXAMPLES: list[tuple[str, str]] = [
    (
        f"Topic: Library late fees\nAngle: Dropping fees brought borrowers back.\n\n"
        f"{_EXAMPLE_NOTES}\n\nFact from n2: Late fees brought in $2,150 a year.\n"
        "Should the article use this fact?",
        '{"use":false}',
    ),
    (
        f"Topic: Library late fees\nAngle: Dropping fees brought borrowers back.\n\n"
        f"{_EXAMPLE_NOTES}\n\nFact from n1: After late fees ended, 310 lapsed members "
        "renewed their cards.\nShould the article use this fact?",
        '{"use":true}',
    ),
]
PARAGRAPH_EXAMPLES: list[tuple[str, str]] = [
    (
        "Readers: local readers\nTopic: Library late fees\nFact: After late fees ended, 310 "
        "lapsed members renewed their cards.\n\nWrite one paragraph of at most 30 words "
        "that states this fact.",
        '{"text":"When the library stopped charging late fees, 310 lapsed members came '
        'back and renewed their cards."}',
    )
]
