"""The brief reader: a director's prose, split into scenes, with the brief's own phrases.

Nothing here calls a model. The reader finds the phrases a brief uses for people,
their looks, places, times of day and the objects that come back in later scenes,
and works out what it can about each scene. The model then chooses among those
phrases (a JSON-schema enum), so it cannot write a name, a colour or a prop the
director did not; and the gate checks its choices against the reader's findings
(whose eyes a colour describes, which place a scene opens in).

Scenes are found by the conventions directors use, tried in this order until one
gives the brief's scene count: numbered beats ("1."), "Scene one:", sluglines
("INT. SIGNAL BOX - NIGHT"), "CUT TO", one paragraph per scene, transition words
at the start of a sentence ("First", "Then", "Finally"), one line per scene.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from . import lexicon as lx
from .models import BeatCard, BriefReading, Person, PropConstraint, PropReading, TimeOfDay

_WORD = re.compile(r"[^\W\d_][\w'’-]*|\d+|[^\w\s]", re.UNICODE)
_SLUG = re.compile(
    r"^[ \t]*(?:INT|EXT|INT\.?/EXT|I/E)\.?[ \t]+(.+?)(?:[ \t]+[-–—][ \t]+([A-Z][A-Z ]*))?[ \t]*$",
    re.M,
)
_NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_BREAK = lx.FUNCTION_WORDS | {"has", "have", "had", "is", "are", "was", "were", "wears", "wearing"}
_BREAK |= {"against", "above", "below", "beside", "behind", "inside", "across", "along"}
_BREAK |= {"himself", "herself", "themselves", "itself", "alone", "together", "now"}
_BREAK |= {"just", "very", "who", "which", "toward", "towards", "near", "around", "through"}
_DETERMINERS = frozenset(
    ["a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that"]
)
_CLAUSE = frozenset({"while", "as", "when", "but", "because", "then", "until", "whilst"})
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


@dataclass(slots=True)
class _Group:
    """Name forms that refer to one person, and where they occur."""

    name: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[int] = field(default_factory=list)


def tokens(text: str) -> list[Token]:
    return [Token(m.group(0), m.start()) for m in _WORD.finditer(text)]


def norm(phrase: str) -> str:
    return " ".join(w.lower() for w in re.findall(r"[^\W_][\w'’-]*", phrase))


# ------------------------------------------------------------------ scenes


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
    words = "|".join(_NUMBER_WORDS)
    return _marked(text, rf"^[ \t]*scene[ \t]+(?:\d+|{words})\b", re.M | re.I)


def _sluglines(text: str, n: int) -> list[int]:
    return [m.start() for m in _SLUG.finditer(text)]


def _cut_to(text: str, n: int) -> list[int]:
    cuts = [m.end() for m in re.finditer(r"\bCUT TO\b[:.]?", text)]
    return [0, *cuts] if cuts else []


def _paragraphs(text: str, n: int) -> list[int]:
    return [0, *(m.end() for m in re.finditer(r"\n[ \t]*\n\s*", text))]


def _transitions(text: str, n: int) -> list[int]:
    words = r"(?:First|Then|Next|Later|After that|Afterwards|Finally|Meanwhile|Lastly)\b"
    found = re.finditer(rf"(?:^|[.!?][ \t]+|\n)[ \t]*({words})", text, re.M)
    return [m.start(1) for m in found]


def _lines(text: str, n: int) -> list[int]:
    return [m.start() for m in re.finditer(r"^[ \t]*\S", text, re.M)]


_SPLITTERS: tuple[Callable[[str, int], list[int]], ...] = (
    _numbered,
    _scene_words,
    _sluglines,
    _cut_to,
    _paragraphs,
    _transitions,
    _lines,
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


# ------------------------------------------------------------------ phrases


def _sentences(text: str) -> list[tuple[int, int]]:
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


def _phrase_before(toks: list[Token], head: int, limit: int, allow_of: bool = True) -> int:
    """Index of the first token of the modifier run that ends at `head`."""
    first = head
    used_of = False
    while first > 0 and head - first < limit + (2 if used_of else 0):
        prev = toks[first - 1]
        if prev.low == "of" and allow_of and not used_of and first >= 2 and toks[first - 2].is_word:
            if toks[first - 2].low in _BREAK:
                break
            used_of, first = True, first - 2
            continue
        if (
            not prev.is_word
            or prev.low in _BREAK
            or (prev.text[0].isupper() and prev.low in lx.NOT_NAMES)
        ):
            break
        first -= 1
    return first


def _ends_phrase(toks: list[Token], i: int) -> bool:
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if nxt is None or not nxt.is_word or nxt.text[0].isupper():
        return True
    return nxt.low in _BREAK or nxt.low in {"and", "or"}


def _participle(toks: list[Token], i: int) -> bool:
    """ "an apron dusted with flour": the garment's phrase ends before the participle."""
    return i < len(toks) and toks[i].is_word and toks[i].low.endswith(("ed", "ing"))


def _span(text: str, toks: list[Token], a: int, b: int) -> Span:
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
                found["eye_color"].append(_span(text, toks, first, i - 1))
        elif low.endswith("-eyed") and low.split("-")[0] in lx.COLOURS:
            found["eye_color"].append(
                Span(t.text[: -len("-eyed")], t.start, t.start + len(t.text) - 5)
            )
        elif low in lx.HAIR or (
            low in lx.HEADS and i > 0 and toks[i - 1].low in {"shaved", "shaven", "bald"}
        ):
            first = _phrase_before(toks, i, 3)
            # A bare "a beard" is a look; a bare "cut" or "crop" is not.
            bare = low in _BARE_HAIR and toks[i - 1].low in _DETERMINERS | {"with", ","}
            if first < i or bare:
                found["hair"].append(_span(text, toks, first, i))
        elif low in lx.BALD and (i + 1 == len(toks) or not toks[i + 1].is_word):
            found["hair"].append(Span(t.text, t.start, t.start + len(t.text)))
        elif low in lx.GARMENTS and (_ends_phrase(toks, i) or _participle(toks, i + 1)):
            first = _phrase_before(toks, i, 3, allow_of=False)
            garments.append((first, i))
            found["wardrobe"].append(_span(text, toks, first, i))
    # "a flat cap and a moleskin waistcoat", "scrubs under a denim jacket": one outfit too.
    joins = {"and", "under", "over", "with"}
    for (a1, b1), (a2, b2) in pairwise(garments):
        between = [t.low for t in toks[b1 + 1 : a2]]
        joined = between and between[0] in joins and len(between) <= 3
        if joined and all(w in _DETERMINERS | joins for w in between):
            found["wardrobe"].append(_span(text, toks, a1, b2))
    return found


def place_phrases(text: str) -> list[Span]:
    """Places the brief names: sluglines, and place nouns after a determiner."""
    spans = [Span(m.group(1).strip().lower(), m.start(1), m.end(1)) for m in _SLUG.finditer(text)]
    toks = tokens(text)
    for i, t in enumerate(toks):
        if t.low not in lx.PLACES or not t.text.islower() or not _ends_phrase(toks, i):
            continue
        first = _phrase_before(toks, i, 3, allow_of=False)
        before = toks[first - 1].low if first > 0 else ""
        at_start = first == 0 or toks[first - 1].text in {":", "\n", "."}
        if before in _DETERMINERS or at_start:
            span = _span(text, toks, first, i)
            if not any(s.start <= span.start < s.end for s in spans):
                spans.append(Span(span.text.lower(), span.start, span.end))
    return sorted(spans, key=lambda s: s.start)


def canonical_places(spans: Iterable[Span]) -> dict[str, str]:
    """Each place phrase -> the one name it stands for ("the launderette" -> the full name)."""
    names = sorted({norm(s.text) for s in spans}, key=lambda p: -len(p.split()))
    canon: dict[str, str] = {}
    for name in names:
        longer = [c for c in dict.fromkeys(canon.values()) if c.endswith(" " + name)]
        canon[name] = longer[0] if len(longer) == 1 else name
    return canon


def times(text: str, skip: list[Span]) -> list[tuple[int, TimeOfDay]]:
    """Times of day the text states, outside place names ("the night bus" says no time)."""
    found = []
    for words, when in sorted(lx.TIME_WORDS.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text, re.I):
            inside = any(s.start <= m.start() < s.end for s in skip)
            taken = any(abs(m.start() - at) < len(words) for at, _ in found)
            if not inside and not taken:
                found.append((m.start(), when))
    return sorted(found)


# ------------------------------------------------------------------ people

_NAME = r"[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*"
_ALIASES = (
    re.compile(r"\b([A-Z][\w'’-]+)[ \t]+[\"“'‘]([A-Z][\w'’-]+)[\"”'’][ \t]+([A-Z][\w'’-]+)"),
    re.compile(
        rf"\b({_NAME}),?[ \t]+[\"“]?([A-Z][\w'’-]+)[\"”]?,?[ \t]+(?:to|for)[ \t]+"
        r"(?:everyone|everybody|short|friends|family|the family|(?:her|his|their) friends)"
    ),
    re.compile(
        rf"\b({_NAME})[ \t]*(?:—|–|--|\()[ \t]*[\"“]?([A-Z][\w'’-]+)[\"”]?[ \t]*(?:—|–|--|\))"
    ),
    re.compile(rf"\b({_NAME}),?[ \t]+(?:known as|called|nicknamed)[ \t]+[\"“]?([A-Z][\w'’-]+)"),
)


def _title(word: str) -> str:
    return word[0] + word[1:].lower() if word.isupper() and len(word) > 1 else word


def _clean_name(words: list[str]) -> list[str]:
    while words and words[0].lower() in lx.NOT_NAMES:
        words = words[1:]
    while words and words[-1].lower() in lx.NOT_NAMES:
        words = words[:-1]
    return words


def name_runs(text: str) -> list[Span]:
    """Runs of capitalised words that could name a person (sluglines excluded)."""
    runs = []
    slug_lines = [(m.start(), m.end()) for m in _SLUG.finditer(text)]
    for m in re.finditer(_NAME, text):
        if any(a <= m.start() < b for a, b in slug_lines):
            continue
        words = [_title(w) for w in m.group(0).split()]
        cleaned = _clean_name(words)
        if not cleaned or "CUT" in m.group(0).split():
            continue
        offset = m.group(0).find(m.group(0).split()[words.index(cleaned[0])])
        runs.append(Span(" ".join(cleaned), m.start() + offset, m.end()))
    return runs


def people_groups(text: str) -> list[_Group]:
    groups: dict[str, _Group] = {}
    alias_of: dict[str, str] = {}
    for i, pattern in enumerate(_ALIASES):
        for m in pattern.finditer(text):
            if i == 0:
                full, alias = f"{_title(m.group(1))} {_title(m.group(3))}", _title(m.group(2))
            else:
                full = " ".join(_clean_name([_title(w) for w in m.group(1).split()]))
                alias = _title(m.group(2))
            if full and alias.lower() not in lx.NOT_NAMES and alias not in full.split():
                groups.setdefault(full, _Group(full)).aliases.add(alias)
                alias_of[alias] = full
    runs = name_runs(text)
    for run in sorted(runs, key=lambda r: -len(r.text.split())):
        if run.text in alias_of or run.text in groups:
            continue
        words = set(run.text.split())
        owner = [g for g in groups.values() if words <= set(g.name.split())]
        if len(owner) != 1:
            groups[run.text] = _Group(run.text)
    for run in runs:
        words = set(run.text.split())
        target = alias_of.get(run.text) or next(
            (g.name for g in groups.values() if run.text == g.name or words <= set(g.name.split())),
            None,
        )
        if target is not None:
            groups[target].mentions.append(run.start)
    return list(groups.values())


def _nearest_before(groups: list[_Group], at: int, floor: int) -> _Group | None:
    best: tuple[int, _Group] | None = None
    for g in groups:
        for m in g.mentions:
            if floor <= m <= at and (best is None or m > best[0]):
                best = (m, g)
    return best[1] if best else None


# ------------------------------------------------------------------ props


def _object_phrases(text: str, toks: list[Token]) -> list[tuple[Span, str, int]]:
    """(phrase, head noun, index of the determiner) for every determiner + noun phrase."""
    out = []
    for i, t in enumerate(toks):
        if t.low not in _DETERMINERS | {"one", "two"}:
            continue
        j = i + 1
        while j < len(toks) and j - i <= 4 and toks[j].is_word and toks[j].low not in _BREAK:
            if j + 1 < len(toks) and toks[j + 1].low == "of" and j - i <= 2:
                j += 2
                continue
            j += 1
        last = j - 1
        if last <= i or not toks[last].is_word:
            continue
        head = toks[last].low
        if head in lx.PLACES | lx.HAIR | lx.BODY | lx.COLOURS | set(lx.TIME_WORDS):
            continue
        if head in {"eyes", "eye"} or toks[last].text[0].isupper():
            continue
        out.append((_span(text, toks, i + 1, last), head, i))
    return out


def _holder(
    toks: list[Token], det: int, groups: list[_Group], sentence: tuple[int, int], beat: Span
) -> _Group | None:
    """Who holds the object at `det`, by the verb before it ("gives Nora his watch": Nora)."""
    mentioned = {m for g in groups for m in g.mentions}
    for k in range(det - 1, max(det - 9, -1), -1):
        word = toks[k].low
        if word in _CLAUSE:
            return None  # "buys bowls while Mei shields the lantern": not the buyer's
        if toks[k].start in mentioned and not (k > 0 and toks[k - 1].low in lx.GIVING):
            return None  # someone else acts on it ("Mei shields the lantern")
        if word in lx.GIVING:
            between = [g for g in groups for m in g.mentions if toks[k].start < m < toks[det].start]
            return between[0] if between else None
        if word in lx.HOLDING or word in lx.WITH:
            at = toks[k].start
            return _nearest_before(groups, at, sentence[0]) or _nearest_before(
                groups, at, beat.start
            )
        if not toks[k].is_word and toks[k].text not in {"'", "’"}:
            return None
    return None


# ------------------------------------------------------------------ the whole reading


def read_brief(text: str, scene_count: int) -> BriefReading:
    """Everything the reader finds in a brief; `problems` says what it could not."""
    problems: list[str] = []
    split = split_beats(text, scene_count)
    if split is None:
        problems.append(
            f"could not tell {scene_count} scenes apart: number them (1., 2., ...), start "
            "each with a slugline, or give each its own paragraph"
        )
        preamble, beats = Span(text, 0, len(text)), []
    else:
        preamble, beats = split
    toks = tokens(text)
    sentences = _sentences(text)

    def sentence_of(at: int) -> tuple[int, int]:
        return next((s for s in sentences if s[0] <= at < s[1]), (at, at))

    looks = look_phrases(text)
    groups = people_groups(text)
    people: list[Person] = []
    described: list[Span] = []  # look phrases the reader attributes: where looks are given
    for g in groups:
        mine: dict[str, list[str]] = {}
        near: dict[str, list[str]] = {}
        # Looks are given where a character is introduced: in the opening text, or in the
        # sentence that first names them ("carrying the cracked helmet" later is a prop).
        first = sentence_of(min(g.mentions)) if g.mentions else (0, 0)
        for attribute, spans in looks.items():
            for span in spans:
                sentence = sentence_of(span.start)
                introduced = span.start < preamble.end or sentence == first
                if introduced and _nearest_before(groups, span.start, sentence[0]) is g:
                    described.append(span)
                    mine.setdefault(attribute, []).append(norm(span.text))
                if any(sentence[0] <= m < sentence[1] for m in g.mentions):
                    near.setdefault(attribute, []).append(norm(span.text))
        if mine:
            mine = {k: _complete(v) for k, v in mine.items()}
            aliases = sorted(g.aliases | {w for w in g.name.split()} - {g.name})
            people.append(
                Person(
                    name=g.name,
                    aliases=aliases,
                    looks={k: list(dict.fromkeys(v)) for k, v in mine.items()},
                    nearby={k: list(dict.fromkeys(v)) for k, v in near.items()},
                )
            )
    if not people:
        problems.append("found no character with a described look (eyes, hair or clothes)")
    cast_groups = [g for g in groups if any(p.name == g.name for p in people)]

    place_spans = [s for s in place_phrases(text) if not _inside_look(s, looks)]
    canon = canonical_places(place_spans)
    places = list(dict.fromkeys(canon[norm(s.text)] for s in place_spans))
    time_marks = times(text, place_spans)

    # Objects that come back: a noun phrase whose head word appears in two or more
    # scenes, held (by a verb) in at least one of them.
    objects = [
        (span, head, det)
        for span, head, det in _object_phrases(text, toks)
        if not any(
            d.start <= span.start < d.end or span.start <= d.start < span.end for d in described
        )
    ]
    in_beat = [
        [(span, head, det) for span, head, det in objects if b.start <= span.start < b.end]
        for b in beats
    ]
    props: list[PropReading] = []
    for head in dict.fromkeys(h for _, h, _ in objects):
        scenes_with = [
            k + 1 for k, b in enumerate(beats) if re.search(rf"\b{re.escape(head)}\b", b.text, re.I)
        ]
        if len(scenes_with) < 2:
            continue
        holder = None
        phrase = None
        for k, found in enumerate(in_beat):
            for span, h, det in found:
                if h != head:
                    continue
                phrase = phrase or norm(span.text)
                who = _holder(toks, det, cast_groups, sentence_of(span.start), beats[k])
                if who is not None and holder is None:
                    holder, phrase = who.name, norm(span.text)
        if holder is not None and phrase is not None:
            props.append(
                PropReading(prop=phrase, head=head, holder=holder, from_scene=scenes_with[0])
            )
    if beats:  # a note after the last scene: "Continuity: from scene 2 on, Mara carries ..."
        props = _continuity_note(text, toks, beats, objects, cast_groups, sentence_of, props)

    # "the airlock at night": the time a place is first given is its time, unless a scene
    # says otherwise.
    place_time: dict[str, TimeOfDay] = {}
    seen_places: set[str] = set()
    for span in place_spans:  # only where the place is first named
        name = canon[norm(span.text)]
        if name in seen_places:
            continue
        seen_places.add(name)
        mark = next((w for at, w in time_marks if span.end <= at <= span.end + 12), None)
        if mark is not None and not re.search(r"[.;!?\n]", text[span.end : span.end + 3]):
            place_time[name] = mark

    cards: list[BeatCard] = []
    previous: TimeOfDay | None = next((w for at, w in time_marks if at < preamble.end), None)
    last_place: list[str] = []
    for k, beat in enumerate(beats, start=1):
        # A scene that names no place goes on where the one before it was.
        here = (
            list(
                dict.fromkeys(
                    canon[norm(s.text)] for s in place_spans if beat.start <= s.start < beat.end
                )
            )
            or last_place[:1]
        )
        last_place = here
        stated = [w for at, w in time_marks if beat.start <= at < beat.end]
        when = stated[0] if stated else place_time.get(here[0]) if here else None
        when = when or previous
        previous = when
        named = [
            g.name
            for m, g in sorted(
                (m, g) for g in cast_groups for m in g.mentions if beat.start <= m < beat.end
            )
        ]
        cards.append(
            BeatCard(
                index=k,
                text=beat.text,
                places=here,
                time_of_day=when,
                cast=list(dict.fromkeys(named)),
                props=[
                    p.prop for p in props if re.search(rf"\b{re.escape(p.head)}\b", beat.text, re.I)
                ],
                new_props=[
                    PropConstraint(prop=p.prop, holder=p.holder or "", from_scene=k)
                    for p in props
                    if p.from_scene == k
                ],
            )
        )
    for card in cards:
        if not card.places:
            problems.append(f"scene {card.index} names no place the reader knows")
        if card.time_of_day is None:
            problems.append(f"scene {card.index}: the brief does not say when it happens")
    all_looks = {k: list(dict.fromkeys(norm(s.text) for s in v)) for k, v in looks.items()}
    return BriefReading(
        preamble=preamble.text,
        beats=cards,
        people=people,
        places=places,
        props=props,
        looks=all_looks,
        problems=problems,
    )


def _continuity_note(
    text: str,
    toks: list[Token],
    beats: list[Span],
    objects: list[tuple[Span, str, int]],
    groups: list[_Group],
    sentence_of: Callable[[int], tuple[int, int]],
    props: list[PropReading],
) -> list[PropReading]:
    """Props a note after the scenes states: who holds what, from which scene on."""
    note_start = beats[-1].end
    found = {p.head: p for p in props}
    for span, head, det in objects:
        if span.start < note_start:
            continue
        sentence = sentence_of(span.start)
        who = _holder(toks, det, groups, sentence, Span("", sentence[0], sentence[1]))
        in_scenes = [
            k + 1 for k, b in enumerate(beats) if re.search(rf"\b{re.escape(head)}\b", b.text, re.I)
        ]
        if who is None or not in_scenes:
            continue
        said = re.search(r"\bscene (\d+)", text[sentence[0] : sentence[1]], re.I)
        start = int(said.group(1)) if said else in_scenes[0]
        found[head] = PropReading(
            prop=norm(span.text), head=head, holder=who.name, from_scene=start
        )
    return list(found.values())


def _complete(phrases: list[str]) -> list[str]:
    """Drop a phrase that is part of a longer one ("jersey" of "red cycling jersey"): a
    character sheet carries the whole look the brief gives."""
    words = [set(p.split()) for p in phrases]
    return [p for p, w in zip(phrases, words, strict=True) if not any(w < o for o in words)]


def _inside_look(span: Span, looks: dict[str, list[Span]]) -> bool:
    return any(s.start <= span.start < s.end for spans in looks.values() for s in spans)
