"""References read out, as a call transcript or a voicemail writes them.

A caller spells a policy number rather than writing it: "P-O-L dash four four eight two
dash K", "H F space two two dash zero eight one", "Q R four one nine double zero six". A
transcript keeps the words. `spelled_ids` finds each such run and writes the reference it
spells ("POL-4482-K", "HF 22-081", "QR419006"), with where the run is. A run needs three
digits or more, said as words, so that ordinary prose ("one or two", "a four-door car")
spells nothing. Digit words are read in the languages the readers know; the articles that
are also a digit ("un", "een", "ein", "une") are not, so a sentence is not a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SpelledId", "spelled_ids"]

_DIGITS = {
    "0": "zero oh nought nil zéro null cero nul",
    "1": "one eins uno",
    "2": "two deux zwei dos twee due",
    "3": "three trois drei tres drie tre",
    "4": "four quatre vier cuatro quattro",
    "5": "five cinq fünf funf cinco vijf cinque",
    "6": "six sechs seis zes sei",
    "7": "seven sept sieben siete zeven sette",
    "8": "eight huit acht ocho otto",
    "9": "nine neuf neun nueve negen nove",
}
_DIGIT_OF = {word: digit for digit, words in _DIGITS.items() for word in words.split()}
_REPEAT = {"double": 2, "triple": 3, "doppel": 2, "dubbel": 2, "doble": 2}
_SEPARATOR_OF = {
    **dict.fromkeys(
        [
            "dash",
            "hyphen",
            "minus",
            "tiret",
            "bindestrich",
            "strich",
            "guion",
            "guión",
            "streepje",
            "trattino",
        ],
        "-",
    ),
    **dict.fromkeys(["slash", "stroke", "barre", "schrägstrich", "barra"], "/"),
    **dict.fromkeys(["dot", "point", "punkt", "punto", "punt"], "."),
    **dict.fromkeys(["space", "leerzeichen", "espace", "espacio", "spatie", "spazio"], " "),
}
# A token of a spelled run: a capital letter or two or three ("P", "HK"), letters spelled
# with hyphens ("P-O-L"), a digit word, "double"/"triple", or a separator word.
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d")
_GAP = re.compile(r"[ \t,]*|[ \t]*-[ \t]*")


@dataclass(frozen=True, slots=True)
class SpelledId:
    """A reference spelled out: what it spells, and where the words are."""

    value: str
    start: int
    end: int


def _part(word: str) -> tuple[str, str] | None:
    """("letters"|"digit"|"repeat"|"sep", what it writes), or None if it spells nothing."""
    lower = word.lower()
    if lower in _DIGIT_OF:
        return ("digit", _DIGIT_OF[lower])
    if lower in _REPEAT:
        return ("repeat", str(_REPEAT[lower]))
    if lower in _SEPARATOR_OF:
        return ("sep", _SEPARATOR_OF[lower])
    if re.fullmatch(r"[A-Z]{1,3}|[A-Z](?:-[A-Z])+", word):
        return ("letters", word.replace("-", ""))
    return None


def spelled_ids(text: str) -> list[SpelledId]:
    """Every reference `text` spells out word by word, in order."""
    found = []
    tokens = list(_TOKEN.finditer(text))
    n = 0
    while n < len(tokens):
        run, stop = _run(text, tokens, n)
        if run is None:
            # Every later start before `stop` reads a suffix of the same run, which has no
            # more digits or letters than the whole: it is rejected too, so skip to `stop`
            # (rescanning from each token made a long run of "AB AB AB ..." quadratic).
            n = max(stop, n + 1)
            continue
        value, start, end, used = run
        found.append(SpelledId(value, start, end))
        n += used
    return found


def _run(
    text: str, tokens: list[re.Match[str]], n: int
) -> tuple[tuple[str, int, int, int] | None, int]:
    """The reference spelled from token `n` (value, start, end, tokens used) or None, and
    the index of the token the run stopped before."""
    parts: list[tuple[str, str, re.Match[str]]] = []
    k = n
    while k < len(tokens):
        if parts and not _GAP.fullmatch(text[parts[-1][2].end() : tokens[k].start()]):
            break
        part = _part(tokens[k].group(0))
        if part is None:
            break
        parts.append((*part, tokens[k]))
        k += 1
    # A run ends on a letter or a digit, not on a separator or a "double" with nothing after.
    last = len(parts)
    while last and parts[last - 1][0] in ("sep", "repeat"):
        last -= 1
    first = 0
    while first < last and parts[first][0] == "sep":
        first += 1
    parts = parts[first:last]
    digits = sum(kind == "digit" for kind, _, _ in parts)
    if digits < 3:
        return None, k
    written = []
    repeat = 1
    for kind, what, _ in parts:
        if kind == "repeat":
            repeat = int(what)
            continue
        written.append(what * repeat if kind == "digit" else what)
        repeat = 1
    value = " ".join("".join(written).split())
    if sum(c.isalnum() for c in value) < 5:
        return None, k
    return (value, parts[0][2].start(), parts[-1][2].end(), len(parts)), k
