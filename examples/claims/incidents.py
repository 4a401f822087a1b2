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

# Words for each type (regular expressions), matched at the start of a word: "burgl"
# matches "burgled"; "wind" must end there, or "windscreen" would be a storm.
KEYWORDS: dict[IncidentType, tuple[str, ...]] = {
    "collision": (
        "collision",
        "collided",
        "crash",
        "rear-ended",
        "rear ended",
        "rear-end",
        "accident",
        "ran into",
        r"hit\b",
        "struck",
        "reversed into",
        "reversed out",
        "backed into",
        "sideswip",
        "bump",
        "pile-up",
        "pileup",
        "fender",
        "left the road",
        "rolled onto",
        "rolled over",
        "braked",
        "t-boned",
        "write-off",
        "written off",
    ),
    "theft": (
        "stolen",
        "theft",
        "stole",
        "steal",
        "broke in",
        "broken into",
        "break-in",
        "break in",
        "burglar",
        "burgl",
        "thief",
        "thieves",
        "pickpocket",
        "mugged",
        "robbed",
        "robber",
        "snatched",
        "larceny",
        "forced the",
        "cut off",
        r"(?:they|someone|thieves|who) took",
        r"took (?:my|our|his|her)",
        "vol ",
        "robo",
        "diebstahl",
    ),
    "fire": (
        "fire",
        "burn",
        "burnt",
        "flame",
        "smoke",
        "blaze",
        "caught fire",
        "scorch",
        "incendie",
        "ignit",
        "short circuit",
    ),
    "water_damage": (
        "water",
        "leak",
        "flood",
        "burst pipe",
        "pipe burst",
        "soaked",
        "overflow",
        "escape of water",
        "damp",
        "drip",
        "plumb",
        "dégât des eaux",
        "inund",
    ),
    "storm": (
        "storm",
        "hail",
        r"wind(?:s|y|storm)?\b",
        "gale",
        "hurricane",
        "tornado",
        "typhoon",
        "cyclone",
        "lightning",
        "fallen tree",
        "southerly",
        "northerly",
        "blizzard",
        "tempest",
        "tempête",
        "tormenta",
        "granizo",
        "sturm",
    ),
    "vandalism": (
        "vandal",
        "graffiti",
        "keyed",
        "slashed",
        "spray-painted",
        "spray painted",
        "deliberately",
        "malicious",
        "kicked in",
        "scratched the paint",
    ),
    "glass": ("windshield", "windscreen", "glass", "window", "glazing", "glazed", "glazier"),
    "liability": (
        "liability",
        "liable",
        "third-party claim",
        "sued",
        "lawsuit",
        "compensation",
        "slipped",
        "tripped",
        "claim against me",
        "asking me to pay",
        "personal injury claim",
    ),
    "medical": (
        "medical",
        "hospital",
        "clinic",
        "doctor",
        "treated",
        "treatment",
        "injur",
        "fracture",
        "illness",
        r"ill\b",
        "fever",
        "sick",
        "urgent care",
        "emergency department",
        "emergency room",
        "ambulance",
        "medication",
        "surgery",
        "physio",
        "x-ray",
        "ultrasound",
        "poisoning",
        "infection",
        "allergic",
        "reaction",
        "sting",
    ),
    "other": (),
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


def _types_in(words: str) -> list[IncidentType]:
    lowered = f" {words.lower().replace('_', ' ')} "
    found = []
    for kind, keywords in KEYWORDS.items():
        if kind == "other":
            continue  # "the other driver" describes no incident
        if kind.replace("_", " ") in lowered or any(
            re.search(r"(?<![\w-])" + k, lowered) for k in keywords
        ):
            found.append((_first(lowered, kind, keywords), kind))
    return [kind for _, kind in sorted(found)]


def _first(lowered: str, kind: str, keywords: tuple[str, ...]) -> int:
    positions = [lowered.find(kind.replace("_", " "))] + [
        m.start() for k in keywords if (m := re.search(r"(?<![\w-])" + k, lowered))
    ]
    return min(p for p in positions if p >= 0)


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


def described_types(text: str) -> list[IncidentType]:
    """Types the document has a word for, first mentioned first (unticked options left out)."""
    _, _, kept = _options(text)
    return _types_in(kept)
