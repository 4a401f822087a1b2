"""Gate checks for the content pipeline.

Each check takes artifacts by parameter name (`brief`, `notes`, `research`,
`draft`, `verification`) and returns True or a short reason for the retry.

- research seam: every claim cites a real note, quotes it verbatim, and adds no number.
- draft seam: every paragraph cites research claims and adds no number; the
  brand rules of `style_guide.md` (banned words, sentence length, disclosure).
- verification seam: the report is clean (the publish approval sees it).
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import (
    ContentBrief,
    Draft,
    ResearchSummary,
    SourceNotes,
    VerificationIssue,
    VerificationReport,
)
from .rules import grounding_issues, research_issues, style_issues

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


def paragraphs_cite_claims(draft: Draft, research: ResearchSummary) -> bool | str:
    """Every paragraph but the disclosure cites existing research claims."""
    return _reason(grounding_issues(draft, research), {"unknown_claim", "uncited_paragraph"})


def numbers_grounded(draft: Draft, research: ResearchSummary) -> bool | str:
    """Every number in a paragraph is in a claim it cites."""
    return _reason(grounding_issues(draft, research), {"ungrounded_number"})


def no_banned_words(draft: Draft, brief: ContentBrief) -> bool | str:
    return _reason(style_issues(draft, brief), {"banned_word"})


def sentences_short_enough(draft: Draft, brief: ContentBrief) -> bool | str:
    return _reason(style_issues(draft, brief), {"sentence_too_long"})


def has_disclosure(draft: Draft, brief: ContentBrief) -> bool | str:
    return _reason(style_issues(draft, brief), {"missing_disclosure"})


def within_word_limit(draft: Draft, brief: ContentBrief) -> bool | str:
    return _reason(style_issues(draft, brief), {"too_long"})


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
