"""Read every money amount a document writes, in any notation and currency.

`money_in_text(text)` returns each mention with its value (a `Decimal`), its currency (an
ISO 4217 code, `"$"` for a dollar of unnamed country, or None when nothing says) and
where it is, so the checks can ask what the document says *around* an amount.

What it reads, without knowing the document's country:

- separators: `15,750.00`, `1.250,00`, `1 890,00`, `3'400.50`, `849.99`, `12.500` (a
  group of three after the last separator is a thousands group, not cents);
- currencies before or after, with or without a space: `£2,340`, `USD 2,710`, `2.980 €`,
  `R 18 450,00`, `NZ$4,780`, `C$1,215.40`, `¥1,280,000`, `CHF 1,320.00`, `15750 USD`, and
  words (`dollars`, `euros`, `pounds`, ...); a currency named in the line's label counts
  too (`Total due (EUR): 849.99`);
- amounts in words (`five thousand three hundred dollars`);
- a bare number only when it looks like money: it has cents (`120.00`) or a money word
  labels it (`Amount claimed: 3180`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .keys import key_words

__all__ = [
    "CURRENCY_CODES",
    "LABEL_REACH",
    "Money",
    "amount_words",
    "line_before",
    "money_in_text",
    "parse_number",
]

# Symbols and prefixes, longest first so "NZ$" wins over "$".
_SYMBOLS: dict[str, str] = {
    "US$": "USD",
    "USD$": "USD",
    "CA$": "CAD",
    "CAD$": "CAD",
    "C$": "CAD",
    "AU$": "AUD",
    "AUD$": "AUD",
    "A$": "AUD",
    "NZ$": "NZD",
    "NZD$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
    "MX$": "MXN",
    "$": "$",
    "£": "GBP",
    "€": "EUR",
    "¥": "JPY",
    "￥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "zł": "PLN",
    "Rs.": "INR",
    "Rs": "INR",
    "Fr.": "CHF",
    "SFr.": "CHF",
    "Kč": "CZK",
    "₺": "TRY",
    "TL": "TRY",
    "Ft": "HUF",
    "kr.": "kr",
    "kr": "kr",
}
CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "CHF",
        "CAD",
        "AUD",
        "NZD",
        "JPY",
        "ZAR",
        "MXN",
        "INR",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "BRL",
        "CNY",
        "HKD",
        "SGD",
        "ISK",
        "RON",
        "BGN",
        "TRY",
        "ILS",
        "AED",
        "SAR",
        "KRW",
        "THB",
        "PHP",
        "MYR",
        "IDR",
        "ARS",
        "CLP",
        "COP",
        "PEN",
    ]
)
_WORDS: dict[str, str] = {
    "dollars": "$",
    "dollar": "$",
    "bucks": "$",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pound": "GBP",
    "sterling": "GBP",
    "quid": "GBP",
    "francs": "CHF",
    "rand": "ZAR",
    "yen": "JPY",
    "pesos": "MXN",
    "rupees": "INR",
    "kronor": "SEK",
    "kroner": "kr",
    "złoty": "PLN",
    "zloty": "PLN",
}
# Words that make a bare number on the same line money ("Amount claimed: 3180").
_MONEY_LABEL = re.compile(
    r"\b(amount|total|sum|cost|costs|price|value|estimate|estimated|quote|quoted|quotation|"
    r"invoice|bill|billed|charged|paid|pay|claim|claimed|claiming|loss|damages|excess|"
    r"deductible|premium|limit|fee|fees|due|refund|reimburse\w*|montant|importe|betrag|"
    # an amount, a sum or a deductible in the languages the label reader knows
    r"importo|bedrag|valor|montante|belopp|beløb|beløp|kwota|částka|castka|tutar|summa|suma|"
    r"kingaku|korvaus|franquia|franquicia|franchigia|selbstbeteiligung|selvrisiko|självrisk|"
    r"egenandel|omavastuu|muafiyet|spoluúčast|spoluucast)\b",
    re.IGNORECASE,
)

# A money word right before the number: "Amount claimed: 3180", "total of 3180".
_LABEL_JUST_BEFORE = re.compile(
    _MONEY_LABEL.pattern
    + r"[^\w.!?]{0,4}(?:\(?[A-Z]{3}\)?[^\w.!?]{0,3})?(?:(?:of|is|was|at)\s+)?$",
    re.IGNORECASE,
)

_SEP = r"[.,'’\u00a0\u202f ]"
# A number as money writes it: grouped (1,250.00 / 1.250,00 / 1 890,00) or plain (849.99).
_NUMBER = rf"(?:\d{{1,3}}(?:{_SEP}\d{{3}})+(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?)"
_symbol_alt = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_code_alt = "|".join(sorted(CURRENCY_CODES))
_word_alt = "|".join(sorted(_WORDS, key=len, reverse=True))
# Not inside a longer number, a date (19.04.2024), an id (HX88213) or a time.
_START = r"(?<![\w.,/:'’-])"
_END = r"(?![\w/]|[.,:'’-]\d)"
_BEFORE = re.compile(
    rf"(?:(?P<sym>{_symbol_alt})|(?<![A-Za-z])(?P<code>{_code_alt})\b|(?<![A-Za-z])(?P<rand>R)(?=\s?\d))"
    rf"\s?(?P<num>{_NUMBER})(?P<k>[kK]\b)?{_END}"
)
_AFTER = re.compile(
    rf"{_START}(?P<num>{_NUMBER})(?P<k>[kK])?\s?"
    rf"(?:(?P<sym>€|£|¥|zł|kr\b|Kč|₺|TL\b|Ft\b|\$)|(?P<code>{_code_alt})\b|(?P<word>{_word_alt})\b)",
    re.IGNORECASE,
)
_BARE = re.compile(rf"{_START}(?P<num>{_NUMBER}){_END}")


@dataclass(frozen=True, slots=True)
class Money:
    """One amount as the document writes it."""

    value: Decimal
    currency: str | None  # ISO code; "$" or "kr" when the country is not said; None: unsaid
    start: int
    end: int
    text: str


def parse_number(raw: str) -> Decimal | None:
    """A number in any grouping convention: "1.250,00" -> 1250.00, "12.500" -> 12500."""
    digits = re.sub(r"[\u00a0\u202f '’]", "", raw.strip())
    last = max(digits.rfind("."), digits.rfind(","))
    if last == -1:
        whole, cents = digits, ""
    elif len(digits) - last - 1 in (1, 2):  # cents
        whole, cents = digits[:last], digits[last + 1 :]
    else:  # the last separator groups thousands
        whole, cents = digits, ""
    whole = re.sub(r"[.,]", "", whole)
    if not whole.isdigit():
        return None
    try:
        value = Decimal(whole)
        if cents:
            value += Decimal(cents.ljust(2, "0")) / 100
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01"))


# Labels are short ("Total due (EUR):", "Montant réclamé :"), so a number's label is read
# from at most this many characters back on its line: reading the whole line before every
# number made one long line of amounts quadratic to read.
LABEL_REACH = 80


def line_before(text: str, start: int) -> str:
    """The text before `start` on its line, at most `LABEL_REACH` characters of it."""
    floor = max(0, start - LABEL_REACH)
    newline = text.rfind("\n", floor, start)
    return text[newline + 1 if newline >= 0 else floor : start]


def _line_label(text: str, start: int) -> str:
    """The words before a number on its line, an export's key as words (keys.py):
    `<pozadovana_castka mena="CZK">` -> `pozadovana castka CZK: `."""
    return key_words(line_before(text, start))


# A short field name ending the line's words ("valor Solicitado BRL: ", an export's key):
# a money word anywhere in it makes the number money, unless it names a number or a code.
_KEY = re.compile(r"(?:^|[\s\[{;,|])(?P<key>[^\W\d]\w*(?: [^\W\d]\w*){0,3})\s*:\s*$")
_NOT_MONEY_KEY = re.compile(
    r"\b(?:no|nr|number|num|ref|reference|id|code|phone|tel|year|count|qty|quantity)\b",
    re.IGNORECASE,
)


def _money_key(label: str) -> bool:
    key = _KEY.search(label)
    if key is None:
        return False
    words = key.group("key")
    return bool(_MONEY_LABEL.search(words)) and not _NOT_MONEY_KEY.search(words)


def _label_currency(label: str) -> str | None:
    """A currency the line's label names: "Total due (EUR):", "Amount in GBP"."""
    codes = re.findall(rf"(?<![A-Za-z])({_code_alt})(?![A-Za-z])", label)
    symbols = [s for s in ("€", "£", "¥") if s in label]
    found = {*codes, *(_SYMBOLS[s] for s in symbols)}
    return found.pop() if len(found) == 1 else None


class _Taken:
    """The characters an amount or a date already holds. Asking costs the length of the
    span asked about, not the number of spans held: a list of spans, searched for every
    amount, made a ledger of thousands of amounts quadratic to read. (A span holds the
    characters it covers, so an empty span holds none and overlaps nothing.)"""

    def __init__(self, size: int, spans: Sequence[tuple[int, int]]) -> None:
        self._held = bytearray(size)
        for start, end in spans:
            self.hold(start, end)

    def hold(self, start: int, end: int) -> None:
        start, end = max(0, start), min(end, len(self._held))
        if start < end:
            self._held[start:end] = b"\x01" * (end - start)

    def overlaps(self, start: int, end: int) -> bool:
        return self._held.find(1, start, end) != -1


def money_in_text(text: str, *, not_in: Sequence[tuple[int, int]] = ()) -> list[Money]:
    """Every money amount in `text`, in order of appearance (one per place it is written).

    Args:
        not_in: spans that hold something else (the dates a date reader found), so a day
            of the month is never read as an amount.
    """
    found: dict[tuple[int, int], Money] = {}
    taken = _Taken(len(text), not_in)

    def add(start: int, end: int, num_raw: str, k: str | None, currency: str | None) -> None:
        if taken.overlaps(start, end):
            return
        value = parse_number(num_raw)
        if value is None:
            return
        if k:
            value = (value * 1000).quantize(Decimal("0.01"))
        found[start, end] = Money(value, currency, start, end, text[start:end])
        taken.hold(start, end)

    for m in _BEFORE.finditer(text):
        currency = _SYMBOLS[m.group("sym")] if m.group("sym") else m.group("code") or "ZAR"
        add(m.start(), m.end(), m.group("num"), m.group("k"), currency)
    for m in _AFTER.finditer(text):
        if m.group("sym"):
            currency = _SYMBOLS.get(m.group("sym"), m.group("sym"))
        elif m.group("code"):
            currency = m.group("code").upper()
        else:
            currency = _WORDS[m.group("word").lower()]
        add(m.start(), m.end(), m.group("num"), m.group("k"), currency)
    for m in _WORDS_AMOUNT.finditer(text):
        number = _words_to_number(m.group("words"))
        cents = _cents(m.group("cents"))
        if number is not None and cents is not None:
            start, end = m.start(), m.end()
            if not taken.overlaps(start, end):
                value = (Decimal(number) + Decimal(cents) / 100).quantize(Decimal("0.01"))
                found[start, end] = Money(
                    value, _WORDS.get(m.group("unit").lower(), "$"), start, end, text[start:end]
                )
                taken.hold(start, end)
    for m in _BARE.finditer(text):
        raw = m.group("num")
        label = _line_label(text, m.start())
        has_cents = bool(re.search(r"[.,]\d{2}$", raw))
        labelled = (
            bool(_LABEL_JUST_BEFORE.search(label) or _money_key(label)) and len(raw.strip("0")) >= 2
        )
        if not (has_cents or labelled) or _looks_like_a_year(raw) or _a_day(text, m.end()):
            continue
        add(m.start(), m.end(), raw, None, _label_currency(label))
    return [found[key] for key in sorted(found)]


def _a_day(text: str, end: int) -> bool:
    """A number followed by a month's name is a day of a date without its year ("the
    revised quote of 15 April"), not an amount."""
    from .dates import MONTH_NAME

    return bool(MONTH_NAME.match(text, end))


def _looks_like_a_year(raw: str) -> bool:
    return raw.isdigit() and len(raw) == 4 and raw.startswith(("19", "20"))


# ------------------------------------------------------------------ amounts in words

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
NUMBER_WORDS = frozenset([*_UNITS, *_TENS, *_SCALES])  # the English words of a number
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, *_SCALES, "and", "a"])
_CENT_WORD = "|".join([*_UNITS, *_TENS])
# "... dollars and forty cents", "... euros and 40 cents": the cents belong to the amount.
_WORDS_AMOUNT = re.compile(
    rf"\b(?P<words>(?:(?:{_NUMBER_WORD})[\s-]+)+)(?:us\s+)?(?P<unit>{_word_alt})\b"
    rf"(?:,?\s+and\s+(?P<cents>(?:(?:{_CENT_WORD})[\s-]*){{1,2}}|\d{{1,2}})\s*(?:cents?|c)\b)?",
    re.IGNORECASE,
)


def _words_to_number(words: str) -> int | None:
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if not word or word in ("and", "a"):
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
    number = total + current
    return number if seen and number > 0 else None


def _cents(words: str | None) -> int | None:
    """Cents written after an amount in words ("forty", "40"); 0 when none are written."""
    if words is None:
        return 0
    number = int(words) if words.strip().isdigit() else _words_to_number(words)
    return number if number is not None and number < 100 else None


def amount_words(value: int) -> str:
    """Write a whole amount in words: 2400 -> "two thousand four hundred" (for datasets)."""
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
