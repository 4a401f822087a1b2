"""The brief reader: a director's prose, split into scenes, with the brief's own phrases.

Nothing here calls a model. The reader finds the phrases a brief uses for people,
their looks, places, times of day and the objects that come back in later scenes,
and works out what it can about each scene. The model then chooses among those
phrases (a JSON-schema enum), so it cannot write a name, a colour or a prop the
director did not; and the gate checks its choices against the reader's findings
(whose eyes a colour describes, which place a scene opens in). Scenes are split by
`beats.py`; phrases are found by `phrases.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import lexicon as lx
from .beats import split_beats
from .models import BeatCard, BriefReading, Person, PropConstraint, PropReading, TimeOfDay
from .phrases import (
    BREAK_WORDS,
    CLAUSE_WORDS,
    DETERMINERS,
    SLUGLINE,
    Span,
    Token,
    canonical_places,
    heading_setting,
    look_phrases,
    norm,
    place_phrases,
    sentences,
    setting_phrases,
    span_of,
    times,
    tokens,
)


@dataclass(slots=True)
class _Group:
    """Name forms that refer to one person, and where they occur."""

    name: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[int] = field(default_factory=list)


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


_PLACE_PREPOSITIONS = frozenset({"on", "in", "inside", "outside", "near", "across", "through"})


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
    slug_lines = [(m.start(), m.end()) for m in SLUGLINE.finditer(text)]
    for m in re.finditer(_NAME, text):
        if any(a <= m.start() < b for a, b in slug_lines):
            continue
        before = re.search(r"(\w+)[ \t]+$", text[max(0, m.start() - 12) : m.start()])
        possessive = re.match(r"[\w'’-]+['’]s\b", text[m.start() :]) is not None
        if before and before.group(1) in _PLACE_PREPOSITIONS and not possessive:
            # "the lighthouse on Skerry Point" is a place; "in Walter's shed" names Walter.
            continue
        words = [_title(w) for w in m.group(0).split()]
        # "Nadia's hand", "Erin's out": the name without its 's.
        words = [re.sub(r"['’]s$", "", w) for w in words]
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
        if t.low not in DETERMINERS | {"one", "two"}:
            continue
        j = i + 1
        while j < len(toks) and j - i <= 4 and toks[j].is_word and toks[j].low not in BREAK_WORDS:
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
        out.append((span_of(text, toks, i + 1, last), head, i))
    return out


def _holder(
    toks: list[Token], det: int, groups: list[_Group], sentence: tuple[int, int], beat: Span
) -> _Group | None:
    """Who holds the object at `det`, by the verb before it ("gives Nora his watch": Nora)."""
    mentioned = {m for g in groups for m in g.mentions}
    for k in range(det - 1, max(det - 9, -1), -1):
        word = toks[k].low
        if word in CLAUSE_WORDS:
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


# ------------------------------------------------------------------ looks


def _cast(
    looks: dict[str, list[Span]],
    groups: list[_Group],
    preamble: Span,
    notes_from: int,
    sentence_of: Callable[[int], tuple[int, int]],
    strict: bool,
) -> tuple[list[Person], list[Span]]:
    """People with described looks, and the look phrases attributed to them.

    Strictly, looks are given where a character is introduced: in the opening text, in a
    note after the scenes ("Casting: Vale, grey eyes ..."), or in the sentence that first
    names them ("carrying the cracked helmet" later is a prop). Not strictly (a brief that
    gives looks only in passing), any look phrase belongs to the nearest name before it
    in its sentence."""
    people: list[Person] = []
    described: list[Span] = []
    for g in groups:
        mine: dict[str, list[str]] = {}
        near: dict[str, list[str]] = {}
        first = sentence_of(min(g.mentions)) if g.mentions else (0, 0)
        for attribute, spans in looks.items():
            for span in spans:
                sentence = sentence_of(span.start)
                introduced = (
                    not strict
                    or span.start < preamble.end
                    or span.start >= notes_from
                    or sentence == first
                )
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
    return people, described


# ------------------------------------------------------------------ the whole reading


def read_brief(text: str, scene_count: int) -> BriefReading:
    """Everything the reader finds in a brief; `problems` says what it could not."""
    problems: list[str] = []
    split = split_beats(text, scene_count)
    if split is None:
        problems.append(
            f"could not tell {scene_count} scenes apart: number them (1., 2., ...), start "
            "each with a slugline, give each its own paragraph, or open each with a "
            "transition (Open on ..., Then ..., Cut to ...)"
        )
        preamble, beats = Span(text, 0, len(text)), []
    else:
        preamble, beats = split
    toks = tokens(text)
    sentence_spans = sentences(text)

    def sentence_of(at: int) -> tuple[int, int]:
        return next((s for s in sentence_spans if s[0] <= at < s[1]), (at, at))

    looks = look_phrases(text)
    groups = people_groups(text)
    notes_from = beats[-1].end if beats else len(text)  # a casting note after the scenes
    people, described = _cast(looks, groups, preamble, notes_from, sentence_of, strict=True)
    if not people:  # looks given only in passing, mid-scene: anywhere, by nearest name
        people, described = _cast(looks, groups, preamble, notes_from, sentence_of, strict=False)
    if not people:
        problems.append("found no character with a described look (eyes, hair or clothes)")
    cast_groups = [g for g in groups if any(p.name == g.name for p in people)]

    place_spans = [s for s in place_phrases(text) if not _inside_look(s, looks)]
    place_spans = _settings_in_own_words(text, beats, place_spans, looks)
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
        specific = [
            w
            for at, w in time_marks
            if beat.start <= at < beat.end and not _GENERIC_TIME.match(text, at)
        ]
        stated = specific or stated  # "the next morning, at first light": dawn
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
    for card, beat in zip(cards, beats, strict=True):
        if len(card.cast) == 1 and (who := _unnamed_object(beat.text, card.cast[0], groups)):
            problems.append(
                f"scene {card.index} refers to someone it does not name ({who!r}): name who "
                "is in it"
            )
    for card in cards:
        if not card.cast:  # "they serve the customers": the reader does not guess who
            problems.append(f"scene {card.index} names none of the characters: name who is in it")
        if not card.places:
            problems.append(
                f"scene {card.index} names no place the reader knows: say where it is set "
                '("At the bakery, ...") or give it a slugline'
            )
        if card.time_of_day is None:
            problems.append(
                f"scene {card.index}: the brief does not say when it happens: give a time of "
                "day (dawn, morning, dusk, night, or a clock time) in it or a scene before it"
            )
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


_OBJECT_PRONOUNS = frozenset({"her", "him", "them"})
_AFTER_OBJECT = frozenset(
    [
        "on",
        "to",
        "at",
        "with",
        "in",
        "into",
        "as",
        "and",
        "from",
        "up",
        "down",
        "off",
        "out",
        "back",
        "again",
        "for",
        "while",
        "across",
    ]
)


_SUBJECT_PRONOUNS = frozenset({"she", "he", "they"})
_CLAUSE_BREAKS = frozenset({",", ";", ":", "—", "–", "(", ")"})


def _unnamed_object(text: str, only: str, groups: list[_Group]) -> str | None:
    """An object pronoun that cannot be the one person the scene names: someone else.

    "Tomas joins her on the deck": Tomas (or "he") acts on "her" in the same clause, so
    "her" is someone the scene does not name. "Everyone leaves except Vale; the dog
    stays beside her": nobody else is there, so "her" is Vale and is resolved. "her"
    before a noun is a possessive ("to show her mother") and is not counted."""
    toks = tokens(text)
    forms = {w.lower() for g in groups if g.name == only for w in [g.name, *g.aliases]}
    forms |= {w.lower() for f in list(forms) for w in f.split()}
    for i, t in enumerate(toks):
        if t.low not in _OBJECT_PRONOUNS:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if not (nxt is None or not nxt.is_word or nxt.low in _AFTER_OBJECT):
            continue
        # Back to the start of the clause: a subject there acts on the pronoun.
        for k in range(i - 1, -1, -1):
            word = toks[k]
            if word.text in _CLAUSE_BREAKS or word.text in ".!?" or word.low in CLAUSE_WORDS:
                break
            # "Pip is alone and the waves nearly take him": a new subject after "and".
            after = toks[k + 1].low if k + 1 < len(toks) else ""
            if word.low in {"and", "but", "or"} and after in DETERMINERS:
                break
            if word.low in forms or word.low in _SUBJECT_PRONOUNS:
                return t.text
    return None


_GENERIC_TIME = re.compile(r"(?:in the )?(?:morning|day|daytime)\b", re.I)


def _settings_in_own_words(
    text: str, beats: list[Span], place_spans: list[Span], looks: dict[str, list[Span]]
) -> list[Span]:
    """Places no word list knows, for scenes that name none it does: the noun phrase
    after a locative ("at the bakery", "inside Nan's caravan"). Taken when the scene opens
    on it (its first clause) or when no scene before it has a place to go on from, so a
    scene that goes on where the last one was ("Helen sits on the bench") keeps its place.
    """
    found = [s for s in setting_phrases(text) if not _inside_look(s, looks)]
    added: list[Span] = []
    had_place = False
    for beat in beats:
        listed = [s for s in place_spans if beat.start <= s.start < beat.end]
        mine = [
            s
            for s in found
            if beat.start <= s.start < beat.end
            and not any(p.start < s.end and s.start < p.end for p in listed)
            and (not listed or s.start < listed[0].start)
        ]
        heading = heading_setting(text, beat.start, beat.end)
        if heading is not None and not listed:
            added.append(heading)
            had_place = True
            continue
        if not mine:
            had_place = had_place or bool(listed)
            continue
        before = text[beat.start : mine[0].start]
        clause = re.split(r"[,;:—–]", before)[-1]
        lead = None if re.search(r"[.!?\n]", before.strip()) else re.findall(r"[\w'’-]+", clause)
        # Only scene-marker words, names and the locative before it: "Open on Vale at the
        # bakery", "Smash to inside the caravan"; not "Then Vale sits on the step".
        opens_on = lead is not None and all(
            w[0].isupper() or w.lower() in lx.SCENE_OPENING for w in lead
        )
        if opens_on or not (had_place or listed):
            added.append(mine[0])
        had_place = True
    return sorted([*place_spans, *added], key=lambda s: s.start)


def _complete(phrases: list[str]) -> list[str]:
    """Drop a phrase that is part of a longer one ("jersey" of "red cycling jersey"): a
    character sheet carries the whole look the brief gives."""
    words = [set(p.split()) for p in phrases]
    return [p for p, w in zip(phrases, words, strict=True) if not any(w < o for o in words)]


def _inside_look(span: Span, looks: dict[str, list[Span]]) -> bool:
    return any(s.start <= span.start < s.end for spans in looks.values() for s in spans)
