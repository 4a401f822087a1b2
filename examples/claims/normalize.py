"""Normalise the ways a claim document writes money, dates and names.

The grounding checks compare an extracted value with *every* value of that kind
the document mentions, so each function here returns all candidates it can read,
in canonical form: amounts as `Decimal` (cents), dates as `datetime.date`, names
as lower-case, single-spaced strings. A numeric date like 03/04/2025 is read both
ways (US and European): grounding asks "could the document mean this?", not
"which did it mean?".
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "amount_words",
    "amounts_in_text",
    "dates_in_text",
    "deductible_amounts",
    "normalize_name",
    "parse_amount",
    "reporting_dates",
    "text_contains_name",
]

# ---------------------------------------------------------------------------- amounts

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_CURRENCY_BEFORE = re.compile(r"(?:US\$|\$|USD\s?)\s?" + _NUM, re.IGNORECASE)
_CURRENCY_AFTER = re.compile(_NUM + r"\s?(?:USD|US dollars|dollars|bucks)\b", re.IGNORECASE)

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, *_SCALES, "and"])
_WORDS_AMOUNT = re.compile(
    rf"\b((?:(?:{_NUMBER_WORD})[\s-]+)+)(?:us\s+)?dollars\b",
    re.IGNORECASE,
)


def _decimal(whole: str, cents: str | None) -> Decimal:
    value = Decimal(whole.replace(",", ""))
    if cents:
        value += Decimal(cents.ljust(2, "0")) / 100
    return value.quantize(Decimal("0.01"))


def _words_to_number(words: str) -> int | None:
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if not word or word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def amounts_in_text(text: str) -> set[Decimal]:
    """Every money amount the text writes: "$15,750", "15750 USD", "fifteen ... dollars"."""
    found: set[Decimal] = set()
    for pattern in (_CURRENCY_BEFORE, _CURRENCY_AFTER):
        for m in pattern.finditer(text):
            found.add(_decimal(m.group(1), m.group(2)))
    for m in _WORDS_AMOUNT.finditer(text):
        number = _words_to_number(m.group(1))
        if number is not None:
            found.add(Decimal(number).quantize(Decimal("0.01")))
    return found


def parse_amount(value: float | int | str | Decimal) -> Decimal | None:
    """One amount in canonical form; None when it is not a number at all."""
    if isinstance(value, str):
        found = amounts_in_text(value)
        if len(found) == 1:
            return found.pop()
        value = value.replace(",", "").strip().lstrip("$")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def amount_words(value: int) -> str:
    """Write a whole amount in words: 2400 -> "two thousand four hundred" (for the dataset)."""
    if value == 0:
        return "zero"
    units = {v: k for k, v in _UNITS.items()}
    tens = {v: k for k, v in _TENS.items()}

    def below_thousand(n: int) -> list[str]:
        out: list[str] = []
        if n >= 100:
            out += [units[n // 100], "hundred"]
            n %= 100
            if n:
                out.append("and")
        if n >= 20:
            out.append(tens[n - n % 10] + (f"-{units[n % 10]}" if n % 10 else ""))
        elif n:
            out.append(units[n])
        return out

    parts: list[str] = []
    for scale, name in ((1_000_000, "million"), (1_000, "thousand")):
        if value >= scale:
            parts += [*below_thousand(value // scale), name]
            value %= scale
    parts += below_thousand(value)
    return " ".join(parts)


# ---------------------------------------------------------------------------- dates

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+(\d{{4}})\b", re.IGNORECASE)
_DAY_FIRST = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE)


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(number for full, number in _MONTHS.items() if full.startswith(name[:3]))


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dates_in_text(text: str) -> set[date]:
    """Every calendar date the text writes, in ISO, numeric, or month-name forms."""
    found: set[date | None] = set()
    for m in _ISO.finditer(text):
        found.add(_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        found.add(_date(year, a, b))  # 03/14/2025, US order
        found.add(_date(year, b, a))  # 14/03/2025, day first
    for m in _MONTH_FIRST.finditer(text):
        found.add(_date(int(m.group(3)), _month(m.group(1)), int(m.group(2))))
    for m in _DAY_FIRST.finditer(text):
        found.add(_date(int(m.group(3)), _month(m.group(2)), int(m.group(1))))
    return {d for d in found if d is not None}


# ------------------------------------------------------------ labelled values

# Values the document itself labels as something other than the claim's: the
# deductible is an amount, the day a claim was reported is a date.
_DEDUCTIBLE = re.compile(r"deductible(?: is| of|:)?", re.IGNORECASE)
_REPORTED = re.compile(
    r"(?:received|reported:|reported on|date reported|submitted on|submitted:|filed on|sent on)",
    re.IGNORECASE,
)


def _after(label: re.Pattern[str], text: str, width: int) -> list[str]:
    return [text[m.end() : m.end() + width].split("\n")[0] for m in label.finditer(text)]


def deductible_amounts(text: str) -> set[float]:
    return {float(a) for snippet in _after(_DEDUCTIBLE, text, 24) for a in amounts_in_text(snippet)}


def reporting_dates(text: str) -> set[str]:
    return {
        d.isoformat() for snippet in _after(_REPORTED, text, 40) for d in dates_in_text(snippet)
    }


# ---------------------------------------------------------------------------- names


def normalize_name(name: str) -> str:
    """Lower-case, single-spaced, without punctuation: "  O'Neil,  Ana " -> "o neil ana"."""
    return " ".join(re.sub(r"[^\w]+", " ", name.lower()).split())


def text_contains_name(text: str, name: str) -> bool:
    """True when the name appears in the text as whole words (case-insensitive).

    Forms write "Surname, Given name", so the reversed order counts too.
    """
    words = normalize_name(name).split()
    if not words:
        return False
    haystack = f" {normalize_name(text)} "
    # Every rotation: "o brien fatima" is "Fatima O'Brien" written surname first.
    orders = [words[k:] + words[:k] for k in range(len(words))]
    return any(f" {' '.join(order)} " in haystack for order in orders)
