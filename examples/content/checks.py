"""Gate checks for the content pipeline.

Each check takes artifacts by parameter name (`brief`, `notes`, `research`,
`draft`, `verification`) and returns True or a short reason for the retry.

- style seam: every rule the run uses is quoted from the passages of the house style
  guide the step read (`sl.Reads`).
- selection seam, per fact: no outdated, discredited or off-topic fact is used, and a
  fact that corrects an older figure is.
- paragraphs seam, per paragraph: its numbers are its fact's, the brand rules, its
  share of the word limit, nothing copied from the few-shot example.
- research seam: every claim cites a real note, quotes it verbatim, and adds no number.
- draft seam: every paragraph cites research claims and adds no number; the
  brand rules of `style_guide.md` (banned words, sentence length, disclosure).
- verification seam: the report is clean (the publish approval sees it).
"""

from __future__ import annotations

from collections.abc import Iterable

import seamline as sl

from .house_style import rule_statements
from .models import (
    ContentBrief,
    Draft,
    Fact,
    FactParagraph,
    FactSheet,
    Paragraph,
    ResearchSummary,
    Selection,
    SourceNotes,
    StyleGuide,
    VerificationIssue,
    VerificationReport,
)
from .prompts import EXAMPLE_WORDS
from .rules import (
    MAX_NEW_WORDS,
    currency_issues,
    grounding_issues,
    new_words,
    numbers,
    research_issues,
    style_issues,
)

_MAX_LISTED = 3


def _reason(issues: Iterable[VerificationIssue], codes: set[str] | None = None) -> bool | str:
    found = [i for i in issues if codes is None or i.code in codes]
    if not found:
        return True
    shown = [
        f"{i.code} (paragraph {i.paragraph}): {i.detail}"
        if i.paragraph
        else f"{i.code}: {i.detail}"
        for i in found[:_MAX_LISTED]
    ]
    more = f" (+{len(found) - _MAX_LISTED} more)" if len(found) > _MAX_LISTED else ""
    return "; ".join(shown) + more


# ------------------------------------------------------------------ style seam


def rules_are_from_the_guide(style: StyleGuide, reads: sl.Reads) -> bool | str:
    """Every banned word, the sentence length and the disclosure are in what was read."""
    return reads.grounded(rule_statements(style))


# ------------------------------------------------------------------ selection seam, per fact
#
# `selection` is a map= step over `candidates`: a check's `selection` is one Selection,
# `candidates` its Fact.


def uses_only_current_facts(selection: Selection, candidates: Fact) -> bool | str:
    """Never a figure a newer note replaced, a discredited one, or an off-topic note."""
    if selection.use and candidates.status != "current":
        return f"{candidates.id} is {candidates.status.replace('_', ' ')}: {candidates.why}"
    return True


def uses_the_corrections(selection: Selection, candidates: Fact, facts: FactSheet) -> bool | str:
    """A fact that replaces an older figure must be in the article."""
    if not selection.use and candidates.id in facts.must_use:
        return f"{candidates.id} corrects an older figure, so the article must use it"
    return True


SELECTION_CHECKS = (uses_only_current_facts, uses_the_corrections)


def article_has_facts(chosen: list[Fact]) -> bool | str:
    return True if chosen else "no fact was chosen: the article would say nothing"


# ------------------------------------------------------------------ paragraphs seam, per paragraph
#
# `paragraphs` is a map= step over `chosen`: a check's `paragraphs` is one FactParagraph,
# `chosen` its Fact.


def _as_draft(paragraph: FactParagraph) -> Draft:
    return Draft(title="", paragraphs=[Paragraph(text=paragraph.text, claim_ids=[])])


def numbers_from_its_fact(paragraphs: FactParagraph, chosen: Fact) -> bool | str:
    """Every number in the paragraph is one its fact writes."""
    extra = sorted(numbers(paragraphs.text) - set(chosen.numbers))
    if extra:
        return f"{', '.join(extra)} is not in the fact ({chosen.text})"
    if not paragraphs.text.strip():
        return "the paragraph is empty"
    return True


def paragraph_says_its_fact(
    paragraphs: FactParagraph, chosen: Fact, brief: ContentBrief
) -> bool | str:
    """At most a couple of words the fact (or the brief's topic) does not have."""
    added = new_words(paragraphs.text, f"{chosen.text} {brief.topic}")
    if len(added) > MAX_NEW_WORDS:
        return f"says what the fact does not ({', '.join(added[:5])}); the fact: {chosen.text}"
    return True


def paragraph_keeps_the_style(
    paragraphs: FactParagraph, brief: ContentBrief, style: StyleGuide
) -> bool | str:
    """Banned words and sentence length, as the house style guide says."""
    issues = style_issues(_as_draft(paragraphs), brief, style)
    return _reason(issues, {"banned_word", "sentence_too_long"})


def paragraph_fits_its_share(paragraphs: FactParagraph, facts: FactSheet) -> bool | str:
    n = len(paragraphs.text.split())
    if n > facts.paragraph_words:
        return f"{n} words; each paragraph may have {facts.paragraph_words}"
    return True


def no_example_leak(paragraphs: FactParagraph, notes: SourceNotes) -> bool | str:
    """The paragraph copies no word of the few-shot example that the notes do not use."""
    note_words = {w.strip(".,;:").lower() for n in notes.notes for w in n.text.split()}
    words = {w.strip(".,;:!?").lower() for w in paragraphs.text.split()}
    leaked = sorted((words & EXAMPLE_WORDS) - note_words)
    return True if not leaked else f"copies the example ({', '.join(leaked)}), not its fact"


PARAGRAPH_CHECKS = (
    numbers_from_its_fact,
    paragraph_says_its_fact,
    paragraph_keeps_the_style,
    paragraph_fits_its_share,
    no_example_leak,
)


# ------------------------------------------------------------------ research seam


def claims_cite_known_notes(research: ResearchSummary, notes: SourceNotes) -> bool | str:
    return _reason(research_issues(research, notes), {"unknown_source"})


def quotes_are_verbatim(research: ResearchSummary, notes: SourceNotes) -> bool | str:
    """Each claim's quote is in the note it cites (case and spacing aside)."""
    return _reason(research_issues(research, notes), {"quote_not_in_source"})


def statement_numbers_in_quote(research: ResearchSummary, notes: SourceNotes) -> bool | str:
    """A claim adds no number its quote does not have ("61 companies" needs "61")."""
    return _reason(research_issues(research, notes), {"number_not_in_quote"})


def claim_ids_unique(research: ResearchSummary) -> bool | str:
    ids = [c.id for c in research.claims]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    return True if not duplicates else f"duplicate claim ids: {', '.join(duplicates)}"


RESEARCH_CHECKS = (
    claim_ids_unique,
    claims_cite_known_notes,
    quotes_are_verbatim,
    statement_numbers_in_quote,
)


# ------------------------------------------------------------------ draft seam


def paragraphs_cite_claims(
    draft: Draft, research: ResearchSummary, style: StyleGuide
) -> bool | str:
    """Every paragraph but the disclosure cites existing research claims."""
    issues = grounding_issues(draft, research, style)
    return _reason(issues, {"unknown_claim", "uncited_paragraph"})


def numbers_grounded(draft: Draft, research: ResearchSummary, style: StyleGuide) -> bool | str:
    """Every number in a paragraph is in a claim it cites."""
    return _reason(grounding_issues(draft, research, style), {"ungrounded_number"})


def no_banned_words(draft: Draft, brief: ContentBrief, style: StyleGuide) -> bool | str:
    return _reason(style_issues(draft, brief, style), {"banned_word"})


def sentences_short_enough(draft: Draft, brief: ContentBrief, style: StyleGuide) -> bool | str:
    return _reason(style_issues(draft, brief, style), {"sentence_too_long"})


def has_disclosure(draft: Draft, brief: ContentBrief, style: StyleGuide) -> bool | str:
    return _reason(style_issues(draft, brief, style), {"missing_disclosure"})


def within_word_limit(draft: Draft, brief: ContentBrief, style: StyleGuide) -> bool | str:
    return _reason(style_issues(draft, brief, style), {"too_long"})


DRAFT_CHECKS = (
    paragraphs_cite_claims,
    numbers_grounded,
    no_banned_words,
    sentences_short_enough,
    has_disclosure,
    within_word_limit,
)


# ------------------------------------------------------------------ verification seam


def verification_passed(verification: VerificationReport) -> bool | str:
    return _reason(verification.issues)


def figures_are_current(draft: Draft, research: ResearchSummary, facts: FactSheet) -> bool | str:
    """No figure the notes replaced or discredited; no claim from an off-topic note."""
    return _reason(currency_issues(draft, research, facts))
