"""One person, however a document spells or declines the name.

`same_person` compares names with and without their diacritics ("Ayse Yildiz" is "Ayşe
Yıldız", "Juergen Weiss" is "Jürgen Weiß") and in any word order; a woman's surname form
(Dvořáková, Kowalska, Nowakowa) is her own, never her husband's. `one_spelling_each` maps
the names a document writes to one spelling per person: the one with its diacritics, the
plain form of a name declined in a sentence ("Piotra Wiśniewskiego"), the full form of a
shortened Spanish or Portuguese name ("Lucía Ortega" for "Lucía Ortega Ruiz").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_name", "one_spelling_each", "same_person"]

# Letters NFKD does not take apart: "Yıldız" is "Yildiz", "Wałęsa" is "Walesa", "Søren"
# is "Soren", "Weiß" is "Weiss".
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "þ": "th",
        "ħ": "h",
    }
)
# German writes an umlaut without its dots as a following e: "Jürgen" is "Juergen".
_UMLAUT_E = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def normalize_name(name: str) -> str:
    """Lower-case, single-spaced, no punctuation or accents: "O'Neil,  Ana" -> "o neil ana",
    "Ayşe Yıldız" -> "ayse yildiz"."""
    plain = unicodedata.normalize("NFKD", name.translate(_FOLD))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain.lower()).split())


def _keys(name: str) -> set[tuple[str, ...]]:
    keys = {tuple(sorted(normalize_name(name).split()))}
    keys.add(tuple(sorted(normalize_name(name.translate(_UMLAUT_E)).split())))
    return keys


def same_person(a: str, b: str) -> bool:
    """Same words in any order, with or without their diacritics: "O'Brien, Fatima" is
    "Fatima O'Brien", "Ayse Celik" is "Ayşe Çelik", "Juergen Weiss" is "Jürgen Weiß". A
    surname's other form is another person: "Petr Dvořák" is not "Jana Dvořáková"."""
    return bool(_keys(a) & _keys(b))


# The case endings Polish, Czech and Slovak give a name in a sentence ("w imieniu Pana
# Piotra Wiśniewskiego" is Piotr Wiśniewski): a word is an inflected form of another when
# it is that word with one of these (feminine -a and adjectival -i/-y forms change their
# last letter first). A woman's surname (Dvořáková, Kowalska, Nowakowa) is a name of its
# own, never an inflection of a man's.
_MASCULINE_CASES = ("a", "u", "owi", "em", "ie", "ovi", "om")
_FEMININE_CASES = ("y", "i", "ie", "ę", "ą", "ej", "iej", "ou", "é", "u")
_ADJECTIVE_CASES = ("ego", "emu", "m", "ch", "ho", "mu")


def _inflects(word: str, base: str) -> bool:
    w, b = normalize_name(word), normalize_name(base)
    if w == b or len(b) < 3:
        return False
    if b[-1] in "iy":  # Wiśniewski -> Wiśniewskiego, Nový -> Nového
        stems = [b + e for e in _ADJECTIVE_CASES] + [
            b[:-1] + e for e in ("ego", "emu", "eho", "ému")
        ]
        return w in stems
    if b[-1] == "a":  # Kowalska -> Kowalskiej, Anna -> Anny
        return w in [b[:-1] + normalize_name(e) for e in _FEMININE_CASES]
    return w in [b + e for e in _MASCULINE_CASES]


def _inflected_form_of(name: str, base: str) -> bool:
    words, bases = name.split(), base.split()
    if len(words) != len(bases) or same_person(name, base):
        return False
    pairs = list(zip(words, bases, strict=True))
    return all(same_person(w, b) or _inflects(w, b) for w, b in pairs)


def _shortened_form_of(name: str, full: str) -> bool:
    """ "Lucía Ortega" is "Lucía Ortega Ruiz" (a given name and the first of two surnames,
    as Spanish and Portuguese names are shortened): same first word, the rest in order."""
    words, fulls = normalize_name(name).split(), normalize_name(full).split()
    if len(words) < 2 or len(fulls) < 3 or len(words) >= len(fulls) or words[0] != fulls[0]:
        return False
    rest = iter(fulls[1:])
    return all(w in rest for w in words[1:])


def one_spelling_each(names: list[str]) -> dict[str, str]:
    """Each name the document writes, mapped to the one spelling of that person: the same
    person written with and without diacritics is one ("Ayse Celik", "Ayşe Çelik": the
    spelling with them); a name in a sentence's case is its plain form ("Piotra
    Wiśniewskiego" is "Piotr Wisniewski" when the document also writes that)."""
    out: dict[str, str] = {}
    distinct = list(dict.fromkeys(names))
    for name in distinct:
        bases = [b for b in distinct if b != name and _inflected_form_of(name, b)]
        bases = bases or [b for b in distinct if _shortened_form_of(name, b)]
        if bases:
            out[name] = bases[0]
    for name in distinct:
        base = out.get(name, name)
        same = [n for n in distinct if same_person(n, base)]
        # the spelling that keeps its letters: "Wiśniewski" over "Wisniewski"
        best = max(same, key=lambda n: sum(not c.isascii() for c in n))
        out[name] = best
    for name in distinct:
        out[name] = out.get(out[name], out[name])
    return out
