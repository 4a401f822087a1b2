"""A claim document, read once: every amount, date, name, id and incident word, with roles.

`read(text)` is what both sides of the claim seam use. The `claim` step shows the model
the candidates (and, on a retry, holds it to them); the gate's checks ask whether the
value the model chose is one the document writes, and whether the document says it is
something else (the deductible, the report date, the attorney, the police report).
Nothing here knows the answer: it only reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from .dates import DateMention, Order, dates_in_text, numeric_order, readings
from .ids import IdMention, id_key, ids_in_text
from .incidents import described_types, liability_claimed, ticked_types
from .models import IncidentType
from .money import Money, line_before, money_in_text
from .names import NameMention, names_in_text, one_spelling_each, same_person
from .roles import (
    AMOUNT_DECOYS,
    DATE_DECOYS,
    ID_DECOYS,
    NAME_DECOYS,
    amount_roles,
    date_roles,
    id_roles,
    name_roles,
)

__all__ = ["Reading", "read"]

DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"})


@dataclass(frozen=True, slots=True)
class Seen:
    """A value the document writes, each place it writes it, and the roles it has there."""

    value: object
    roles: frozenset[str]
    places: tuple[tuple[int, int], ...]
    texts: tuple[str, ...]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Reading:
    text: str
    amounts: tuple[tuple[Money, frozenset[str]], ...]
    dates: tuple[tuple[DateMention, tuple[date, ...], frozenset[str]], ...]
    names: tuple[tuple[NameMention, frozenset[str]], ...]
    ids: tuple[tuple[IdMention, frozenset[str]], ...]
    described: tuple[IncidentType, ...]
    ticked: tuple[IncidentType, ...]
    order: Order | None

    # ------------------------------------------------------------ per value

    def amount_values(self) -> list[Seen]:
        return _merged(
            ((m.value, m.currency), roles, (m.start, m.end), m.text) for m, roles in self.amounts
        )

    def date_values(self) -> list[Seen]:
        return _merged(
            (day, roles, (m.start, m.end), m.text) for m, days, roles in self.dates for day in days
        )

    def name_values(self) -> list[Seen]:
        # A person is a broker or a witness wherever the document names them, however it
        # spells them ("Ayse Celik" / "Ayşe Çelik") and in whatever case ("Piotra").
        spelling = one_spelling_each([m.name for m, _ in self.names])
        return _merged(
            ((spelling[m.name], roles, (m.start, m.end), m.text) for m, roles in self.names),
            every=False,
        )

    def id_values(self) -> list[Seen]:
        seen = self._id_values()
        # A reference the document calls the policy number somewhere is not a police
        # report where "police" precedes it: that is the word for a policy in French,
        # German and Italian ("Betreff: Unfall - police ZZ-00412-Q").
        return [
            Seen(s.value, s.roles - {"police"}, s.places, s.texts)
            if s.has("policy") and s.has("police")
            else s
            for s in seen
        ]

    def _id_values(self) -> list[Seen]:
        return _merged(
            (
                (
                    m.value,
                    roles | ({"policy"} if m.after_policy_label else set()),
                    (m.start, m.end),
                    m.value,
                )
                for m, roles in self.ids
            ),
            every=False,
        )

    # ------------------------------------------------------------ candidates

    def amount_candidates(self, policy_currency: str | None = None) -> list[Seen]:
        """Amounts that may be the one claimed: not a decoy, in the policy's currency when
        the document writes one; the ones the document calls the total or the claim first."""
        every = self.amount_values()
        seen = [s for s in every if not (s.roles & AMOUNT_DECOYS)] or every
        if policy_currency is not None:
            same = [s for s in seen if self.in_currency(s, policy_currency)]
            seen = same or seen
        return sorted(seen, key=lambda s: (not s.has("claimed"), s.places[0]))

    def in_currency(self, seen: Seen, currency: str) -> bool:
        """Whether an amount is written in `currency` ("$" counts for any dollar)."""
        written = seen.value[1]  # type: ignore[index]
        if written is None:
            return self.only_currency() in (None, currency)
        if written == "$":
            return currency in DOLLARS
        return bool(written == currency)

    def only_currency(self) -> str | None:
        written = {m.currency for m, _ in self.amounts if m.currency not in (None, "$")}
        return written.pop() if len(written) == 1 else None

    def date_candidates(self) -> list[Seen]:
        seen = self.date_values()
        kept = [s for s in seen if not s.has(*DATE_DECOYS)] or seen
        return sorted(kept, key=lambda s: (not s.has("incident"), s.places[0]))

    def name_candidates(self) -> list[Seen]:
        seen = self.name_values()
        kept = [s for s in seen if not s.has(*NAME_DECOYS)] or seen
        return sorted(
            kept,
            key=lambda s: (
                not s.has("client"),  # the insured a representative files for
                s.has("principal"),
                not (s.has("signed") or s.has("self")),  # who signs or says "I am"
                not s.has("holder"),
                s.has("relative"),  # a spouse mentioned beside the claimant
                not s.has("person"),
                s.places[0],
            ),
        )

    def id_candidates(self) -> list[Seen]:
        seen = self.id_values()
        # When every id is a decoy ("Police" is also the German and French word for a
        # policy, so a form's policy numbers may all read as police reports), an old
        # policy's is still the last one to offer.
        kept = (
            [s for s in seen if not s.has(*ID_DECOYS)]
            or [s for s in seen if not s.has("old_policy")]
            or seen
        )
        return sorted(kept, key=lambda s: (not s.has("policy"), s.places[0]))

    def type_candidates(self) -> list[IncidentType]:
        described = list(self.described)
        if "liability" in described and "medical" in described:
            # Someone claims against the insured for an injury: the injury is theirs, the
            # insured's claim is the liability ("your dog bit Oliver ... he needed treatment").
            # A fall alone, with nobody asking the insured to pay, is the faller's own injury.
            described.remove("liability")
            if not liability_claimed(self.text):
                described.insert(described.index("medical") + 1, "liability")
                return list(dict.fromkeys([*self.ticked, *described]))
            described.insert(described.index("medical"), "liability")
        return list(dict.fromkeys([*self.ticked, *described]))

    # ------------------------------------------------------------ look-ups

    def find_amount(self, amount: Decimal) -> list[Seen]:
        return [s for s in self.amount_values() if s.value[0] == amount]  # type: ignore[index]

    def find_date(self, day: date) -> list[Seen]:
        return [s for s in self.date_values() if s.value == day]

    def find_name(self, name: str) -> list[Seen]:
        return [s for s in self.name_values() if same_person(str(s.value), name)]

    def find_id(self, value: str) -> list[Seen]:
        return [s for s in self.id_values() if s.value == value]

    def find_id_loosely(self, value: str) -> list[Seen]:
        return [s for s in self.id_values() if id_key(str(s.value)) == id_key(value)]


def _merged(
    items: Iterable[tuple[object, set[str] | frozenset[str], tuple[int, int], str]],
    *,
    every: bool = True,
) -> list[Seen]:
    """One `Seen` per value. With `every`, a value is a decoy only where every mention of it
    is one (the same amount may be both "the estimate" and "the claim"); without, one
    mention decides (a broker is a broker everywhere)."""
    by_value: dict[object, list[tuple[frozenset[str], tuple[int, int], str]]] = {}
    for value, roles, place, text in items:
        by_value.setdefault(value, []).append((frozenset(roles), place, text))
    out = []
    for value, mentions in by_value.items():
        roles = [r for r, _, _ in mentions]
        union = frozenset().union(*roles)
        decoys = frozenset.intersection(*roles) if every else union
        if every and "superseded" in union:
            # A figure the document corrects is wrong wherever it is written, even where
            # an earlier message (quoted below) still calls it the invoice.
            decoys |= {"superseded"}
        labels = union - (AMOUNT_DECOYS | DATE_DECOYS | NAME_DECOYS | ID_DECOYS)
        out.append(
            Seen(
                value,
                decoys | labels,
                tuple(place for _, place, _ in mentions),
                tuple(text for _, _, text in mentions),
            )
        )
    return sorted(out, key=lambda s: s.places[0])


# "Total" in the languages roles.py reads: a line item stands above its total.
_TOTAL = re.compile(
    r"\b(?:total|totale|totaal|gesamt\w*|summe|totalt|i alt|razem|łącznie|celkem|celkov\w*|"
    r"toplam|yhteensä|summa|suma|samtals|g[oō]u?kei)\b|合計|総額",
    re.IGNORECASE,
)


def _line_items(text: str, amounts: list[tuple[Money, set[str]]]) -> None:
    """Amounts listed above a total are line items, not the amount claimed."""
    totals = [m for m, roles in amounts if _TOTAL.search(line_before(text, m.start))]
    for m, roles in amounts:
        if m in totals or "claimed" in roles:
            continue
        for total in totals:
            lines_between = text.count("\n", m.end, total.start)
            if 0 < lines_between <= 15 and m.start < total.start:
                roles.add("line_item")


def _revisions(amounts: list[tuple[Money, set[str]]]) -> None:
    """A revised figure replaces the earlier ones the document gave as the claim's (the
    first quote, the estimate before the surveyor came back): those are superseded."""
    revised = [m for m, roles in amounts if "revision" in roles and "claimed" in roles]
    for m, roles in amounts:
        # Only a figure in the same currency, written before the revision, is replaced.
        replaced = any(
            m.start < r.start and (m.currency or "$") == (r.currency or "$") for r in revised
        )
        if replaced and "claimed" in roles and "revision" not in roles:
            roles.discard("claimed")
            roles.add("superseded")


@lru_cache(maxsize=1024)
def read(text: str) -> Reading:
    """Read a claim document (cached: the step and every check read the same text)."""
    dates = dates_in_text(text)
    order = numeric_order(text, dates)
    money = money_in_text(text, not_in=[(d.start, d.end) for d in dates])
    amounts = [(m, amount_roles(text, m.start, m.end)) for m in money]
    _line_items(text, amounts)
    _revisions(amounts)
    names = names_in_text(text)
    ids = [i for i in ids_in_text(text) if not _inside_amount_or_date(i, money, dates)]
    return Reading(
        text=text,
        amounts=tuple((m, frozenset(r)) for m, r in amounts),
        dates=tuple(
            (d, readings(d, order), frozenset(date_roles(text, d.start, d.end))) for d in dates
        ),
        names=tuple((n, frozenset(name_roles(text, n.start, n.end))) for n in names),
        ids=tuple((i, frozenset(id_roles(text, i.start, i.end, i.value))) for i in ids),
        described=tuple(described_types(text)),
        ticked=tuple(ticked_types(text)),
        order=order,
    )


def _inside_amount_or_date(i: IdMention, money: list[Money], dates: list[DateMention]) -> bool:
    spans = [(m.start, m.end) for m in money] + [(d.start, d.end) for d in dates]
    return any(s <= i.start and i.end <= e for s, e in spans)
