"""The house style guide in the context store: the content pipeline reads its rules by search.

The brand rules are not imported from a file: the `style` step searches the
`content/house-style` collection for each rule section (`Banned words`, `Sentence
length`, `Disclosure`) and parses what it retrieved. So an editor changes the rules with
`seamline context add examples/content/style_guide.md --collection content/house-style`,
every run records which version of the guide it read (`seamline show RUN`), a run keeps
the guide it started with while the guide changes, and a gate checks that the rules the
run uses are quoted from the passages it read.

```bash
seamline context add examples/content/style_guide.md --collection content/house-style
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import seamline as sl
from seamline.context.documents import MARKDOWN

from .models import StyleGuide
from .rules import STYLE_GUIDE_MD, parse_style_guide

HOUSE_STYLE = "content/house-style"
# What the style step asks the guide, one search per rule section it needs.
RULE_SECTIONS = ("Banned words", "Sentence length", "Disclosure")
_ADD = (
    f"seamline context add examples/content/style_guide.md --collection {HOUSE_STYLE} "
    "(with --store set to the runs' store)"
)


def guide_document(path: Path = STYLE_GUIDE_MD) -> sl.Document:
    """The style guide as a context document (its id is its file name)."""
    return sl.make_document(
        path.name, path.read_text(encoding="utf-8"), media_type=MARKDOWN, source=str(path)
    )


async def prepare_context(context: Any, path: Path = STYLE_GUIDE_MD) -> sl.ContextStore:
    """Put the style guide into the context store (a URL or a store) the runs will read.

    Adding an unchanged guide again changes nothing, so calling this before every batch of
    runs is harmless; a changed guide is a new version that runs started later read."""
    from seamline.context.embedders import local_available

    store = await sl.open_context(context, embedder="local" if local_available() else None)
    await store.add(HOUSE_STYLE, [guide_document(path)])
    return store


def _section_name(passage: sl.Passage) -> str | None:
    return passage.heading.rsplit(" > ", 1)[-1].strip() if passage.heading else None


def _body(passage: sl.Passage) -> str:
    # A chunk's text starts with its heading path (chunking.py): the body is what follows.
    first, _, rest = passage.text.partition("\n")
    return rest if passage.heading and first.strip() == passage.heading else passage.text


def guide_from_passages(passages: Iterable[sl.Passage]) -> StyleGuide:
    """The brand rules from retrieved passages of the guide: each rule section is the
    passages whose heading names it, in the document's order.

    Raises:
        ValueError: a rule section was not among the passages (the message says how to
            add the guide).
    """
    by_section: dict[str, dict[tuple[str, int], str]] = {}
    for p in passages:
        name = _section_name(p)
        if name is not None:
            by_section.setdefault(name.lower(), {})[(p.document, p.chunk)] = _body(p)
    missing = [s for s in RULE_SECTIONS if s.lower() not in by_section]
    if missing:
        raise ValueError(
            f"the house style guide read from {HOUSE_STYLE!r} has no "
            f"{', '.join(repr(s) for s in missing)} section; add the guide with {_ADD}"
        )
    markdown = "\n\n".join(
        f"## {section}\n\n"
        + "\n".join(text for _, text in sorted(by_section[section.lower()].items()))
        for section in RULE_SECTIONS
    )
    guide = parse_style_guide(markdown)
    # A long section cut into overlapping chunks repeats a few list items: keep each once.
    return guide.model_copy(update={"banned_words": list(dict.fromkeys(guide.banned_words))})


async def read_guide(ctx: sl.StepContext[Any]) -> StyleGuide:
    """Search the guide for each rule section (three recorded reads) and parse them."""
    found: list[sl.Passage] = []
    for section in RULE_SECTIONS:
        found += await ctx.search(section, collection=HOUSE_STYLE, k=2)
    return guide_from_passages(found)


def rule_statements(guide: StyleGuide) -> Sequence[str]:
    """What the rules say, one statement each, as the guide must say it."""
    return [
        *guide.banned_words,
        f"{guide.max_sentence_words} words",
        guide.disclosure,
    ]
