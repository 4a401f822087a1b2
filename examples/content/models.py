"""The artifacts of the content pipeline, one type per seam.

brief (ContentBrief) + notes (SourceNotes) -> research (ResearchSummary, model)
-> draft (Draft, model) -> verification (VerificationReport, Python)
-> publication (Publication, Python) -> publish approval
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

IssueCode = Literal[
    "unknown_source",  # a research claim cites a note that does not exist
    "quote_not_in_source",  # its quote is not in the note it cites
    "number_not_in_quote",  # its statement has a number its quote does not
    "unknown_claim",  # a paragraph cites a claim id the research does not have
    "uncited_paragraph",  # a paragraph (other than the disclosure) cites nothing
    "ungrounded_number",  # a paragraph has a number none of its cited claims has
    "banned_word",
    "sentence_too_long",
    "missing_disclosure",
    "too_long",  # more words than the brief allows
    "empty_article",  # nothing but the disclosure
    "outdated_figure",  # a figure a newer note replaced, or one the notes discredit
    "off_topic_source",  # cites a note that has nothing to do with the brief
]


class SourceNote(BaseModel):
    id: str = Field(description="e.g. n1")
    title: str
    text: str
    date: str | None = Field(
        default=None, description="When the note was written, ISO (2024-05 or 2024-05-17)"
    )


class SourceNotes(BaseModel):
    """The pipeline's second input: the notes the article may draw on, and nothing else."""

    notes: list[SourceNote]


class ContentBrief(BaseModel):
    """The pipeline's first input: what to write, for whom."""

    id: str
    topic: str
    audience: str
    angle: str = Field(description="The one point the piece should make")
    max_words: int = Field(gt=0)


class ResearchClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="c1, c2, ...")
    statement: str = Field(description="The fact, in your own words, one sentence")
    source_id: str = Field(description="The id of the note it comes from, e.g. n2")
    quote: str = Field(description="The exact words from that note that support it")


class ResearchSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claims: list[ResearchClaim] = Field(min_length=1)


class Paragraph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    claim_ids: list[str] = Field(description="Ids of the research claims this paragraph uses")


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    paragraphs: list[Paragraph] = Field(min_length=1)

    @property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


class VerificationIssue(BaseModel):
    code: IssueCode
    detail: str
    paragraph: int | None = Field(default=None, description="1-based; None for the whole draft")


class VerificationReport(BaseModel):
    passed: bool
    issues: list[VerificationIssue] = Field(default_factory=list)
    word_count: int
    unsupported_wording: list[str] = Field(
        default_factory=list,
        description="Paragraphs that say more than their claims: measured, not gated",
    )


class Publication(BaseModel):
    """What the editor approves for publishing: the article as it will appear."""

    title: str
    markdown: str
    word_count: int
    sources: list[str] = Field(description="Titles of the notes the article draws on")
    figures: list[str] = Field(default_factory=list, description="The numbers the article uses")


class StyleGuide(BaseModel):
    """The brand rules, parsed from `style_guide.md` so the guide stays the one source."""

    banned_words: list[str]
    max_sentence_words: int
    disclosure: str


# ------------------------------------------------------------------ the notes, read (Python)

FactStatus = Literal["current", "outdated", "discredited", "off_topic", "disputed"]


class Fact(BaseModel):
    """One sentence of one note, and whether an article may use it."""

    id: str = Field(description="note id and sentence number, e.g. n2.1")
    note_id: str
    note_title: str
    date: str | None
    text: str
    numbers: list[str]
    status: FactStatus
    why: str = Field(default="", description="What makes it unusable, for the gate's reason")


class FactSheet(BaseModel):
    """Every fact in the notes, which must be used, and the article's shape."""

    facts: list[Fact]
    must_use: list[str] = Field(description="Ids of current facts that correct an older figure")
    paragraphs: int = Field(ge=1, description="How many fact paragraphs the word limit allows")
    paragraph_words: int = Field(ge=1)
    bad_figures: list[str] = Field(description="Figures the notes replaced or discredited")


class Selection(BaseModel):
    """The model's call on one fact: use it in the article, or not."""

    model_config = ConfigDict(extra="forbid")

    use: bool


class FactParagraph(BaseModel):
    """One paragraph, written by the model from one fact."""

    model_config = ConfigDict(extra="forbid")

    fact_id: str
    text: str


class ContentExpected(BaseModel):
    research: ResearchSummary
    draft: Draft


class ContentTask(BaseModel):
    """One line of `briefs.jsonl`: the inputs and a reference research summary and draft."""

    id: str
    brief: ContentBrief
    notes: SourceNotes
    expected: ContentExpected
