"""Phrases in a brief: tokens, sentences, and the words for looks, places and times.

Each finder returns where a phrase stands (`Span`), so the reader can tell whose eyes a
colour describes (the nearest name before it in the sentence) and which place a scene
opens in. The word lists are in `lexicon.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from . import lexicon as lx
from .models import TimeOfDay

_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d+|[^\w\s]", re.UNICODE)
SLUGLINE = re.compile(
    r"^[ \t]*(?:INT|EXT|INT\.?/EXT|I/E)\.?[ \t]+(.+?)(?:[ \t]+[-–—][ \t]+([A-Z][A-Z ]*))?[ \t]*$",
    re.M,
)
NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
BREAK_WORDS = lx.FUNCTION_WORDS | {
    "has",
    "have",
    "had",
    "is",
    "are",
    "was",
    "were",
    "wears",
    "wearing",
}
BREAK_WORDS |= {"against", "above", "below", "beside", "behind", "inside", "across", "along"}
BREAK_WORDS |= {"himself", "herself", "themselves", "itself", "alone", "together", "now"}
BREAK_WORDS |= {"just", "very", "who", "which", "toward", "towards", "near", "around", "through"}
DETERMINERS = frozenset(
    ["a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that"]
)
CLAUSE_WORDS = frozenset({"while", "as", "when", "but", "because", "then", "until", "whilst"})
_BARE_HAIR = frozenset({"hair", "beard", "moustache", "mustache", "stubble"})


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha()


@dataclass(slots=True)
class Span:
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    return [Token(m.group(0), m.start()) for m in _WORD.finditer(text)]


def norm(phrase: str) -> str:
    return " ".join(w.lower() for w in re.findall(r"[^\W_][\w'’-]*", phrase))


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: ends at . ! ? (outside parentheses) or a line break."""
    spans, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        end = ch == "\n" or (
            ch in ".!?" and depth == 0 and (i + 1 == len(text) or text[i + 1].isspace())
        )
        if end:
            if text[start:i].strip():
                spans.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def phrase_start(toks: list[Token], head: int, limit: int, allow_of: bool = True) -> int:
    """Index of the first token of the modifier run that ends at `head`."""
    first = head
    used_of = False
    while first > 0 and head - first < limit + (2 if used_of else 0):
        prev = toks[first - 1]
        if prev.low == "of" and allow_of and not used_of and first >= 2 and toks[first - 2].is_word:
            if toks[first - 2].low in BREAK_WORDS:
                break
            used_of, first = True, first - 2
            continue
        if (
            not prev.is_word
            or prev.low in BREAK_WORDS
            or (prev.text[0].isupper() and prev.low in lx.NOT_NAMES)
        ):
            break
        first -= 1
    return first


def ends_phrase(toks: list[Token], i: int) -> bool:
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if nxt is None or not nxt.is_word or nxt.text[0].isupper():
        return True
    return nxt.low in BREAK_WORDS or nxt.low in {"and", "or"}


def _participle(toks: list[Token], i: int) -> bool:
    """ "an apron dusted with flour": the garment's phrase ends before the participle."""
    return i < len(toks) and toks[i].is_word and toks[i].low.endswith(("ed", "ing"))


def span_of(text: str, toks: list[Token], a: int, b: int) -> Span:
    start, end = toks[a].start, toks[b].start + len(toks[b].text)
    return Span(text[start:end], start, end)


def look_phrases(text: str) -> dict[str, list[Span]]:
    """Every phrase the brief uses for eyes, hair and clothes, where it stands."""
    toks = tokens(text)
    found: dict[str, list[Span]] = {"eye_color": [], "hair": [], "wardrobe": []}
    garments: list[tuple[int, int]] = []
    for i, t in enumerate(toks):
        low = t.low
        if low in {"eyes", "eye"} and i > 0:
            first = i
            while first > 0 and any(p in lx.COLOURS for p in toks[first - 1].low.split("-")):
                first -= 1
            if first < i:
                found["eye_color"].append(span_of(text, toks, first, i - 1))
        elif low.endswith("-eyed") and low.split("-")[0] in lx.COLOURS:
            found["eye_color"].append(
                Span(t.text[: -len("-eyed")], t.start, t.start + len(t.text) - 5)
            )
        elif low in lx.HAIR or (
            low in lx.HEADS and i > 0 and toks[i - 1].low in {"shaved", "shaven", "bald"}
        ):
            first = phrase_start(toks, i, 3)
            # A bare "a beard" is a look; a bare "cut" or "crop" is not.
            bare = low in _BARE_HAIR and toks[i - 1].low in DETERMINERS | {"with", ","}
            if first < i or bare:
                found["hair"].append(span_of(text, toks, first, i))
        elif low in lx.BALD and (i + 1 == len(toks) or not toks[i + 1].is_word):
            found["hair"].append(Span(t.text, t.start, t.start + len(t.text)))
        elif low in lx.GARMENTS and (ends_phrase(toks, i) or _participle(toks, i + 1)):
            first = phrase_start(toks, i, 3, allow_of=False)
            garments.append((first, i))
            found["wardrobe"].append(span_of(text, toks, first, i))
    # "a flat cap and a moleskin waistcoat", "scrubs under a denim jacket": one outfit too.
    joins = {"and", "under", "over", "with"}
    for (a1, b1), (a2, b2) in pairwise(garments):
        between = [t.low for t in toks[b1 + 1 : a2]]
        joined = between and between[0] in joins and len(between) <= 3
        if joined and all(w in DETERMINERS | joins for w in between):
            found["wardrobe"].append(span_of(text, toks, a1, b2))
    return found


def place_phrases(text: str) -> list[Span]:
    """Places the brief names: sluglines, and place nouns after a determiner."""
    spans = [
        Span(m.group(1).strip().lower(), m.start(1), m.end(1)) for m in SLUGLINE.finditer(text)
    ]
    toks = tokens(text)
    for i, t in enumerate(toks):
        if t.low not in lx.PLACES or not t.text.islower():
            continue
        if not ends_phrase(toks, i) and not _participle(toks, i + 1):  # "the pier eating"
            continue
        first = phrase_start(toks, i, 3, allow_of=False)
        before = toks[first - 1].low if first > 0 else ""
        if toks[first].text[0].isupper() and toks[first].low.endswith(("'s", "’s")):
            before = "the"  # "Walter's shed": a possessive is a determiner
        at_start = first == 0 or toks[first - 1].text in {":", "\n", "."}
        if before in DETERMINERS or at_start:
            span = span_of(text, toks, first, i)
            if not any(s.start <= span.start < s.end for s in spans):
                spans.append(Span(span.text.lower(), span.start, span.end))
    return sorted(spans, key=lambda s: s.start)


def setting_phrases(text: str) -> list[Span]:
    """Where a scene is set, in the brief's own words: a locative and the noun phrase
    after it ("at the bakery", "inside Nan's caravan", "on the old pier"), for places no
    word list knows. Each span is the noun phrase without its determiner."""
    toks = tokens(text)
    spans = []
    for i, t in enumerate(toks[:-1]):
        if t.low not in lx.LOCATIVE:
            continue
        j = i + 1
        owner = toks[j].text.endswith(("'s", "’s")) and toks[j].text[0].isupper()
        if toks[j].low not in DETERMINERS and not owner:
            continue
        first = j if owner else j + 1
        last = first
        while (
            last + 1 < len(toks)
            and last - first < 3
            and not ends_phrase(toks, last)
            and not _participle(toks, last + 1)  # "the delivery van parked in the lane"
        ):
            last += 1
        if last >= len(toks) or not toks[last].is_word or toks[last].text[0].isupper():
            continue
        if last + 1 < len(toks) and toks[last + 1].low == "of":
            continue  # "in the cool of the barn": the place is after "of"
        head = toks[last].low
        bad = lx.HAIR | lx.GARMENTS | lx.BODY | lx.COLOURS | set(lx.TIME_WORDS)
        if head in bad or head in lx.NOT_SETTINGS or head in BREAK_WORDS or head.endswith("ing"):
            continue
        span = span_of(text, toks, first, last)
        spans.append(Span(span.text.lower(), span.start, span.end))
    return spans


def heading_setting(text: str, start: int, end: int) -> Span | None:
    """A scene headed like a slugline in prose: "Evening, the canal towpath: ..." or
    "The old mill, at dusk. ..." (a time and a bare noun phrase, no verb)."""
    when = "|".join(re.escape(w) for w in sorted(lx.TIME_WORDS, key=len, reverse=True))
    np = r"(?:the |an? )?((?:[a-z][\w'’-]* ){0,3}[a-z][\w'’-]*)"
    for pattern in (
        rf"[ \t]*(?:{when}),[ \t]+{np}[ \t]*[:.—–]",
        rf"[ \t]*{np},[ \t]+(?:at |in the )?(?:{when})[ \t]*[:.—–]",
    ):
        m = re.compile(pattern, re.I).match(text, start, end)
        if m and m.group(1).split()[-1].lower() not in lx.NOT_SETTINGS:
            return Span(m.group(1).lower(), m.start(1), m.end(1))
    return None


def canonical_places(spans: Iterable[Span]) -> dict[str, str]:
    """Each place phrase -> the one name it stands for ("the launderette" -> the full name)."""
    names = sorted({norm(s.text) for s in spans}, key=lambda p: -len(p.split()))
    canon: dict[str, str] = {}
    for name in names:
        longer = [c for c in dict.fromkeys(canon.values()) if c.endswith(" " + name)]
        canon[name] = longer[0] if len(longer) == 1 else name
    return canon


_HOUR_WORDS = {w: k + 1 for k, w in enumerate([*NUMBER_WORDS, "eleven", "twelve"])}
_CLOCK = re.compile(
    r"(?<![\w-])(\d{1,2}|" + "|".join(_HOUR_WORDS) + r")(?:[:.](\d{2}))?[ \t]*"
    r"(?:o'clock[ \t]*)?(a\.?m\.?|p\.?m\.?|in the (?:morning|afternoon|evening)|at night)"
    r"(?![\w])",
    re.I,
)


def hour_of_day(hour: int, when: str) -> TimeOfDay:
    """The time of day of a clock time ("4am", "four in the morning": night; "6pm": dusk)."""
    when = when.lower().replace(".", "")
    if when in {"pm", "in the afternoon", "in the evening", "at night"} and hour != 12:
        hour += 12
    if when == "am" and hour == 12:
        hour = 0
    if hour < 5 or hour >= 21:
        return "night"
    if hour < 7:
        return "dawn"
    if hour < 18:
        return "day"
    return "dusk"


def times(text: str, skip: list[Span]) -> list[tuple[int, TimeOfDay]]:
    """Times of day the text states, outside place names ("the night bus" says no time).

    Clock times come first ("four in the morning" is night, not "morning"), then the
    longest phrases ("mid-morning" before "morning"); a phrase inside one already found
    is not counted again."""
    found: list[tuple[int, int, TimeOfDay]] = []

    def free(a: int, b: int) -> bool:
        inside = any(s.start <= a < s.end for s in skip)
        return not inside and not any(a < e and s < b for s, e, _ in found)

    for m in _CLOCK.finditer(text):
        word = m.group(1).lower()
        hour = int(word) if word.isdigit() else _HOUR_WORDS[word]
        if 0 <= hour <= 12 and free(m.start(), m.end()):
            found.append((m.start(), m.end(), hour_of_day(hour, m.group(3))))
    for words, when in sorted(lx.TIME_WORDS.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text, re.I):
            if free(m.start(), m.end()):
                found.append((m.start(), m.end(), when))
    return sorted((a, when) for a, _, when in found)
