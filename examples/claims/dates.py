"""Read every calendar date a document writes, in any common format, with where it is.

`dates_in_text(text)` returns one `DateMention` per place a full date is written (day,
month and year). Formats: ISO (`2024-03-05`, `2024/03/05`), numeric with `/`, `.` or `-`
and two- or four-digit years (`05/03/2024`, `5.3.24`), month names in English, French,
Spanish, German and Italian (`5 March 2024`, `March 5th, 2024`, `Mar. 5 2024`,
`12 octobre 2024`, `5-Mar-2024`), and day ordinals in words (`the seventh of May 2024`).

A numeric date whose day and month could be swapped (`03/04/2024`) has two readings.
`numeric_order(text)` decides which the document uses, from its own unambiguous dates
(`25/03/2024` is day first) or else from its currency (US documents write month first;
most others day first); without either, both readings stay possible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["DateMention", "dates_in_text", "numeric_order", "readings"]

Order = Literal["dmy", "mdy"]

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan janvier janv enero ene januar gennaio gen",
        "february feb février fevrier févr fev febrero febr februar febbraio",
        "march mar mars marzo märz marz",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio mag",
        "june jun juin junio juni giugno giu",
        "july jul juillet juil julio juli luglio lug",
        "august aug août aout agosto ago",
        "september sep sept septembre septiembre setiembre settembre set",
        "october oct octobre octubre oktober ottobre ott okt",
        "november nov novembre noviembre",
        "december dec décembre decembre déc diciembre dic dezember dez dicembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_ORDINALS = {
    word: n
    for n, word in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}
for _n, _word in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"], 1
):
    _ORDINALS[f"twenty-{_word}"] = 20 + _n
    _ORDINALS[f"twenty {_word}"] = 20 + _n
_ORDINALS.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31})

_MONTH = "(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
# A month's name right after a number ("15 April", "3 de mayo"): money.py skips such days.
MONTH_NAME = re.compile(rf"\s+(?:of\s+|de\s+)?{_MONTH}\b", re.IGNORECASE)
_ORDINAL_WORD = "(" + "|".join(sorted(map(re.escape, _ORDINALS), key=len, reverse=True)) + ")"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|º|°)?"
_YEAR = r"(\d{4})"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-]*\d)"), "ymd"),
    (re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d/.-]*\d)"), "num"),
    (
        re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+(?:de\s+)?{_YEAR}\b", re.IGNORECASE),
        "mdy",
    ),
    (
        re.compile(
            rf"\b{_DAY}(?:\s+of|\s+de|\.)?[\s-]+{_MONTH}(?:,|\s+de|-)?\s*{_YEAR}\b", re.IGNORECASE
        ),
        "dmy",
    ),
    (
        re.compile(
            rf"\b(?:the\s+)?{_ORDINAL_WORD}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE
        ),
        "wmy",
    ),
    (
        re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_ORDINAL_WORD},?\s+{_YEAR}\b", re.IGNORECASE),
        "mwy",
    ),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date as the document writes it; `options` holds both readings of 03/04/2024."""

    options: tuple[date, ...]
    start: int
    end: int
    text: str

    @property
    def ambiguous(self) -> bool:
        return len(self.options) > 1


def _date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(name: str) -> int:
    return _MONTHS[name.lower().rstrip(".")]


def dates_in_text(text: str) -> list[DateMention]:
    """Every full date in `text`, in order of appearance."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            options = _options(kind, m.groups())
            if options:
                found.append(DateMention(options, m.start(), m.end(), m.group(0)))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def _options(kind: str, groups: tuple[str, ...]) -> tuple[date, ...]:
    if kind == "ymd":
        one = _date(int(groups[0]), int(groups[1]), int(groups[2]))
        return (one,) if one else ()
    if kind == "num":
        a, b, year = int(groups[0]), int(groups[1]), int(groups[2])
        readings = [_date(year, b, a), _date(year, a, b)]  # day first, then month first
        return tuple(dict.fromkeys(d for d in readings if d is not None))
    if kind == "mdy":
        one = _date(int(groups[2]), _month(groups[0]), int(groups[1]))
    elif kind == "dmy":
        one = _date(int(groups[2]), _month(groups[1]), int(groups[0]))
    elif kind == "wmy":
        one = _date(int(groups[2]), _month(groups[1]), _ORDINALS[groups[0].lower()])
    else:  # "mwy"
        one = _date(int(groups[2]), _month(groups[0]), _ORDINALS[groups[1].lower()])
    return (one,) if one else ()


_MONTH_FIRST_CURRENCY = re.compile(r"US\$|\bUSD\b|(?<![A-Z])\$\s?\d")
_DAY_FIRST_CURRENCY = re.compile(
    r"[£€₹]|\b(?:GBP|EUR|CHF|ZAR|AUD|NZD|INR|SEK|NOK|DKK|PLN|BRL|MXN)\b|\b(?:A|NZ|R)\$|\bR\s?\d"
)


def numeric_order(text: str, mentions: list[DateMention] | None = None) -> Order | None:
    """Whether the document writes numeric dates day first or month first; None if unsure."""
    votes = {"dmy": 0, "mdy": 0}
    for mention in mentions if mentions is not None else dates_in_text(text):
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}", mention.text)
        if m is None:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            votes["dmy"] += 1
        elif b > 12 >= a:
            votes["mdy"] += 1
    if votes["dmy"] != votes["mdy"]:
        return "dmy" if votes["dmy"] > votes["mdy"] else "mdy"
    # A currency of a day-first country outweighs a bare "$" (Australians write "$800" too).
    if _DAY_FIRST_CURRENCY.search(text):
        return "dmy"
    if _MONTH_FIRST_CURRENCY.search(text):
        return "mdy"
    return None


def readings(mention: DateMention, order: Order | None) -> tuple[date, ...]:
    """The readings of `mention` the document's order allows (both when it is unknown)."""
    if not mention.ambiguous or order is None:
        return mention.options
    day_first, month_first = mention.options
    return (day_first,) if order == "dmy" else (month_first,)
