"""What an attempt read, as a gate check receives it, and the grounding test over it.

A check whose parameter is annotated `sl.Reads` (or, unannotated, is named `reads`)
receives the passages the gated attempt read with `ctx.search`, in order:

```python
pipe.gate(
    "draft",
    sl.check("every claim is grounded", lambda draft, reads: reads.grounded(draft.claims)),
)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seamline.context.documents import Passage

if TYPE_CHECKING:
    from seamline.events import ContextRead

_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
# Words that say little about what a statement claims: left out of the overlap.
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "not",
        "no",
        "so",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "should",
        "shall",
        "also",
        "about",
        "into",
        "over",
        "under",
        "up",
        "down",
        "out",
        "more",
        "most",
        "very",
        "just",
        "such",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "each",
        "both",
        "few",
        "other",
        "some",
    ]
)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _content(text: str) -> set[str]:
    return {w for w in _words(text) if w not in _FILLER}


def _numbers(text: str) -> set[str]:
    return {w.replace(",", "") for w in _words(text) if any(ch.isdigit() for ch in w)}


class Reads(tuple[Passage, ...]):
    """The passages an attempt read, oldest read first (a tuple of `Passage`)."""

    __slots__ = ()

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self]

    @property
    def documents(self) -> list[tuple[str, str]]:
        """(document, version) of each distinct document read, in order."""
        seen: dict[tuple[str, str], None] = {}
        for p in self:
            seen.setdefault((p.document, p.version), None)
        return list(seen)

    def support(self, statement: str, *, min_overlap: float = 0.75) -> Passage | None:
        """The passage that best supports `statement`, or None if none does.

        A passage supports a statement when it contains every number in it and at least
        `min_overlap` of its content words (filler words left out, case ignored). This is
        lexical: it catches invented facts and figures, not paraphrases of them.
        """
        words, numbers = _content(statement), _numbers(statement)
        if not words and not numbers:
            return None
        best: tuple[float, Passage] | None = None
        for passage in self:
            text_words = set(_words(passage.text))
            if not numbers <= {w.replace(",", "") for w in text_words}:
                continue
            overlap = len(words & text_words) / len(words) if words else 1.0
            if overlap >= min_overlap and (best is None or overlap > best[0]):
                best = (overlap, passage)
        return best[1] if best else None

    def ungrounded(self, statements: Iterable[Any], *, min_overlap: float = 0.75) -> list[str]:
        """The statements no passage supports (see `support`)."""
        return [str(s) for s in statements if self.support(str(s), min_overlap=min_overlap) is None]

    def grounded(self, statements: Iterable[Any] | str, *, min_overlap: float = 0.75) -> bool | str:
        """True if every statement is supported by a passage read, else the reason:
        a gate check's answer in one call."""
        items: Sequence[Any] = [statements] if isinstance(statements, str) else list(statements)
        if not self:
            return "the step read nothing from the context store to ground its claims in"
        missing = self.ungrounded(items, min_overlap=min_overlap)
        if not missing:
            return True
        shown = "; ".join(repr(m[:120]) for m in missing[:3])
        more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
        return (
            f"{len(missing)} of {len(items)} statements are not supported by what the step "
            f"read ({len(self)} passages from {len(self.documents)} documents): {shown}{more}"
        )


@dataclass(frozen=True, slots=True)
class Outdated:
    """A document a run read whose live version is now another (or none: removed)."""

    collection: str
    document: str
    read: str  # the version the run read
    current: str | None


async def outdated(context_url: Any, reads: Sequence[ContextRead]) -> list[Outdated]:
    """The documents among these reads that changed since (one entry per document).

    `context_url` is the context store (a URL or a `ContextStore`) the run read."""
    from seamline.context import ContextStore, open_context

    store = (
        context_url
        if isinstance(context_url, ContextStore)
        else await open_context(context_url, embedder=None)
    )
    try:
        read: dict[tuple[str, str], str] = {}
        for event in reads:
            for p in event.passages:
                read.setdefault((p["collection"], p["document"]), p["version"])
        out = []
        for collection in sorted({c for c, _ in read}):
            docs = [d for c, d in read if c == collection]
            live = await store.live_versions(collection, docs)
            for doc in docs:
                if live.get(doc) != read[(collection, doc)]:
                    out.append(Outdated(collection, doc, read[(collection, doc)], live.get(doc)))
        return out
    finally:
        if not isinstance(context_url, ContextStore):
            await store.close()
