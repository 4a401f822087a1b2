"""The deterministic half of the content pipeline: style rules, grounding, verification.

Grounding here is about numbers and citations, because that is what a small model
gets wrong and what a reader can be hurt by: every research claim quotes its note
verbatim, every number in a claim is in its quote, every paragraph cites claims,
and every number in a paragraph is in a claim it cites (or that claim's quote).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .models import (
    ContentBrief,
    Draft,
    FactSheet,
    Publication,
    ResearchSummary,
    SourceNotes,
    StyleGuide,
    VerificationIssue,
    VerificationReport,
)

STYLE_GUIDE_MD = Path(__file__).with_name("style_guide.md")

_NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# ------------------------------------------------------------------ style guide


def _section(markdown: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    if match is None:
        raise ValueError(f"style guide has no '## {heading}' section")
    return match.group(1)


def parse_style_guide(markdown: str) -> StyleGuide:
    """Read the rule sections of `style_guide.md`."""
    banned = re.findall(r"^\s*[-*]\s+(.+?)\s*$", _section(markdown, "Banned words"), re.M)
    length = re.search(r"\d+", _section(markdown, "Sentence length"))
    disclosure = re.search(r"^>\s*(.+?)\s*$", _section(markdown, "Disclosure"), re.M)
    if not banned or length is None or disclosure is None:
        raise ValueError("style guide: banned words, a sentence length and a '>' disclosure")
    return StyleGuide(
        banned_words=banned, max_sentence_words=int(length.group()), disclosure=disclosure.group(1)
    )


@cache
def style_guide(path: Path = STYLE_GUIDE_MD) -> StyleGuide:
    return parse_style_guide(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ text helpers


def numbers(text: str) -> set[str]:
    """Numbers as written, thousands separators dropped: "2,900 staff, 1.5%" -> {2900, 1.5}."""
    found = set()
    for token in _NUMBER.findall(text):
        # A comma followed by exactly three digits groups thousands; any other comma ends it.
        found.add(re.sub(r",(?=\d{3}\b)", "", token).split(",")[0])
    return found


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


_STOP = frozenset(
    """a an the and or but of to in on at by for from with as is are was were be been has
    have had it its this that these those their there they we our you your he she his her
    than then so not no up down out over after before about more less most least now new
    per each every all some any one two three four five six seven eight nine ten only also
    says said say according just very around which who what when where while can could
    will would may might should must do does did get gets got make makes made use used
    uses using""".split()  # noqa: SIM905 - a word list reads best as words
)
MAX_NEW_WORDS = 2  # words a paragraph may add to its facts ("now", a synonym), no more


def stems(text: str) -> set[str]:
    """Content words, crudely stemmed: "families" and "family" are one word."""
    out = set()
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        for suffix in ("ies", "es", "s", "ing", "ed", "er", "ly"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        out.add(word)
    return out


def new_words(text: str, sources: str) -> list[str]:
    """Content words of `text` that `sources` does not have."""
    return sorted(stems(text) - stems(sources))


def word_count(draft: Draft) -> int:
    return sum(len(p.text.split()) for p in draft.paragraphs)


# ------------------------------------------------------------------ issues


def research_issues(research: ResearchSummary, notes: SourceNotes) -> list[VerificationIssue]:
    by_id = {n.id: n for n in notes.notes}
    issues = []
    for claim in research.claims:
        note = by_id.get(claim.source_id)
        if note is None:
            issues.append(
                VerificationIssue(
                    code="unknown_source",
                    detail=f"{claim.id} cites {claim.source_id!r}, not one of {', '.join(by_id)}",
                )
            )
            continue
        if not claim.quote.strip() or _squash(claim.quote) not in _squash(note.text):
            issues.append(
                VerificationIssue(
                    code="quote_not_in_source", detail=f"{claim.id}: quote is not in {note.id}"
                )
            )
        if extra := numbers(claim.statement) - numbers(claim.quote):
            issues.append(
                VerificationIssue(
                    code="number_not_in_quote",
                    detail=f"{claim.id}: {', '.join(sorted(extra))} not in its quote",
                )
            )
    return issues


def grounding_issues(
    draft: Draft, research: ResearchSummary, guide: StyleGuide | None = None
) -> list[VerificationIssue]:
    claims = {c.id: c for c in research.claims}
    disclosure = _squash((guide or style_guide()).disclosure)
    issues = []
    for i, paragraph in enumerate(draft.paragraphs, start=1):
        if _squash(paragraph.text) == disclosure:
            continue
        unknown = [cid for cid in paragraph.claim_ids if cid not in claims]
        if unknown:
            issues.append(
                VerificationIssue(
                    code="unknown_claim", paragraph=i, detail=f"cites unknown {', '.join(unknown)}"
                )
            )
        cited = [claims[cid] for cid in paragraph.claim_ids if cid in claims]
        if not cited:
            issues.append(
                VerificationIssue(
                    code="uncited_paragraph", paragraph=i, detail="cites no research claim"
                )
            )
        supported = set().union(*(numbers(c.statement) | numbers(c.quote) for c in cited))
        if extra := numbers(paragraph.text) - supported:
            issues.append(
                VerificationIssue(
                    code="ungrounded_number",
                    paragraph=i,
                    detail=f"{', '.join(sorted(extra))} not in its cited claims",
                )
            )
    return issues


def style_issues(
    draft: Draft, brief: ContentBrief, guide: StyleGuide | None = None
) -> list[VerificationIssue]:
    guide = guide or style_guide()
    issues = []
    for i, paragraph in enumerate(draft.paragraphs, start=1):
        for word in guide.banned_words:
            if re.search(rf"\b{re.escape(word)}", paragraph.text, re.I):
                issues.append(
                    VerificationIssue(code="banned_word", paragraph=i, detail=f"uses {word!r}")
                )
        for sentence in sentences(paragraph.text):
            if (n := len(sentence.split())) > guide.max_sentence_words:
                issues.append(
                    VerificationIssue(
                        code="sentence_too_long",
                        paragraph=i,
                        detail=f"{n} words (max {guide.max_sentence_words}): {sentence[:40]}...",
                    )
                )
    for word in guide.banned_words:
        if re.search(rf"\b{re.escape(word)}", draft.title, re.I):
            issues.append(VerificationIssue(code="banned_word", detail=f"title uses {word!r}"))
    disclosure = _squash(guide.disclosure)
    if all(_squash(p.text) == disclosure for p in draft.paragraphs):
        issues.append(VerificationIssue(code="empty_article", detail="the article states no fact"))
    last = draft.paragraphs[-1].text if draft.paragraphs else ""
    if _squash(last) != _squash(guide.disclosure):
        issues.append(
            VerificationIssue(
                code="missing_disclosure", detail=f"the last paragraph must be: {guide.disclosure}"
            )
        )
    if (n := word_count(draft)) > brief.max_words:
        issues.append(
            VerificationIssue(code="too_long", detail=f"{n} words, max {brief.max_words}")
        )
    return issues


def currency_issues(
    draft: Draft, research: ResearchSummary, facts: FactSheet
) -> list[VerificationIssue]:
    """Figures the notes replaced or discredited, and claims from off-topic notes."""
    issues = []
    bad = set(facts.bad_figures)
    for i, paragraph in enumerate(draft.paragraphs, start=1):
        if stale := sorted(numbers(paragraph.text) & bad):
            issues.append(
                VerificationIssue(
                    code="outdated_figure",
                    paragraph=i,
                    detail=f"{', '.join(stale)}: the notes replace or discredit it",
                )
            )
    off_topic = {f.note_id for f in facts.facts if f.status == "off_topic"}
    for claim in research.claims:
        if claim.source_id in off_topic:
            issues.append(
                VerificationIssue(
                    code="off_topic_source",
                    detail=f"{claim.id} comes from {claim.source_id}, which is off the topic",
                )
            )
    return issues


def wording_drift(draft: Draft, research: ResearchSummary, topic: str = "") -> list[str]:
    """Paragraphs that say more than the claims they cite (new content words).

    Words of the brief's topic are allowed. A measurement, not a gate: a human editor's
    paraphrase adds words too. The eval holds a generated article to it
    (`verification.unsupported_wording == []`)."""
    claims = {c.id: c for c in research.claims}
    drift = []
    for i, paragraph in enumerate(draft.paragraphs, start=1):
        cited = [claims[cid] for cid in paragraph.claim_ids if cid in claims]
        said = " ".join(f"{c.statement} {c.quote}" for c in cited) + f" {topic}"
        if cited and len(added := new_words(paragraph.text, said)) > MAX_NEW_WORDS:
            drift.append(f"paragraph {i} says what its claims do not: {', '.join(added[:5])}")
    return drift


def verify(
    draft: Draft,
    research: ResearchSummary,
    notes: SourceNotes,
    brief: ContentBrief,
    facts: FactSheet | None = None,
    guide: StyleGuide | None = None,
) -> VerificationReport:
    """The verification step: every issue, research and draft, grounding and style, and
    (with the fact sheet) currency: no replaced or discredited figure, no off-topic note.
    `guide`: the brand rules the run read (default: those of `style_guide.md`)."""
    issues = research_issues(research, notes) + grounding_issues(draft, research, guide)
    issues += style_issues(draft, brief, guide)
    if facts is not None:
        issues += currency_issues(draft, research, facts)
    return VerificationReport(
        passed=not issues,
        issues=issues,
        word_count=word_count(draft),
        unsupported_wording=wording_drift(draft, research, brief.topic),
    )


def publish(draft: Draft, research: ResearchSummary, notes: SourceNotes) -> Publication:
    """The article as it will appear, with the notes it actually cites."""
    cited = {cid for p in draft.paragraphs for cid in p.claim_ids}
    source_ids = {c.source_id for c in research.claims if c.id in cited}
    titles = [n.title for n in notes.notes if n.id in source_ids]
    markdown = f"# {draft.title}\n\n" + "\n\n".join(p.text for p in draft.paragraphs) + "\n"
    figures = sorted(set().union(*(numbers(p.text) for p in draft.paragraphs)))
    return Publication(
        title=draft.title,
        markdown=markdown,
        word_count=word_count(draft),
        sources=titles,
        figures=figures,
    )
