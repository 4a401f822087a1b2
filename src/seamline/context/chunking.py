"""Chunking: a document cut into passages small enough to embed and to quote.

Markdown is cut at its headings first: a chunk never spans two sections, and carries
its heading path ("Style guide > Banned words") so a search for the section's subject
finds it even when the body never names it. Within a section, paragraphs (and lists,
kept whole) are packed up to `max_chars`; a paragraph longer than that is cut at
sentence ends, then at words. Consecutive chunks of a section overlap by up to
`overlap` characters, taken at a sentence or word boundary, so a fact that straddles
a cut is whole in one of them. CSV is cut by rows (one record, or a few short ones, per chunk), each under the
header row.
JSON and plain text are packed by paragraphs (blank lines), then by lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seamline.context.documents import CSV, MARKDOWN

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    text: str  # what is indexed and returned: the heading path, then the body
    heading: str | None


def chunk_document(
    text: str, media_type: str, *, max_chars: int = 800, overlap: int = 120
) -> list[Chunk]:
    """Cut a document's text into chunks. An empty text gives no chunk."""
    if max_chars < 100:
        raise ValueError(f"max_chars must be at least 100, got {max_chars}")
    if not 0 <= overlap < max_chars // 2:
        raise ValueError(f"overlap must be within [0, max_chars / 2), got {overlap}")
    if media_type == MARKDOWN:
        sections = _markdown_sections(text)
    elif media_type == CSV:
        return _csv_chunks(text, max_chars)
    else:
        sections = [(None, text)]
    chunks: list[Chunk] = []
    for heading, body in sections:
        budget = max_chars - (len(heading) + 1 if heading else 0)
        for piece in _pack(_blocks(body), max(budget, max_chars // 2), overlap):
            full = f"{heading}\n{piece}" if heading else piece
            chunks.append(Chunk(len(chunks), full, heading))
    return chunks


def _markdown_sections(text: str) -> list[tuple[str | None, str]]:
    """(heading path, body) per section; fenced code is never read as a heading."""
    sections: list[tuple[str | None, str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def close() -> None:
        content = "\n".join(body).strip()
        heading = " > ".join(title for _, title in path) or None
        if content:
            sections.append((heading, content))
        elif heading and not sections and len(path) == 1:
            pass  # a title with nothing under it before the first section: dropped
        body.clear()

    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match:
            close()
            level = len(match.group(1))
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, match.group(2)))
        else:
            body.append(line)
    close()
    return sections


def _blocks(text: str) -> list[str]:
    """Paragraphs: separated by blank lines; a list or a fenced block stays one block."""
    return [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]


def _split_long(block: str, limit: int) -> list[str]:
    """A block longer than `limit`, cut at sentence ends, then lines, then words."""
    if len(block) <= limit:
        return [block]
    for pattern in (_SENTENCE_END, re.compile(r"\n"), re.compile(r"\s+")):
        parts = [p for p in pattern.split(block) if p.strip()]
        if len(parts) > 1:
            out: list[str] = []
            for part in parts:
                out.extend(_split_long(part.strip(), limit))
            return out
    return [block[i : i + limit] for i in range(0, len(block), limit)]  # one unbroken word


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, starting at a sentence or word boundary."""
    if overlap == 0 or len(text) <= overlap:
        return "" if overlap == 0 else text
    window = text[-overlap:]
    sentence = _SENTENCE_END.search(window)
    if sentence:
        return window[sentence.end() :]
    space = window.find(" ")
    return window[space + 1 :] if space >= 0 else window


def _pack(blocks: list[str], limit: int, overlap: int) -> list[str]:
    pieces: list[str] = []
    for block in blocks:
        pieces.extend(_split_long(block, limit))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
            continue
        chunks.append(current)
        carry = _tail(current, overlap)
        current = f"{carry} {piece}" if carry and len(carry) + 1 + len(piece) <= limit else piece
    if current:
        chunks.append(current)
    return chunks


def _csv_chunks(text: str, max_chars: int) -> list[Chunk]:
    """One row per chunk, under the header row, so a passage is one record; rows
    shorter than a line are packed together up to a few hundred characters."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header, rows = lines[0], lines[1:]
    if not rows:
        return [Chunk(0, header, None)]
    budget = min(max_chars, max(len(header) + 80, 240))
    chunks: list[Chunk] = []
    current: list[str] = []
    for row in rows:
        if current and len(header) + sum(len(r) + 1 for r in current) + len(row) + 1 > budget:
            chunks.append(Chunk(len(chunks), "\n".join([header, *current]), None))
            current = []
        current.append(row)
    chunks.append(Chunk(len(chunks), "\n".join([header, *current]), None))
    return chunks
