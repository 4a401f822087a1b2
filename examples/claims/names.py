"""Find the people a document names, and write a name the one way the pipeline keeps it.

A claim document names people in many ways: "Thomas Whitaker", "Mrs Margaret Ellison",
"KOWALCZYK, Anna", "WATANABE Kenji", "Surname: MURPHY  Forename(s): Siobhan",
"Jean-Marc Lefebvre", "Declan O'Sullivan", "Lucía Fernández". `names_in_text` finds
every full name (a given name and a surname) with where it is; `canonical_name` writes
any of those forms as "Given Surname".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .nonnames import firm_label_or_fragment, not_a_name_word
from .spellings import normalize_name, one_spelling_each, same_person

__all__ = [
    "NameMention",
    "canonical_name",
    "names_in_text",
    "normalize_name",
    "one_spelling_each",
    "same_person",
    "text_contains_name",
]

# A word of letters, not glued to digits ("LS11" is a postcode, not the name "LS").
_WORD = re.compile(
    r"(?<![\w-])[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*(?![\d])"
)
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "da",
        "di",
        "du",
        "la",
        "le",
        "del",
        "della",
        "dos",
        "das",
        "do",
        "bin",
        "ben",
        "al",
        "el",
        "ter",
        "ten",
        "y",
    ]
)
# Polish "Pan"/"Pani" and Turkish "Bay" are forms of address before a full name, and a
# Chinese surname, a Scandinavian given name or a surname on their own.
_SOFT_TITLES = frozenset(["pan", "pani", "bay"])
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "sr",
        "sra",
        # Dutch, Italian, Spanish and Portuguese forms of address
        "mevrouw",
        "mevr",
        "dhr",
        "heer",
        "meneer",
        "signor",
        "signora",
        "sig",
        "sigra",
        "don",
        "doña",
        "señor",
        "señora",
        "senhor",
        "senhora",
        # Polish, Czech, Slovak and Turkish forms of address (and their cases): "Pana Piotra"
        "pana",
        "panią",
        "panem",
        "panu",
        "paní",
        "pán",
        "sayın",
        "bayan",
        # German, Scandinavian, Italian and Central European forms and degrees: "Herrn
        # Stefan Braun", "Fru Eriksson", "Dott.ssa", "Mgr. Jana Nová", "Ing. Petr Novák"
        "herrn",
        "fru",
        "hr",
        "dott",
        "dottssa",
        "mgr",
        "ing",
        "bc",
    ]
)


@dataclass(frozen=True, slots=True)
class NameMention:
    """A full name as the document writes it, and as the pipeline keeps it."""

    name: str  # canonical: "Given Surname"
    start: int
    end: int
    text: str


def _is_name_word(word: str) -> bool:
    if word.lower() in _TITLES or not_a_name_word(word):
        return False
    core = word.replace("'", "").replace("’", "").replace("-", "")
    if len(core) < 2 or not core[0].isupper():
        return False
    return word.isupper() or any(c.islower() for c in core)


def _title(word: str) -> str:
    """KOWALCZYK -> Kowalczyk, O'SULLIVAN -> O'Sullivan; mixed case stays as written."""
    if not word.isupper():
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word.lower())


def canonical_name(name: str) -> str:
    """ "KOWALCZYK, Anna" / "WATANABE Kenji" / "Mrs Anna Kowalczyk" -> "Anna Kowalczyk"."""
    name = " ".join(name.replace("\n", " ").split())
    if "," in name:
        surname, _, given = name.partition(",")
        name = f"{given.strip()} {surname.strip()}"
    words = [w for w in name.split() if w.lower().rstrip(".") not in _TITLES]
    # Surname first, marked by capitals: "WATANABE Kenji".
    if len(words) == 2 and words[0].isupper() and not words[1].isupper() and len(words[0]) > 1:
        words = [words[1], words[0]]
    return " ".join(_title(w) for w in words)


def names_in_text(text: str) -> list[NameMention]:
    """Every full name in `text` (two to four name words), in order of appearance."""
    found: list[NameMention] = []
    words = list(_WORD.finditer(text))
    n = 0
    while n < len(words):
        run = [words[n]]
        k = n + 1
        while k < len(words) and len(run) < 5:
            gap = text[run[-1].end() : words[k].start()]
            if gap not in (" ", "\u00a0"):
                break
            word = words[k].group(0)
            if not (_is_name_word(word) or word.lower() in _PARTICLES):
                break
            run.append(words[k])
            k += 1
        while run and run[-1].group(0).lower() in _PARTICLES:
            run.pop()
        if len(run) >= 3 and run[0].group(0).lower() in _SOFT_TITLES:
            run = run[1:]  # "Pan Piotr Nowak" (but "Wei Pan", "Pan Wei" are names)
        names = [w.group(0) for w in run]
        # Capitals right after a number are a postcode's letters ("1016 GC Amsterdam").
        postcode = bool(
            names and names[0].isupper() and re.search(r"\d[ \t]$", text[: run[0].start()][-2:])
        )
        if len(run) >= 2 and firm_label_or_fragment(text, run):
            n = k
            continue
        if len(run) >= 2 and _is_name_word(names[0]) and _plausible(names) and not postcode:
            start, end = run[0].start(), run[-1].end()
            if _surname_first_field(text, start) and canonical_name(" ".join(names)).split()[
                0
            ] == _title(names[0]):
                names = [names[-1], *names[:-1]]  # "(surname, first name): Brennan Aoife"
            found.append(NameMention(canonical_name(" ".join(names)), start, end, text[start:end]))
            n = k
        else:
            n += 1
    found += _surname_first(text)
    fields = _form_fields(text)
    found = [m for m in found if not any(f.start <= m.start < f.end for f in fields)]
    found += fields
    unique: dict[tuple[int, int], NameMention] = {}
    for mention in found:
        unique.setdefault((mention.start, mention.end), mention)
    return sorted(unique.values(), key=lambda m: m.start)


def _plausible(words: list[str]) -> bool:
    # A heading in capitals ("GLOBAL TRAVEL MEDICAL") is not a name; a name has at most
    # one word in capitals (the surname, as forms write it).
    return sum(w.isupper() for w in words) <= 1 and len(words) <= 4


_SURNAME_COMMA = re.compile(
    r"(?<![\w'’-])([^\W\d_]+(?:['’-][^\W\d_]+)*),[ \t]+([^\W\d_]+(?:-[^\W\d_]+)*(?:[ \t][^\W\d_]+)?)"
)


def _surname_first(text: str) -> list[NameMention]:
    """ "KOWALCZYK, Anna" (a surname in capitals, or after a name label)."""
    out = []
    for m in _SURNAME_COMMA.finditer(text):
        surname, given = m.group(1), m.group(2).split()
        given = [w for w in given if _is_name_word(w) and not w.isupper()][:2]
        if not given or not _is_name_word(surname) or given[0] != m.group(2).split()[0]:
            continue
        label = text[text.rfind("\n", 0, m.start()) + 1 : m.start()].lower()
        if surname.isupper() or re.search(
            r"(insured|name|holder|assuré|claimant|patient|member)\b[^\n]{0,12}$", label
        ):
            end = m.start(2) + len(" ".join(given))
            name = canonical_name(f"{surname}, {' '.join(given)}")
            out.append(NameMention(name, m.start(), end, text[m.start() : end]))
    return out


# A form's label that says the name is written surname first: "Insured person (surname,
# first name):", "Nom, prénom :", "Name, Vorname:", "Apellidos y nombre:".
_SURNAME_LABEL = (
    r"surname|last[ _-]?name|family[ _-]?name|nom(?:\s+de\s+famille)?|nachname|familienname|"
    r"apellidos?|achternaam|familienaam|cognome|sobrenome|apelidos?"
)
_GIVEN_LABEL = (
    r"forenames?|forename\(s\)|first[ _-]?names?|given[ _-]?names?|pr[ée]noms?|vornamen?|"
    r"nombres?|voornamen?|voornaam|nome|primeiro[ _-]nome"
)
_SURNAME_FIRST = re.compile(
    rf"(?:{_SURNAME_LABEL}|\bname)\s*[,/&]?\s*(?:and|y|und|en|et|e)?\s*(?:{_GIVEN_LABEL})\W{{0,4}}$",
    re.IGNORECASE,
)


def _surname_first_field(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_SURNAME_FIRST.search(text[max(line_start, start - 80) : start]))


# One of a form's name fields: "Surname: MURPHY", "last_name: Raghunathan", "Vorname:
# Katrin", "Apellidos: Márquez Olmedo", "Nom : Dubois"; the value ends at the line's end,
# at two spaces, or at the next field.
_NAME_LABEL = re.compile(
    rf"(?<![\w])(?:(?P<surname>{_SURNAME_LABEL}|name)|(?P<given>{_GIVEN_LABEL}))"
    r"\s*(?:\([^)\n]{0,24}\))?\s*[:=]\s*",
    re.IGNORECASE,
)
_VALUE = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:(?:[ '’-]|(?<=\w)\. )[^\W\d_][^\W\d_'’-]*)*")


def _form_fields(text: str) -> list[NameMention]:
    """A name a form splits over two fields, in either order, on one line or two:
    "Surname: MURPHY   Forename(s): Siobhan", "first_name: Priya / last_name: ...",
    "Vorname: ... Nachname: ...", "Nombre: ... Apellidos: ...". Kept as "Given Surname"."""
    fields: list[tuple[str, str, str, int, int]] = []  # kind, label, value, start, value end
    for m in _NAME_LABEL.finditer(text):
        value = _VALUE.match(text, m.end())
        words = _field_words(value.group(0), bool(m.group("surname"))) if value else []
        if words:
            kind = "surname" if m.group("surname") else "given"
            label = (m.group("surname") or m.group("given")).lower()
            end = text.find(words[-1], m.end()) + len(words[-1])
            fields.append((kind, label, " ".join(words), m.start(), end))
    out = []
    for kind, label, surname, start, end in fields:
        if kind != "surname":
            continue
        pairs = [
            f
            for f in fields
            if f[0] == "given"
            and abs(f[3] - start) <= 200
            and text.count("\n", min(f[3], start), max(f[3], start)) <= 2
            # German forms write "Name:" for the surname beside a "Vorname:".
            and (label != "name" or f[1].startswith(("vorname", "voorna", "prénom", "prenom")))
        ]
        if not pairs:
            continue
        given = min(pairs, key=lambda f: abs(f[3] - start))
        first, last = min(start, given[3]), max(end, given[4])
        name = canonical_name(f"{surname}, {given[2]}")
        out.append(NameMention(name, first, last, text[first:last]))
    return out


def _field_words(value: str, surname: bool) -> list[str]:
    """The name in a field's value: name words up to the next label or a non-name word."""
    words: list[str] = []
    for word in value.split():
        plain = word.rstrip(".")
        if re.fullmatch(rf"(?:{_SURNAME_LABEL}|{_GIVEN_LABEL})", plain, re.IGNORECASE):
            break
        # A surname may open with a particle: "Achternaam: de Vries".
        if not (_is_name_word(plain) or ((words or surname) and plain.lower() in _PARTICLES)):
            break
        words.append(plain)
    while words and words[-1].lower() in _PARTICLES:
        words.pop()
    if not any(_is_name_word(w) for w in words):
        return []
    return words[: 3 if surname else 2]


def text_contains_name(text: str, name: str) -> bool:
    """True when the full name appears in the text as whole words, in either order."""
    words = normalize_name(name).split()
    if len(words) < 2:
        return False
    if any(same_person(m.name, name) for m in names_in_text(text)):
        return True
    haystack = f" {normalize_name(text)} "
    orders = [words[k:] + words[:k] for k in range(len(words))]
    return any(f" {' '.join(order)} " in haystack for order in orders)
