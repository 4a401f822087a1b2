"""A structured export's field names as the words a label reader reads.

Portals and agencies export claims as JSON, XML, CSV or YAML, whose labels are keys:
`"claimedAmount": 4275.50`, `<dataSinistro>`, `data_szkody;`, `loss-date:`. Written as
words they are the labels a form writes (`claimed Amount`, `data Sinistro`, `data szkody`,
`loss date`), so the readers that know a form's labels know an export's too. This module
owns that translation; it says nothing about what any label means.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["as_field", "key_words", "plain"]

# An XML element's opening tag at the end of the words before its text, with its
# attributes: `<valor_reclamado moeda="BRL">` -> the name, and the attributes' values
# (a currency) as words after it.
_TAG = re.compile(r"<\s*(?P<name>[\w:.-]+)(?P<attrs>(?:\s+[\w:.-]+\s*=\s*\"[^\"<>]*\")*)\s*>\s*$")
_ATTR_VALUE = re.compile(r"=\s*\"([^\"<>]*)\"")
# A key's quotes and a mapping's punctuation: `"lossDate": "`, `{"amount": `.
_QUOTED_KEY = re.compile(r"[\"'](?P<key>[\w.-]+)[\"']\s*(?P<sep>[:=])\s*[\"']?\s*$")
# camelCase and PascalCase boundaries ("claimantName", "policyNo", "dataSinistro").
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])")
# snake_case and kebab-case joints between letters (not "2024-06-11", not "D6-HL-30417").
_JOINT = re.compile(r"(?<=[^\W\d])[_-]+(?=[^\W\d])")


def key_words(before: str) -> str:
    """The words before a value, with a trailing key or tag written as words:
    `  "claimedAmount": ` -> `  claimed Amount: `, `<pozadovana_castka mena="CZK">` ->
    `pozadovana castka CZK: `. Text that ends in no key keeps its words (joints split)."""
    tag = _TAG.search(before)
    if tag is not None:
        values = " ".join(_ATTR_VALUE.findall(tag.group("attrs")))
        words = _split(tag.group("name").split(":")[-1])
        return before[: tag.start()] + (f"{words} {values}".strip()) + ": "
    quoted = _QUOTED_KEY.search(before)
    if quoted is not None:
        return before[: quoted.start()] + _split(quoted.group("key")) + ": "
    return _split(before)


def _split(key: str) -> str:
    return _JOINT.sub(" ", _CAMEL.sub(" ", key))


def plain(text: str) -> str:
    """Lower case without accents, so `datum_udalosti` reads as `Datum události`."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# One field of an export on its line: `"claimType": "WATER_DAMAGE",`, `<tipoSinistro>
# INCENDIO</tipoSinistro>`, `claim-type: glass`.
_FIELD_LINE = re.compile(
    r"^\s*(?:[\"'](?P<key>[\w.-]+)[\"']\s*:\s*[\"']?(?P<value>[^\"'\n]*?)[\"']?\s*,?"
    r"|<(?P<tag>[\w:.-]+)[^<>]*>(?P<text>[^<>\n]*)</[\w:.-]+>"
    r"|(?P<ykey>[^\W\d][\w-]*)\s*:\s+(?P<yvalue>[^\n]*))\s*$"
)


def as_field(line: str) -> str:
    """An export's field line as a form writes it (`claim Type: WATER DAMAGE`); any other
    line as it is."""
    m = _FIELD_LINE.match(line)
    if m is None:
        return line
    if m.group("ykey"):
        key, value = m.group("ykey"), m.group("yvalue")
    elif m.group("key"):
        key, value = m.group("key"), m.group("value")
    else:
        key, value = m.group("tag").split(":")[-1], m.group("text")
    return f"{_split(key)}: {value.replace('_', ' ')}"
