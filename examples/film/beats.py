"""Where each scene of a brief begins: the conventions directors use.

Tried in this order until one gives the brief's scene count: numbered beats ("1."),
"Scene one:", sluglines ("INT. SIGNAL BOX - NIGHT"), "CUT TO", a shot list or bullets,
one paragraph per scene, transitions at the start of a sentence ("First", "Then", "Open
on", "Smash to", "We end back in", "Hours later", "The next morning"), "Cut to" in any
case, one line per scene, and transitions with an unmarked first scene. A labelled note after the last scene ("Continuity: ...") is not part
of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .phrases import NUMBER_WORDS, SLUGLINE, Span


def _marked(text: str, pattern: str, flags: int = re.M) -> list[int]:
    return [m.start() for m in re.finditer(pattern, text, flags)]


def _numbered(text: str, n: int) -> list[int]:
    """ "1. ... 2. ..." in order, each at a line start or after a colon or full stop."""
    starts: list[int] = []
    for k in range(1, n + 1):
        after = starts[-1] + 1 if starts else 0
        found = re.compile(rf"(?:^|(?<=[:.;!?]\s)|(?<=[:.;!?]))[ \t]*{k}[.)][ \t]+", re.M).search(
            text, after
        )
        if found is None:
            return []
        starts.append(found.start() + len(found.group(0)) - len(found.group(0).lstrip()))
    return starts


def _scene_words(text: str, n: int) -> list[int]:
    words = "|".join(NUMBER_WORDS)
    return _marked(text, rf"^[ \t]*scene[ \t]+(?:\d+|{words})\b", re.M | re.I)


def _sluglines(text: str, n: int) -> list[int]:
    return [m.start() for m in SLUGLINE.finditer(text)]


def _cut_to(text: str, n: int) -> list[int]:
    cuts = [m.end() for m in re.finditer(r"\bCUT TO\b[:.]?", text)]
    return [0, *cuts] if cuts else []


def _paragraphs(text: str, n: int) -> list[int]:
    return [0, *(m.end() for m in re.finditer(r"\n[ \t]*\n\s*", text))]


# How prose moves from one scene to the next, at the start of a sentence: "Open on the
# pier", "Smash to the kitchen", "Then", "We end back in ...", "Hours later", "The next
# morning". Case is ignored (a voice-memo transcript is rarely capitalised).
_TIME_JUMP = (
    r"(?:(?:a few |some |two |three |many )?(?:hours?|days?|weeks?|months?|years?|moments?|"
    r"minutes?) later|the (?:next|following) (?:morning|day|night|evening|afternoon)|"
    r"that (?:night|evening|afternoon|morning)|next (?:morning|day|night))"
)
_TRANSITION = (
    r"(?:first|then|next|later|after that|afterwards|finally|meanwhile|lastly|"
    r"(?:(?:we|it|this|the film) )?open(?:s|ing)? (?:on|in|at|with)|"
    r"(?:at|by|come|that) (?:dawn|dusk|noon|midday|midnight|nightfall|sunrise|sunset|"
    r"night|evening|morning)|"
    r"(?:dawn|dusk|noon|midday|midnight|nightfall|sunrise|sunset|night|evening|morning)"
    r"(?=[ \t]*[,:—–])|smash(?:es)? (?:cut )?to|cut(?:s)? to|"
    r"(?:we )?(?:end|close|finish)(?:s|ing)? (?:back |on |in |at |with )|"
    r"(?:and )?back (?:in|at|on|to|inside)|dissolve to|match cut to|fade (?:in|up) on|"
    rf"{_TIME_JUMP})\b"
)


def _transitions(text: str, n: int) -> list[int]:
    found = re.finditer(
        rf"(?:^|[.!?…][\"”’)]?[ \t]+|\n|(?:—|–|--)[ \t]*)[ \t]*(?:so,? |and |um,? |uh,? )?"
        rf"({_TRANSITION})",
        text,
        re.M | re.I,
    )
    return [m.start(1) for m in found]


def _transitions_from_top(text: str, n: int) -> list[int]:
    """The first scene needs no marker: "Mara waits on the pier. Then ..." (tried last:
    text before the first marker is usually the cast). It starts on the line the first
    marker is on, so a cast paragraph above it stays the preamble."""
    marks = _transitions(text, n)
    if not marks:
        return []
    line = text.rfind("\n", 0, marks[0]) + 1
    first = re.compile(r"\s*").match(text, line)
    start = first.end() if first else line
    return [start, *marks] if start < marks[0] else marks


def _cut_to_any_case(text: str, n: int) -> list[int]:
    cuts = [m.end() for m in re.finditer(r"\b(?:cut|smash cut|smash) to\b[:.]?", text, re.I)]
    return [0, *cuts] if cuts else []


def _shots(text: str, n: int) -> list[int]:
    """A shot list or bullets: "Shot 3 -", "- ", "* ", "• " at a line start."""
    return _marked(text, r"^[ \t]*(?:(?:shot|beat|part)[ \t]+\d+\b|[-*•][ \t]+)", re.M | re.I)


def _lines(text: str, n: int) -> list[int]:
    return [m.start() for m in re.finditer(r"^[ \t]*\S", text, re.M)]


_SPLITTERS: tuple[Callable[[str, int], list[int]], ...] = (
    _numbered,
    _scene_words,
    _sluglines,
    _cut_to,
    _shots,
    _paragraphs,
    _transitions,
    _cut_to_any_case,
    _lines,
    _transitions_from_top,
)


def split_beats(text: str, n: int) -> tuple[Span, list[Span]] | None:
    """(preamble, one span per scene), or None when no convention gives `n` scenes."""
    for splitter in _SPLITTERS:
        starts = sorted(set(splitter(text, n)))
        if len(starts) == n + 1 and splitter in (_paragraphs, _lines):
            preamble_end, starts = starts[1], starts[1:]
        elif len(starts) == n:
            preamble_end = starts[0]
        else:
            continue
        # A labelled note after the last scene ("Continuity: ...") is not part of it.
        note = re.compile(r"\n[ \t]*[A-Z][a-z]+:").search(text, starts[-1])
        ends = [*starts[1:], note.start() if note else len(text)]
        beats = [Span(text[s:e].strip(), s, e) for s, e in zip(starts, ends, strict=True)]
        if all(b.text for b in beats):
            return Span(text[:preamble_end].strip(), 0, preamble_end), beats
    return None
