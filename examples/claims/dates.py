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
# Month names and their usual abbreviations in English, French, Spanish, Italian,
# Portuguese, German, Dutch, Swedish, Danish, Norwegian, Polish (with the genitive a date
# uses: "14 stycznia"), Czech (genitive: "3. února") and Turkish (with and without its
# letters: "şubat", "subat").
for _number, _names in enumerate(
    [
        "january jan janvier janv enero ene januar gennaio gen janeiro januari jänner jaenner "
        "styczeń styczen stycznia leden ledna ocak",
        "february feb février fevrier févr fev febrero febr februar febbraio fevereiro "
        "februari feber luty lutego únor unor února unora şubat subat",
        "march mar mars marzo märz marz maart mrt março marco marts marzec marca březen brezen "
        "března brezna mart",
        "april apr avril avr abril abr aprile kwiecień kwiecien kwietnia duben dubna nisan",
        "may mai mayo maggio mag maio mei maj maja květen kveten května kvetna mayıs mayis",
        "june jun juin junio juni giugno giu junho czerwiec czerwca červen cerven června "
        "cervna haziran",
        "july jul juillet juil julio juli luglio lug julho lipiec lipca červenec cervenec "
        "července cervence temmuz",
        "august aug août aout agosto ago augustus augusti sierpień sierpien sierpnia srpen "
        "srpna ağustos agustos",
        "september sep sept septembre septiembre setiembre settembre set setembro wrzesień "
        "wrzesien września wrzesnia září zari eylül eylul",
        "october oct octobre octubre oktober ottobre ott okt outubro październik pazdziernik "
        "października pazdziernika říjen rijen října rijna ekim",
        "november nov novembre noviembre novembro listopad listopada listopadu kasım kasim",
        "december dec décembre decembre déc diciembre dic dezember dez dicembre dezembro "
        "desember grudzień grudzien grudnia prosinec prosince aralık aralik",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
# Abbreviations that are also everyday words ("set", "ago", "mar", "gen", "mag"): a date
# with its year is unmistakable, but one without a year takes only the others.
_WORDLIKE_MONTHS = frozenset({"set", "ago", "mar", "gen", "mag", "dez", "dic", "ott", "lug", "giu"})

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
_YEARLESS_MONTHS = sorted((m for m in _MONTHS if m not in _WORDLIKE_MONTHS), key=len, reverse=True)
_MONTH_NY = "(" + "|".join(map(re.escape, _YEARLESS_MONTHS)) + r")\.?"
_ORDINAL_WORD = "(" + "|".join(sorted(map(re.escape, _ORDINALS), key=len, reverse=True)) + ")"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|º|°)?"
_YEAR = r"(\d{4})"
# A digit as an OCR'd scan may space it out: "0 1 / 0 3 / 2 0 2 6", "10. 2. 2026".
_SD = r"\d ?\d?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # (with an export's ISO time, so "2024-06-15T18:40:02Z" is one date, not an id)
    (
        re.compile(
            r"(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-]*\d)"
            r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:]))?"
        ),
        "ymd",
    ),
    (
        re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4}|\d{2})(?![\d/.-]*\d)"),
        "num",
    ),
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
    (
        re.compile(
            rf"(?<![\d/.-])({_SD}) ?([/.-]) ?({_SD}) ?[/.-] ?(\d ?\d ?\d ?\d)(?![\d/.-]*\d)"
        ),
        "num",
    ),
]

# Dates written without their year: "14 februari", "Dienstag, 10. Februar", "le 3 mars",
# "9 de marzo", "October 3rd", "February seventh", "the 3rd of May", and a day alone
# ("on the ninth", "Tuesday the 3rd,") where what follows cannot be a noun ("on the first floor").
_AFTER_A_BARE_DAY = (
    r"(?=\s*[,.;:!?)\n]|\s*$|\s+(?:and|at|in|when|while|around|about|after|before|i|we|he|"
    r"she|they|it|my|his|her|our|their|the|a|an|someone|somebody|of this month)\b)"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day,?"
_YEARLESS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:the\s+)?{_DAY}(?:\s+of|\s+de|\.)?[\s-]+{_MONTH_NY}\b", re.I), "dm"),
    (re.compile(rf"\b(?:the\s+)?{_ORDINAL_WORD}\s+(?:of\s+)?{_MONTH_NY}\b", re.I), "wm"),
    (re.compile(rf"\b{_MONTH_NY}\s+(?:the\s+)?{_ORDINAL_WORD}\b", re.I), "mw"),
    (re.compile(rf"\b{_MONTH_NY}\s+(?:the\s+)?{_DAY}(?![\d:]|\.\d|,\d)", re.I), "md"),
    (
        re.compile(
            rf"\b(?:on\s+(?:{_WEEKDAY}\s+)?|{_WEEKDAY}\s+)the\s+(?:(\d{{1,2}})(?:st|nd|rd|th)|"
            rf"{_ORDINAL_WORD}){_AFTER_A_BARE_DAY}",
            re.I,
        ),
        "d",
    ),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date as the document writes it.

    `options` holds every reading: both of 03/04/2024 (`swappable`: day first, then month
    first), or the years a date written without one may have ("3 mars" in a letter of
    January 2026: 2025, or 2026 for a later event)."""

    options: tuple[date, ...]
    start: int
    end: int
    text: str
    swappable: bool = False
    year_written: bool = True

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
    """Every date in `text`, in order of appearance: the full ones, then those written
    without a year, which take theirs from the document's own full dates."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            groups = tuple(re.sub(r"\s", "", g) for g in m.groups())
            options = _options(kind, groups)
            if options:
                swappable = kind == "num" and len(options) == 2
                found.append(DateMention(options, m.start(), m.end(), m.group(0), swappable))
                taken.append((m.start(), m.end()))
    full = sorted(found, key=lambda d: d.start)
    order = numeric_order(text, full)
    for pattern, kind in _YEARLESS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            month_day = _month_day(kind, m)
            if month_day is None:
                continue
            options = _years(month_day, m.start(), full, order)
            if options:
                found.append(DateMention(options, m.start(), m.end(), m.group(0), False, False))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def _month_day(kind: str, m: re.Match[str]) -> tuple[int | None, int] | None:
    """(month, day) of a date without its year; month None for a day alone."""
    groups = m.groups()
    if kind == "d":
        day = int(groups[0]) if groups[0] else _ORDINALS[groups[1].lower()]
        return (None, day) if 1 <= day <= 31 else None
    month_word = groups[0] if kind in ("mw", "md") else groups[1]
    if month_word == "may":
        return None  # "may" in lower case is the verb ("the 2 may be"), not the month
    month = _month(month_word)
    if kind == "dm":
        day = int(groups[0])
    elif kind == "wm":
        day = _ORDINALS[groups[0].lower()]
    elif kind == "mw":
        day = _ORDINALS[groups[1].lower()]
    else:
        day = int(groups[1])
    return (month, day) if 1 <= day <= 31 else None


def _years(
    month_day: tuple[int | None, int], at: int, full: list[DateMention], order: Order | None
) -> tuple[date, ...]:
    """The dates a yearless mention may be, from the document's own full dates, never the
    clock: the nearest full date before it (the message's, the letter's) and the nearest
    after it (a form's date under the signature), each read as the last such day on or
    before that date, since an incident comes before the document that reports it."""
    before = [d for d in full if d.start < at][-1:]
    after = [d for d in full if d.start > at][:1]
    out: list[date] = []
    for reference in before + after:
        for ref in readings(reference, order):
            day = _on_or_before(month_day, ref)
            if day is not None and day not in out:
                out.append(day)
    return tuple(out)


def _on_or_before(month_day: tuple[int | None, int], ref: date) -> date | None:
    month, day = month_day
    if month is None:  # a day alone: this month, or the last one if that day is still to come
        month, year = (ref.month, ref.year) if day <= ref.day else _previous_month(ref)
        return _date(year, month, day)
    year = ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1
    return _date(year, month, day)


def _previous_month(ref: date) -> tuple[int, int]:
    return (12, ref.year - 1) if ref.month == 1 else (ref.month - 1, ref.year)


def _options(kind: str, groups: tuple[str, ...]) -> tuple[date, ...]:
    if kind == "ymd":
        one = _date(int(groups[0]), int(groups[1]), int(groups[2]))
        return (one,) if one else ()
    if kind == "num":
        a, separator, b, year = int(groups[0]), groups[1], int(groups[2]), int(groups[3])
        if separator == ".":
            # Dotted dates are day first wherever they are written ("4.2.26", "10. 2. 2026").
            one = _date(year, b, a)
            return (one,) if one else ()
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
    r"[£€₹₺]|zł|Kč|\b(?:GBP|EUR|CHF|ZAR|AUD|NZD|INR|SEK|NOK|DKK|PLN|CZK|HUF|TRY|RON|BGN|ISK|BRL|"
    r"MXN|TL|kr)\b|\b(?:A|NZ|R)\$|\bR\s?\d"
)


def numeric_order(text: str, mentions: list[DateMention] | None = None) -> Order | None:
    """Whether the document writes numeric dates day first or month first; None if unsure."""
    votes = {"dmy": 0, "mdy": 0}
    for mention in mentions if mentions is not None else dates_in_text(text):
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}", re.sub(r"\s", "", mention.text))
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
    if not mention.swappable or order is None:
        return mention.options
    day_first, month_first = mention.options
    return (day_first,) if order == "dmy" else (month_first,)
