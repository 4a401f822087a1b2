"""A second reader, built differently: what the document's own labels say each field is.

`reading.py` finds every value and gives it roles from the words in a window around it;
the candidates behind the model's choices come from there, so a check built on the same
reader agrees with it when it is wrong. This reader shares only the value parsers (what
`1.250,00` or `28/11/2023` is) and decides *which* value is a field's in another way: by
the label written right before it on its line, as a form, a table row, a note or a header
gives it (`DOL 11/28/2023`, `Insd: OKAFOR, Chidi`, `N° de police : ...`,
`| Amount claimed | NZD 3,480.00 |`). A value counts only when nothing but separators
stands between its label and it, and the label names the field in any of the languages
below. It finds nothing in free prose, and says so: it is evidence, not a reading.

The gate's `reading_is_conclusive` check holds the claim to it (see `checks.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from .dates import dates_in_text, numeric_order, readings
from .ids import id_key, ids_in_text
from .keys import key_words, plain
from .money import CURRENCY_CODES, money_in_text
from .names import names_in_text, normalize_name
from .superseded import OLD_POLICY

# Each field's labels, as the end of the words before a value (case-insensitive, matched
# without accents, an export's keys as words: see keys.py). English, French, German, Dutch,
# Italian, Spanish, Portuguese, Polish, Czech, Danish, Norwegian, Swedish, Finnish, Turkish,
# Japanese in romaji, and common abbreviations.
_LABELS = {
    "policy_id": r"""
        policy|pol|policy\s*(?:no|nr|n°|number|num|ref|reference|id)|pol\s*(?:no|nr|\#)
        |police|n°\s*de\s*police|numéro\s*de\s*police|polizza|n\.?\s*polizza|numero\s*(?:di\s*)?polizza
        |póliza|poliza|n[úu]mero\s*de\s*p[óo]liza|apólice|(?:n[úu]mero\s*(?:da\s*)?)?apolice|polis|polisnummer
        |versicherungsschein(?:nummer)?|policennummer|vertragsnummer|policy\s*\#
        |policy_(?:no|nr|number|num|ref|id)|police\s*(?:n°|nr\.?|no\.?)|polis\s*nr\.?|polisnr\.?
        |n°\s*de\s*contrat|numéro\s*de\s*contrat|contrat(?:\s*n°)?|contratto|n\.?\s*contratto
        |versicherungs(?:nummer|nr\.?)|polic?en[\s-]*(?:nr\.?|nummer)|polizzen(?:nummer|[\s-]*nr\.?)
        |(?:nr|numer)\s*polisy|polisa|c[ií]slo\s*(?:pojistn[eé]\s*)?smlouvy|c[ií]slo\s*pojistky
        |police\s*(?:nummer|nr|numarasi|no)|forsikrings(?:nummer|nr)|f[öo]rs[äa]krings(?:nummer|nr)
        |vakuutus(?:numero)?|sopimusnumero|sho?u?ken\s*bang[oō]u?|証券番号""",
    "incident_date": r"""
        date\s*of\s*(?:the\s*)?(?:loss|incident|accident|event|damage|theft|fire|occurrence)
        |dol|d\.o\.l|loss\s*date|incident\s*date|accident\s*date|date\s*of\s*loss/incident
        |event\s*date|occurrence\s*date|damage\s*date|date\s*loss
        |date\s*(?:and|&|/)\s*time\s*of\s*(?:the\s*)?(?:loss|incident|accident|event|damage)
        |(?:loss|incident|accident)\s*date\s*(?:and|&|/)\s*time
        |unfall(?:datum|tag)|tag\s*des\s*(?:unfalls|schadens)|datum\s*des\s*(?:unfalls|schadens)
        |date\s*de\s*survenance|date\s*(?:du\s*dommage|des\s*faits)|data\s*(?:dell['’])?accadimento
        |fecha\s*(?:de\s*los\s*hechos|del\s*da[ñn]o)|data\s*do\s*ocorrido
        |schadedatum|datum\s*(?:voorval|gebeurtenis)
        |date\s*du\s*sinistre|date\s*de\s*l['’]?(?:accident|incident|événement|evenement)
        |schadens?datum|schadentag|datum\s*(?:van\s*(?:de\s*)?)?(?:schade|het\s*incident|ongeval)
        |data\s*(?:del\s*|dell['’])?(?:sinistro|incidente|evento)|fecha\s*del\s*(?:siniestro|accidente|incidente)
        |fecha\s*(?:de\s*(?:la\s*)?)?(?:siniestro|accidente|incidente|ocurrencia)
        |data\s*(?:d[oa]\s*|de\s*)?(?:sinistro|ocorr[eê]ncia|acidente|evento)
        |when\s*did\s*it\s*happen|when\s*it\s*happened
        |data\s*(?:zdarzenia|szkody|wypadku)|datum\s*(?:ud[aá]losti|[sš]kody|[sš]kodn[ií]\s*ud[aá]losti|vzniku\s*[sš]kody|nehody)
        |skadedato|skadedatum|skadedag|vahinkop[äa]iv[äa](?:m[äa][äa]r[äa])?|vahingon\s*p[äa]iv[äa]m[äa][äa]r[äa]
        |hasar\s*tarihi|olay\s*tarihi|kaza\s*tarihi|(?:jiko\s*)?hassei\s*bi|jiko\s*bi|事故日|発生日""",
    "amount": r"""
        amount\s*claimed|claim\s*amount|claimed\s*amount|total\s*claimed|amount\s*of\s*(?:the\s*)?claim
        |total\s*claim|sum\s*claimed|montant\s*(?:total\s*)?(?:réclamé|reclame|demandé|du\s*sinistre)
        |importo\s*(?:totale\s*)?(?:richiesto|reclamato|del\s*sinistro)
        |amount\s*(?:of\s*(?:the\s*)?loss|requested)|loss\s*amount|claim\s*value
        |amount\s*to\s*be\s*(?:reimbursed|paid)|reimbursement\s*(?:requested|amount)
        |total\s*(?:amount\s*)?requested|gesamtforderung|erstattungsbetrag|schadens?summe
        |cuant[íi]a\s*reclamada|monto\s*(?:reclamado|solicitado)|te\s*vergoeden\s*bedrag|schadebedrag
        |krav(?:s)?bel[øo][bp]|erstatningskrav|ers[äa]ttningsanspr[åa]k|[żz][ąa]dana\s*kwota
        |v[ýy][šs]e\s*[šs]kody|hasar\s*tutar[ıi]|vaadittu\s*summa|haettava\s*korvaus|geforderter\s*betrag|schadenhöhe|schadenbetrag
        |geclaimd\s*bedrag|geclaimde\s*bedrag|gevraagd\s*bedrag|importe\s*(?:total\s*)?(?:reclamado|solicitado)
        |valor\s*(?:total\s*)?(?:reclamado|solicitado|do\s*sinistro)|kwota\s*(?:roszczenia|odszkodowania|szkody)|wnioskowana\s*kwota
        |po[zž]adovan[aá]\s*(?:[cč][aá]stka|n[aá]hrada)|[cč][aá]stka\s*(?:[sš]kody|n[aá]roku)
        |kr[äa]vt\s*belopp|beg[äa]rt\s*belopp|kr[æa]vet\s*bel[øo]b|krevd\s*bel[øo]p|korvausvaatimus|haettu\s*korvaus
        |talep\s*edilen\s*tutar|talep\s*tutari|seiky[uū]u?\s*gaku|請求金?額""",
    "claimant": r"""
        claimant|claimant['’]?s\s*name|insured|insd|insured\s*person|policy\s*holder|policyholder|name\s*of\s*(?:the\s*)?(?:insured|claimant|policyholder)
        |(?:claimant|insured|policy\s*holder|policyholder)\s*name
        |versicherte\s*person|persona\s*asegurada|personne\s*assurée
        |assuré|assure|nom\s*de\s*l['’]assuré|versicherungsnehmer|versicherte[rn]?|assicurato|contraente
        |verzekerde|verzekeringnemer|asegurado|tomador|segurado
        |ubezpieczony|ubezpieczaj[aą]cy|pojistn[ií]k|poji[sš]t[eě]n[yý]|forsikringstager|forsikringstaker
        |f[öo]rs[äa]kringstagare|vakuutettu|vakuutuksenottaja|sigortal[ıi]|sigorta\s*ettiren
        |hi?hokensha|keiyakusha|被保険者|契約者""",
}
_COMPILED = {
    field: re.compile(rf"(?:^|[^\w])(?:{plain(spec)})\s*$", re.IGNORECASE | re.VERBOSE)
    for field, spec in _LABELS.items()
}
# In a claim's own record (a table or an export that also labels its policy, claimant or
# date of loss), the amount column needs no "claimed": "kwota", "belopp", "Amount".
_RECORD_AMOUNT = re.compile(
    plain(
        r"(?:claim\s*)?(?:amount|sum|betrag|montant|importe|importo|bedrag|belopp|bel[øo]b|bel[øo]p"
        r"|kwota|[cč][aá]stka|tutar|summa|valor|montante|m[äa][äa]r[äa]|kingaku)(?:\s*\(?\w{3}\)?)?"
    ),
    re.IGNORECASE,
)

# What may stand between a label and its value: separators, never words.
_TRAILING = " \t:#=|.-–—>(*"
_ROW_SPLIT = re.compile(r"\s{2,}|\t|\|")


@dataclass(frozen=True, slots=True)
class Labelled:
    """The values the document's labels give each field: compared forms, and as written."""

    values: dict[str, tuple[object, ...]]
    shown: dict[str, tuple[str, ...]]

    def of(self, field: str) -> tuple[object, ...]:
        return self.values.get(field, ())


def _label_before(text: str, start: int) -> str:
    """The label right before a value: the last cell (split at runs of spaces, tabs or
    table bars) of the words between the start of its line and it, separators dropped.
    A label must end right before the value, so prose ("the date of loss was ...") and
    long sentences name nothing."""
    line_start = text.rfind("\n", 0, start) + 1
    before = key_words(text[line_start:start]).rstrip(_TRAILING)
    cells = [c for c in _ROW_SPLIT.split(before) if c.strip()]
    return cells[-1].strip(_TRAILING) if cells else ""


# A label about a policy the document says is old or closed ("meine alte Police") names
# no policy of this claim.
_OLD = re.compile(
    rf"\b(?:{OLD_POLICY})\b[^\n]{{0,30}}$"
    # ... and a figure it replaced ("previousClaimAmount", "original amount claimed")
    r"|\b(?:previous|original|initial|earlier|superseded|first)\b[^\n]{0,20}\b(?:amount|sum|total)",
    re.IGNORECASE,
)
# Beside an insured, a "Claimant:" is the party who claims against them (a liability
# tender: "Insured: X d/b/a ...  Claimant: Y"): the insured's is the claim.
_CLAIMANT_WORD = re.compile(r"^\W*claimant", re.IGNORECASE)


def _field_of(label: str) -> str | None:
    # "Insured person (surname, first name)": the note in brackets is not the label.
    # ("Alte Versicherungsnummer (gekündigt)", "Póliza anterior (cancelada)": the note in
    # brackets may be what says the policy is closed.)
    if _OLD.search(label):
        return None
    label = re.sub(r"\s*\([^()]*\)\s*$", "", label)
    # "pozadovana castka CZK" (an XML element's currency attribute): the code is no label.
    label = re.sub(rf"\s+(?:{'|'.join(CURRENCY_CODES)})$", "", label)
    # Again without the note: a long note puts the words before it out of `_OLD`'s reach
    # ("Alte Police (gekündigt zum 31.12.2023, laut Schreiben):").
    if not label or len(label) > 48 or _OLD.search(label):
        return None
    label = plain(label)
    for field, pattern in _COMPILED.items():
        if pattern.search(label):
            return field
    return None


# A table's cells: tab-, bar- or semicolon-separated (not commas: "3,960.00" has one).
_DELIMITERS = ("\t", "|", ";")
_RULE = re.compile(r"^[\s|:+=-]*$")  # a markdown or ASCII table's rule line


def _line_at(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, text[start : end if end != -1 else len(text)]


def _header(text: str, start: int) -> tuple[list[str], int] | None:
    """The header row of the table a value's row is in, and the value's column: the top
    line of the block of lines with as many cells as its row (rule lines skipped)."""
    line_start, line = _line_at(text, start)
    for delimiter in _DELIMITERS:
        count = line.count(delimiter)
        if count < 2:
            continue
        column = line[: start - line_start].count(delimiter)
        lines = text[:line_start].split("\n")[:-1]
        header = None
        for above in reversed(lines):
            if _RULE.match(above) and above.strip():
                continue
            if above.count(delimiter) != count:
                break
            header = above
        if header is None:
            return None
        cells = header.split(delimiter)
        if any(re.search(r"\d[\d.,/ -]*\d", c) for c in cells):
            return None  # a row of values, not of names
        return cells, column
    return None


def _column_label(text: str, start: int) -> str:
    """The header of a value's column, when it stands in a table's row."""
    found = _header(text, start)
    if found is None:
        return ""
    cells, column = found
    return key_words(cells[column]).strip(_TRAILING + " ") if column < len(cells) else ""


# A nested record's "name" is its parent's: `<segurado><nome>`, `"insured": {"name": ...`.
_NAME_KEY = re.compile(
    r"(?:full\s*)?(?:name|nome|nombre|nom|naam|jmeno|imie|navn|namn|nimi|isim|ad)", re.IGNORECASE
)
_OPENS = re.compile(
    r"^\s*(?:<\s*(?P<tag>[\w:.-]+)[^<>/]*>|[\"'](?P<key>[\w.-]+)[\"']\s*:\s*\{)\s*$"
)
_FIELD_LINE = re.compile(r"^\s*(?:<[^<>]+>[^<>\n]*</[^<>]+>|[\"'][\w.-]+[\"']\s*:[^{}\n]*)\s*$")


def _parent_key(text: str, line_start: int) -> str:
    """The key of the element or object a line's field is nested in: the nearest line above
    that opens one, past its sibling fields (none when a sibling block closes first)."""
    for above in reversed(text[:line_start].split("\n")[:-1][-12:]):
        opens = _OPENS.match(above)
        if opens is not None:
            return key_words(opens.group("tag") or opens.group("key"))
        if not _FIELD_LINE.match(above):
            return ""
    return ""


def _label_of(text: str, start: int) -> tuple[str | None, tuple[str, ...]]:
    """The field a value's label names (its column's header first), and its labels."""
    column = _column_label(text, start)
    if column and (field := _field_of(column)) is not None:
        return field, (column,)
    before = _label_before(text, start)
    if _NAME_KEY.fullmatch(before.strip(" \"'<>")):
        parent = _parent_key(text, text.rfind("\n", 0, start) + 1)
        if parent and _field_of(parent) == "claimant":
            return "claimant", (parent,)
    return _field_of(before), tuple(label for label in (column, before) if label)


@lru_cache(maxsize=256)
def labelled(text: str) -> Labelled:
    """Every value the document's labels name as the policy number, the date of loss, the
    amount claimed or the claimant (see the module docstring)."""
    values: dict[str, list[object]] = {}
    shown: dict[str, list[str]] = {}

    def add(field: str, key: object, written: str) -> None:
        if key not in values.setdefault(field, []):
            values[field].append(key)
            shown.setdefault(field, []).append(written)

    for m in ids_in_text(text):
        if _label_of(text, m.start)[0] == "policy_id":
            add("policy_id", id_key(m.value), m.value)
    order = numeric_order(text)
    for d in dates_in_text(text):
        if _label_of(text, d.start)[0] == "incident_date":
            days = readings(d, order)
            if len(days) == 1:  # 03/04/2024 with no order known says nothing certain
                add("incident_date", days[0], d.text)
    plainly: list[tuple[Decimal, str]] = []
    for a in money_in_text(text):
        field, _ = _label_of(text, a.start)
        if field == "amount":
            add("amount", a.value.normalize(), a.text)
        elif field is None and _RECORD_AMOUNT.fullmatch(plain(_column_label(text, a.start))):
            plainly.append((a.value.normalize(), a.text))
    # "Amount" alone names the claim only as a column of a claim's own record, a table that
    # also labels its policy and its date of loss ("Amount: 640" in a form may be one line
    # of an invoice), and only when nothing says "claimed" and it is one figure.
    named = {f for f in ("policy_id", "incident_date") if f in values}
    if "amount" not in values and len({v for v, _ in plainly}) == 1 and len(named) == 2:
        add("amount", *plainly[0])
    claimants = [
        (n, found[1][0])
        for n in names_in_text(text)
        if (found := _label_of(text, n.start))[0] == "claimant"
    ]
    insured = [n for n, label in claimants if not _CLAIMANT_WORD.search(label)]
    for n, label in claimants:
        if not (insured and _CLAIMANT_WORD.search(label)):
            add("claimant", " ".join(sorted(normalize_name(n.name).split())), n.text)
    return Labelled(
        {f: tuple(v) for f, v in values.items()}, {f: tuple(v) for f, v in shown.items()}
    )


def key_of(field: str, value: object) -> object:
    """A claim's value in the form `labelled` compares."""
    if field == "policy_id":
        return id_key(str(value))
    if field == "amount":
        return Decimal(str(value)).normalize()
    if field == "claimant":
        return " ".join(sorted(normalize_name(str(value)).split()))
    assert isinstance(value, date)
    return value
