"""Prompts and few-shot examples for the two model steps (research, draft).

The examples are on topics no brief uses, with numbers no note contains (a test
pins that), so a copied example value is always caught by the grounding checks.
"""

from __future__ import annotations

from .models import (
    ContentBrief,
    Draft,
    Paragraph,
    ResearchClaim,
    ResearchSummary,
    SourceNote,
    SourceNotes,
    StyleGuide,
)

RESEARCH_SYSTEM = (
    "You pick the facts an article needs from source notes. Each claim cites the id of "
    "the note it comes from and copies the supporting words from that note exactly. "
    "Do not add facts or numbers that are not in the notes."
)

DRAFT_SYSTEM = (
    "You write a short article from research claims only. Every paragraph lists the ids of "
    "the claims it uses. Use no number that is not in those claims. Short sentences."
)


def research_prompt(brief: ContentBrief, notes: SourceNotes) -> str:
    listed = "\n".join(f"[{n.id}] {n.title}: {n.text}" for n in notes.notes)
    return (
        f"Topic: {brief.topic}\nAngle: {brief.angle}\n\nNotes:\n{listed}\n\n"
        "List the 3 to 5 claims the article needs."
    )


def draft_prompt(brief: ContentBrief, research: ResearchSummary, guide: StyleGuide) -> str:
    claims = "\n".join(f"[{c.id}] {c.statement}" for c in research.claims)
    return (
        f"Topic: {brief.topic}\nAudience: {brief.audience}\nAngle: {brief.angle}\n"
        f"At most {brief.max_words} words.\n\nClaims:\n{claims}\n\n"
        f"Rules: sentences of at most {guide.max_sentence_words} words; never use: "
        f"{', '.join(guide.banned_words)}. The last paragraph is exactly: {guide.disclosure}"
    )


_BRIEF = ContentBrief(
    id="example",
    topic="Library late fees",
    audience="local readers",
    angle="Dropping fees brought borrowers back.",
    max_words=120,
)
_NOTES = SourceNotes(
    notes=[
        SourceNote(
            id="n1",
            title="Town library report (example)",
            text="After late fees ended, 310 lapsed members renewed their cards within "
            "a year. Overdue returns did not rise.",
        ),
        SourceNote(
            id="n2",
            title="Budget line (example)",
            text="Late fees had brought in $2,150 a year, under 1 percent of the budget.",
        ),
    ]
)
_RESEARCH = ResearchSummary(
    claims=[
        ResearchClaim(
            id="c1",
            statement="310 lapsed members renewed within a year.",
            source_id="n1",
            quote="310 lapsed members renewed their cards within a year",
        ),
        ResearchClaim(
            id="c2",
            statement="Fees raised $2,150 a year, under 1 percent of the budget.",
            source_id="n2",
            quote="Late fees had brought in $2,150 a year, under 1 percent of the budget.",
        ),
    ]
)


def example_pairs(guide: StyleGuide) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(research examples, draft examples) as `ctx.generate(examples=...)` takes them."""
    draft = Draft(
        title="Ending late fees brought readers back",
        paragraphs=[
            Paragraph(
                text="After the library ended late fees, 310 lapsed members renewed "
                "their cards within a year.",
                claim_ids=["c1"],
            ),
            Paragraph(
                text="The fees had raised $2,150 a year, under 1 percent of the budget.",
                claim_ids=["c2"],
            ),
            Paragraph(text=guide.disclosure, claim_ids=[]),
        ],
    )
    research = [(research_prompt(_BRIEF, _NOTES), _RESEARCH.model_dump_json())]
    drafts = [(draft_prompt(_BRIEF, _RESEARCH, guide), draft.model_dump_json())]
    return research, drafts
