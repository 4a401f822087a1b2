"""What kind of incident a document describes, by the words it uses and the boxes it ticks.

`described_types(text)` lists every incident type the document has a word for ("stolen"
for theft, "hail" for storm, "slipped" for liability), in order of first mention;
`ticked_types(text)` the types a form marks (`[x] Vandalism`, `☒ Fire`) or names in a
"Type of loss:" field. An unticked option (`[ ] Collision`) describes nothing.
"""

from __future__ import annotations

import re
from typing import get_args

from .models import IncidentType

__all__ = ["KEYWORDS", "described_types", "ticked_types"]

# Words for each type: a regular expression matched at the start of a word ("burgl"
# matches "burgled"); "wind" must end there, or "windscreen" would be a storm.
KEYWORDS: dict[IncidentType, str] = {
    "collision": (
        r"collision|collided|crash|rear[- ]?end(?:ed)?|accident(?!al)|ran into|hit\b|struck|"
        r"reversed (?:into|out)|backed into|sideswip|bump(?:ed|s)?\b|pile-?up|fender|left the road|"
        r"rolled (?:onto|over)|braked|t-boned|write-off|written off"
    ),
    "theft": (
        r"stolen|theft|stole|steal|broke in\b|broken into|break-? ?ins?\b|burglar|burgl|thie(?:f|ves)|"
        r"pickpocket|mugged|robbe[dr]|robbery|snatched|larceny|forced the|cut off|"
        r"(?:they|someone|thieves|who) took|took (?:my|our|his|her)|vol\b|robo\b|diebstahl|"
        # in other languages: French, Italian, Spanish, Portuguese, German, Dutch
        r"volé|volée|cambriol|furto|rubat|rubare|scippo|robad|hurt(?:o|ado)|roubad|roubo|"
        r"gestohlen|einbruch|gestolen|diefstal|inbraak"
    ),
    "fire": (
        r"fire|burn|burnt|flame|smoke|blaze|scorch|incendie|ignit|short circuit|explo(?:sion|ded)|"
        r"incendio|brand\b|feuer|fuego|incêndio"
    ),
    "water_damage": (
        r"water|leak|flood|burst|soaked|overflow|escape of water|damp|drip|plumb|mou?ld\b|"
        r"dégât des eaux|inund|infiltra|allagam|wasserschaden|waterschade|fuite d'eau"
    ),
    "storm": (
        r"storm|hail(?:storm|ed|ing|stones?)?\b|wind(?:s|y|storm)?\b|gales?\b|hurricane|tornado|"
        r"typhoon|cyclone|lightning|"
        r"fallen tree|southerly|northerly|blizzard|tempest|heavy rain|downpour|snowfall|"
        r"weight of snow|tempête|tormenta|granizo|sturm"
    ),
    "vandalism": (
        r"vandal|graffiti|keyed|slashed|spray[- ]painted|deliberately|malicious|kicked in|"
        r"scratched the paint"
    ),
    "glass": r"windshield|windscreen|glass|window|glazing|glazed|glazier",
    "liability": (
        r"liability|liable|third-party claim|sued\b|sue\b|lawsuit|legal action|court\b|compensation|"
        r"slipped|tripped|claim against me|asking me to pay|personal injury claim"
    ),
    "medical": (
        r"medical|hospital|clinic|doctor|treated|treatment|injur|fracture|illness|ill\b|fever|"
        r"sick|urgent care|emergency (?:department|room)|ambulance|medication|surgery|physio|"
        r"x-ray|ultrasound|poisoning|infection|allergic|reaction|sting"
    ),
    "other": r"(?!)",  # nothing describes "other": it is what remains
}
assert set(KEYWORDS) == set(get_args(IncidentType))

_BOX = r"[\[(]\s*(?P<mark>[xX✓✔*]?)\s*[\])]|(?P<glyph>[☒☑☐□■])"
_OPTION = re.compile(
    rf"(?:{_BOX})\s*(?P<label>[^\[\]()☒☑☐□■\n|]{{2,40}}?)(?=\s{{2,}}|\s*[\[(☒☑☐□■]|\s*$|\s*\|)",
    re.MULTILINE,
)
_TYPE_FIELD = re.compile(
    r"(?:type of (?:loss|claim|incident|damage)|claim type|cause(?: of (?:loss|damage))?|"
    r"nature(?: of (?:loss|damage))?)\s*:\s*(?P<value>[^\n\[]{3,60})$",
    re.IGNORECASE | re.MULTILINE,
)


_PATTERNS = {kind: re.compile(rf"(?<![\w-])(?:{words})") for kind, words in KEYWORDS.items()}


def _types_in(words: str) -> list[IncidentType]:
    """Types described in `words`, in order of their first word ("the other driver" and a
    type's own name, like "water damage", count as words too)."""
    lowered = f" {words.lower().replace('_', ' ')} "
    found = []
    for kind, pattern in _PATTERNS.items():
        if kind == "other":
            continue
        positions = [m.start()] if (m := pattern.search(lowered)) else []
        named = lowered.find(kind.replace("_", " "))
        positions += [named] if named >= 0 else []
        if positions:
            found.append((min(positions), kind))
    return [kind for _, kind in sorted(found)]


def _options(text: str) -> tuple[list[str], list[str], str]:
    """The ticked and unticked options of a form, and the text without the unticked ones."""
    ticked, unticked = [], []
    kept = text
    for m in _OPTION.finditer(text):
        glyph = m.group("glyph")
        on = bool(m.group("mark")) if glyph is None else glyph in "☒☑■"
        (ticked if on else unticked).append(m.group("label").strip())
        if not on:
            kept = kept.replace(m.group(0), " ", 1)
    return ticked, unticked, kept


def ticked_types(text: str) -> list[IncidentType]:
    """Types a form marks, or names in a "Type of loss:" field."""
    ticked, _, _ = _options(text)
    found: list[IncidentType] = []
    for label in ticked:
        found += _types_in(label)
    for field in _TYPE_FIELD.finditer(_options(text)[2]):
        found += _types_in(field.group("value"))
    return list(dict.fromkeys(found))


# What a document says did not happen: "no injuries", "Injuries: none", "nobody was hurt".
_NEGATED = re.compile(
    r"\b(?:no|not|nobody|none|nothing|without|never|neither|nor)\b[^.;:\n]{0,24}?"
    r"(?=\b\w)|\b(\w[\w ]{0,24}?)\s*:\s*(?:none|no|nil|n/?a)\b",
    re.IGNORECASE,
)


def _without_negations(text: str) -> str:
    """The text without what it says did not happen: the words right after a negation (up
    to the next punctuation or "but", "and"..., at most a few words), and fields answered
    "none"."""
    out = []
    last = 0
    for m in _NEGATED.finditer(text):
        if m.group(1) is not None:  # "Injuries: none": drop the field's label
            out.append(text[last : m.start()])
            last = m.end()
            continue
        out.append(text[last : m.end()])
        end = re.search(
            r"[.;:\n,]|\b(?:but|and|although|though|yet|while|however)\b|$",
            text[m.end() : m.end() + 40],
        )
        last = m.end() + (end.start() if end else 0)
    out.append(text[last:])
    return "".join(out)


# Words that start a sentence (or a subject line) capitalised without starting a name.
_OPENER_WORDS = """the a an during on in at after before since when while last this that our my
your his her their its from to for of by with and or but re fw fwd subject"""
_OPENERS = frozenset(_OPENER_WORDS.split())
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w'’&-]*(?:[ \t]+[A-ZÀ-Þ][\w'’&-]*)+")


def _without_names(text: str) -> str:
    """The text without the inner words of names: "Global Travel Medical" (an insurer) and
    "Dent Doctors" (a garage) describe no incident; "Storm Isha" still describes a storm, and
    "FIRE CLAIM" a fire (the first word of a name is kept)."""

    def blank(m: re.Match[str]) -> str:
        words = m.group(0).split(" ")
        keep = 2 if words[0].lower() in _OPENERS else 1  # "During Storm Isha": keep "Storm"
        kept = " ".join(words[:keep])
        return kept + " " * (len(m.group(0)) - len(kept))

    return _CAPITALISED.sub(blank, text)


def described_types(text: str) -> list[IncidentType]:
    """Types the document has a word for, first mentioned first (unticked options, what it
    says did not happen, and words inside names left out)."""
    _, _, kept = _options(text)
    return _types_in(_without_names(_without_negations(kept)))
