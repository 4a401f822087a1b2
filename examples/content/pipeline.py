"""The content pipeline: one fact at a time, then one paragraph per fact, then verification.

    brief ─▶ style: the brand rules, read by search from the house style guide (context store)
    brief, notes, style ─▶ facts ─▶ candidates ─▶ selection (map: use this fact?) ─▶ chosen
                    Python                  model, one call per fact          Python
    ─▶ paragraphs (map: one per fact) ─▶ research ─▶ draft ─▶ verification ─▶ publication
       model                              claims     + disclosure  grounding, style, currency

The style guide lives in the context store (`house_style.py`), so add it to the store
the runs use first; `main()` below and `seamline demo content` do that themselves:

    seamline context add examples/content/style_guide.md --collection content/house-style

Run one brief (offline, with the embedded local model):

    python -m examples.content.pipeline               # the first brief of dev_briefs.jsonl
    python -m examples.content.pipeline ferry-fares
"""

from __future__ import annotations

import sys

import seamline as sl

from . import checks, rules
from .choices import paragraph_type, selection_type
from .facts import read_notes
from .house_style import prepare_context, read_guide
from .models import (
    ContentBrief,
    Draft,
    Fact,
    FactParagraph,
    FactSheet,
    Paragraph,
    Publication,
    ResearchClaim,
    ResearchSummary,
    Selection,
    SourceNotes,
    StyleGuide,
    VerificationReport,
)
from .prompts import (
    PARAGRAPH_EXAMPLES,
    PARAGRAPH_SYSTEM,
    SELECT_EXAMPLES,
    SELECT_SYSTEM,
    paragraph_prompt,
    select_prompt,
)

pipe = sl.Pipeline("content", inputs={"brief": ContentBrief, "notes": SourceNotes})


@pipe.step
async def style(brief: ContentBrief, ctx: sl.StepContext) -> StyleGuide:
    """The brand rules, searched for in the house style guide (three recorded reads)."""
    try:
        return await read_guide(ctx)
    except ValueError as e:  # the guide is missing a rule section: a person must fix it
        raise sl.Retry(str(e)) from None


@pipe.step
def facts(brief: ContentBrief, notes: SourceNotes, style: StyleGuide) -> FactSheet:
    """Every sentence of the notes, with what makes it unusable (no model)."""
    return read_notes(notes, brief, style)


@pipe.step
def candidates(facts: FactSheet) -> list[Fact]:
    return facts.facts


@pipe.step(map="candidates", concurrency=2)
async def selection(
    candidates: Fact, facts: FactSheet, brief: ContentBrief, notes: SourceNotes, ctx: sl.StepContext
) -> Selection:
    answer = selection_type(candidates, facts, level=len(ctx.feedback))
    choice = await ctx.generate(
        answer,
        select_prompt(candidates, brief, notes),
        system=SELECT_SYSTEM,
        examples=SELECT_EXAMPLES,
        max_tokens=sl.max_tokens_for(answer),
    )
    return Selection.model_validate(choice.model_dump())


@pipe.step
def chosen(candidates: list[Fact], selection: list[Selection], facts: FactSheet) -> list[Fact]:
    """The facts the model chose, corrections first, as many as the word limit allows."""
    if len(selection) != len(candidates):
        raise sl.Retry(f"{len(selection)} selections for {len(candidates)} facts")
    picked = [f for f, s in zip(candidates, selection, strict=True) if s.use]
    first = [f for f in picked if f.id in facts.must_use]
    return (first + [f for f in picked if f not in first])[: facts.paragraphs]


@pipe.step(map="chosen", concurrency=2)
async def paragraphs(
    chosen: Fact, facts: FactSheet, brief: ContentBrief, style: StyleGuide, ctx: sl.StepContext
) -> FactParagraph:
    answer = paragraph_type(chosen, facts, level=len(ctx.feedback))
    choice = await ctx.generate(
        answer,
        paragraph_prompt(chosen, brief, facts.paragraph_words, style),
        system=PARAGRAPH_SYSTEM,
        examples=PARAGRAPH_EXAMPLES,
        max_tokens=sl.max_tokens_for(answer),
    )
    return FactParagraph(fact_id=chosen.id, text=" ".join(str(choice.model_dump()["text"]).split()))


@pipe.step
def research(chosen: list[Fact]) -> ResearchSummary:
    """One claim per chosen fact, quoting its note (no model)."""
    return ResearchSummary(
        claims=[
            ResearchClaim(id=f"c{i}", statement=f.text, source_id=f.note_id, quote=f.text)
            for i, f in enumerate(chosen, start=1)
        ]
    )


@pipe.step
def draft(
    brief: ContentBrief,
    paragraphs: list[FactParagraph],
    research: ResearchSummary,
    style: StyleGuide,
) -> Draft:
    """The paragraphs in order, each citing its claim, and the disclosure line."""
    if len(paragraphs) != len(research.claims):
        raise sl.Retry(f"{len(paragraphs)} paragraphs for {len(research.claims)} claims")
    body = [
        Paragraph(text=p.text, claim_ids=[claim.id])
        for p, claim in zip(paragraphs, research.claims, strict=True)
    ]
    return Draft(
        title=brief.topic, paragraphs=[*body, Paragraph(text=style.disclosure, claim_ids=[])]
    )


@pipe.step
def verification(
    draft: Draft,
    research: ResearchSummary,
    notes: SourceNotes,
    brief: ContentBrief,
    facts: FactSheet,
    style: StyleGuide,
) -> VerificationReport:
    return rules.verify(draft, research, notes, brief, facts, style)


@pipe.step
def publication(
    draft: Draft, research: ResearchSummary, notes: SourceNotes, verification: VerificationReport
) -> Publication:
    return rules.publish(draft, research, notes)


def _checks(*fns: object) -> list[sl.Check]:
    return [sl.check(fn.__name__.replace("_", " "), fn) for fn in fns]  # type: ignore[attr-defined,arg-type]


# The rules the run uses must be quoted from what the style step read; a guide without
# them is for a person to fix (no retry can add a section to it).
pipe.gate("style", *_checks(checks.rules_are_from_the_guide), on_fail=sl.escalate_to_human())

# Per fact and per paragraph (the gate of a map= step runs per item): a wrong call is
# retried for that item alone, with the reason and a narrower question.
pipe.gate(
    "selection",
    *_checks(*checks.SELECTION_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)
# No fact chosen at all: only a person can say which (a retry of one item cannot).
pipe.gate("chosen", *_checks(checks.article_has_facts), on_fail=sl.escalate_to_human())
pipe.gate(
    "paragraphs",
    *_checks(*checks.PARAGRAPH_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# The whole article, at full strength: every claim quotes its note verbatim, every
# paragraph cites claims and adds no number, the brand rules, the word limit, and no
# replaced or discredited figure. The research and draft are put together by code, so a
# failure here means a step upstream let something through: a person should look.
pipe.gate("research", *_checks(*checks.RESEARCH_CHECKS), on_fail=sl.escalate_to_human())
pipe.gate(
    "draft",
    *_checks(*checks.DRAFT_CHECKS, checks.figures_are_current),
    on_fail=sl.escalate_to_human(),
)
pipe.gate(
    "verification",
    sl.check("verification passed", checks.verification_passed),
    on_fail=sl.escalate_to_human(),
)

# An editor signs off before publishing; a rejection rewrites the paragraphs with the note.
pipe.approval("publication", route_to="paragraphs")


async def _prepare(store: str) -> None:
    await (await prepare_context(store)).close()


def main(argv: list[str]) -> None:
    import asyncio
    import json
    from pathlib import Path

    path = Path(__file__).with_name("dev_briefs.jsonl")
    tasks = [json.loads(line) for line in path.read_text().splitlines()]
    task = next(t for t in tasks if not argv or t["id"] == argv[0])
    inputs = {
        "brief": ContentBrief.model_validate(task["brief"]),
        "notes": SourceNotes.model_validate(task["notes"]),
    }
    store = "sqlite:///.seamline/runs.db"
    Path(".seamline").mkdir(exist_ok=True)
    asyncio.run(_prepare(store))
    result = pipe.run_sync(inputs, model="local", store=store)
    print(result.status)
    print(result.artifacts.get("verification"))
    publication = result.artifacts.get("publication")
    print(publication.markdown if publication else None)


if __name__ == "__main__":
    main(sys.argv[1:])
