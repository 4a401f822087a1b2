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
from .money import money_in_text
from .names import names_in_text, normalize_name

# Each field's labels, as the end of the words before a value (case-insensitive).
# English, French, German, Dutch, Italian, Spanish, Portuguese, and common abbreviations.
_LABELS = {
    "policy_id": r"""
        policy|pol|policy\s*(?:no|nr|n°|number|num|ref|reference|id)|pol\s*(?:no|nr|\#)
        |police|n°\s*de\s*police|numéro\s*de\s*police|polizza|n\.?\s*polizza|numero\s*(?:di\s*)?polizza
        |póliza|poliza|n[úu]mero\s*de\s*p[óo]liza|apólice|polis|polisnummer|versicherungsschein(?:nummer)?
        |policennummer|vertragsnummer|policy\s*\#
        |policy_(?:no|nr|number|num|ref|id)|police\s*(?:n°|nr\.?|no\.?)|polis\s*nr\.?|polisnr\.?
        |n°\s*de\s*contrat|numéro\s*de\s*contrat|contrat(?:\s*n°)?|contratto|n\.?\s*contratto
        |versicherungs(?:nummer|nr\.?)|polic?en[\s-]*(?:nr\.?|nummer)|polizzen(?:nummer|[\s-]*nr\.?)""",
    "incident_date": r"""
        date\s*of\s*(?:the\s*)?(?:loss|incident|accident|event|damage|theft|fire|occurrence)
        |dol|d\.o\.l|loss\s*date|incident\s*date|accident\s*date|date\s*of\s*loss/incident
        |date\s*du\s*sinistre|date\s*de\s*l['’]?(?:accident|incident|événement|evenement)
        |schadendatum|schadentag|datum\s*(?:van\s*(?:de\s*)?)?(?:schade|het\s*incident|ongeval)
        |data\s*(?:del\s*|dell['’])?(?:sinistro|incidente|evento)|fecha\s*del\s*(?:siniestro|accidente|incidente)
        |data\s*do\s*sinistro|when\s*did\s*it\s*happen|when\s*it\s*happened""",
    "amount": r"""
        amount\s*claimed|claim\s*amount|claimed\s*amount|total\s*claimed|amount\s*of\s*(?:the\s*)?claim
        |total\s*claim|sum\s*claimed|montant\s*(?:réclamé|reclame|demandé|du\s*sinistre)
        |importo\s*(?:richiesto|reclamato|del\s*sinistro)|geforderter\s*betrag|schadenhöhe|schadenbetrag
        |geclaimd\s*bedrag|geclaimde\s*bedrag|gevraagd\s*bedrag|importe\s*(?:reclamado|solicitado)
        |valor\s*reclamado""",
    "claimant": r"""
        claimant|claimant['’]?s\s*name|insured|insd|insured\s*person|policy\s*holder|policyholder|name\s*of\s*(?:the\s*)?(?:insured|claimant|policyholder)
        |versicherte\s*person|persona\s*asegurada|personne\s*assurée
        |assuré|assure|nom\s*de\s*l['’]assuré|versicherungsnehmer|versicherte[rn]?|assicurato|contraente
        |verzekerde|verzekeringnemer|asegurado|tomador|segurado""",
}
_COMPILED = {
    field: re.compile(rf"(?:^|[^\w])(?:{spec})\s*$", re.IGNORECASE | re.VERBOSE)
    for field, spec in _LABELS.items()
}
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
    before = text[line_start:start].rstrip(_TRAILING)
    cells = [c for c in _ROW_SPLIT.split(before) if c.strip()]
    return cells[-1].strip(_TRAILING) if cells else ""


# A label about a policy the document says is old or closed ("meine alte Police") names
# no policy of this claim.
_OLD = re.compile(
    r"\b(?:old|previous|former|prior|closed|alte[nrs]?|frühere[nrs]?|vorherige[nrs]?|"
    r"bisherige[nrs]?|ancienne?|précédente?|anterior|antigu[oa]|vorige|oude|vecchia|precedente|"
    r"poprzedni\w*|předchozí|dřívější|tidligere|tidigare|föregående|önceki|eski|cancell?ed|"
    r"expired|lapsed|gekündigt\w*|wygasł\w*|cancelad[oa]|annul[ée]e?|résiliée?|opgezegd)"
    r"\b[^\n]{0,30}$",
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
    if not label or len(label) > 48:
        return None
    for field, pattern in _COMPILED.items():
        if pattern.search(label):
            return field
    return None


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
        if _field_of(_label_before(text, m.start)) == "policy_id":
            add("policy_id", id_key(m.value), m.value)
    order = numeric_order(text)
    for d in dates_in_text(text):
        if _field_of(_label_before(text, d.start)) == "incident_date":
            days = readings(d, order)
            if len(days) == 1:  # 03/04/2024 with no order known says nothing certain
                add("incident_date", days[0], d.text)
    for a in money_in_text(text):
        if _field_of(_label_before(text, a.start)) == "amount":
            add("amount", a.value.normalize(), a.text)
    claimants = [
        (n, _label_before(text, n.start))
        for n in names_in_text(text)
        if _field_of(_label_before(text, n.start)) == "claimant"
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
