"""The content pipeline: research and draft by the model, verification in Python, approval.

    brief, notes ─▶ research ─▶ draft ─▶ verification ─▶ publication ─▶ (publish approval)
                    model        model    grounding+style   markdown

Run one brief (offline, with the embedded local model):

    python -m examples.content.pipeline               # the first brief of briefs.jsonl
    python -m examples.content.pipeline street-trees
"""

from __future__ import annotations

import sys

import seamline as sl

from . import checks, rules
from .models import (
    ContentBrief,
    ContentTask,
    Draft,
    Publication,
    ResearchSummary,
    SourceNotes,
    VerificationReport,
)
from .prompts import DRAFT_SYSTEM, RESEARCH_SYSTEM, draft_prompt, example_pairs, research_prompt

GUIDE = rules.style_guide()
RESEARCH_EXAMPLES, DRAFT_EXAMPLES = example_pairs(GUIDE)

pipe = sl.Pipeline("content", inputs={"brief": ContentBrief, "notes": SourceNotes})


@pipe.step
async def research(brief: ContentBrief, notes: SourceNotes, ctx: sl.StepContext) -> ResearchSummary:
    return await ctx.generate(
        ResearchSummary,
        research_prompt(brief, notes),
        system=RESEARCH_SYSTEM,
        examples=RESEARCH_EXAMPLES,
    )


@pipe.step
async def draft(brief: ContentBrief, research: ResearchSummary, ctx: sl.StepContext) -> Draft:
    return await ctx.generate(
        Draft, draft_prompt(brief, research, GUIDE), system=DRAFT_SYSTEM, examples=DRAFT_EXAMPLES
    )


@pipe.step
def verification(
    draft: Draft, research: ResearchSummary, notes: SourceNotes, brief: ContentBrief
) -> VerificationReport:
    return rules.verify(draft, research, notes, brief)


@pipe.step
def publication(
    draft: Draft, research: ResearchSummary, notes: SourceNotes, verification: VerificationReport
) -> Publication:
    return rules.publish(draft, research, notes)


pipe.gate(
    "research",
    *(sl.check(fn.__name__.replace("_", " "), fn) for fn in checks.RESEARCH_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

pipe.gate(
    "draft",
    *(sl.check(fn.__name__.replace("_", " "), fn) for fn in checks.DRAFT_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# The report is recomputed from the final artifacts; anything in it now means a person
# should look (e.g. after an edit at an escalation).
pipe.gate(
    "verification",
    sl.check("verification passed", checks.verification_passed),
    on_fail=sl.escalate_to_human(),
)

# An editor signs off before publishing; a rejection goes back to the draft with the note.
pipe.approval("publication", route_to="draft")


def main(argv: list[str]) -> None:
    from pathlib import Path

    path = Path(__file__).with_name("briefs.jsonl")
    tasks = [ContentTask.model_validate_json(line) for line in path.read_text().splitlines()]
    task = next(t for t in tasks if not argv or t.id == argv[0])
    result = pipe.run_sync({"brief": task.brief, "notes": task.notes}, model="local")
    print(result.status)
    print(result.artifacts.get("verification"))
    publication = result.artifacts.get("publication")
    print(publication.markdown if publication else None)


if __name__ == "__main__":
    main(sys.argv[1:])
