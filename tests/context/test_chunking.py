"""The chunker: markdown sections and heading paths, packing, overlap, CSV rows."""

from __future__ import annotations

import itertools

import pytest

from seamline.context.chunking import chunk_document
from seamline.context.documents import CSV, MARKDOWN, TEXT

GUIDE = """# House style

Intro paragraph.

## Banned words

- revolutionary
- synergy

## Sentence length

At most 30 words per sentence.

```python
# not a heading
```
"""


def test_markdown_chunks_follow_sections_with_their_heading_path() -> None:
    chunks = chunk_document(GUIDE, MARKDOWN)
    assert [c.heading for c in chunks] == [
        "House style",
        "House style > Banned words",
        "House style > Sentence length",
    ]
    assert chunks[1].text.startswith("House style > Banned words\n- revolutionary")
    assert "# not a heading" in chunks[2].text  # fenced code is body, not a section


def test_long_sections_are_packed_with_overlap_at_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} says something specific about topic {i}." for i in range(60)]
    text = "# T\n\n" + " ".join(sentences)
    chunks = chunk_document(text, MARKDOWN, max_chars=400, overlap=100)
    assert len(chunks) > 5
    assert all(len(c.text) <= 400 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        body = after.text.split("\n", 1)[1]
        # The next chunk starts with the tail of the one before: a whole sentence.
        assert body.split(". ")[0].rstrip(".") in before.text
    every = " ".join(c.text for c in chunks)
    assert all(s in every for s in sentences)  # nothing lost


def test_a_word_longer_than_a_chunk_is_cut_and_kept() -> None:
    chunks = chunk_document("x" * 1000, TEXT, max_chars=300, overlap=0)
    assert "".join(c.text for c in chunks) == "x" * 1000


def test_csv_rows_keep_their_header() -> None:
    text = "id,holder\n" + "\n".join(
        f"P-{i},Person {i} with a rather long name indeed" for i in range(20)
    )
    chunks = chunk_document(text, CSV)
    assert len(chunks) > 3
    assert all(c.text.startswith("id,holder\n") for c in chunks)
    assert sum(c.text.count("\nP-") for c in chunks) == 20


def test_empty_text_has_no_chunks_and_bad_sizes_are_refused() -> None:
    assert chunk_document("  \n", TEXT) == []
    with pytest.raises(ValueError, match="max_chars"):
        chunk_document("x", TEXT, max_chars=10)
    with pytest.raises(ValueError, match="overlap"):
        chunk_document("x", TEXT, max_chars=200, overlap=150)
