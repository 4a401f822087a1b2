"""Who the claimant is, in documents from many countries (issue 11's second held-out
classes): firms, greetings, streets, plan names and amounts in words are no people; one
person is one candidate however the document spells or declines the name; a woman's
surname form is her own; a fleet or office manager, a letting agent, a neighbour or a son
with power of attorney files for the insured, who stays the claimant; and a spouse's, a
closed or another vehicle's policy beside the claim's is a decoy.

Every test reads strings written out here (or a whole set), not a document of a set.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from claims_testing import call, claim
from examples.claims import checks
from examples.claims.datasets import load_set
from examples.claims.evidence import reading_is_conclusive
from examples.claims.grounded import candidate_values
from examples.claims.ids import same_id
from examples.claims.models import ClaimDoc
from examples.claims.names import names_in_text, one_spelling_each, same_person
from examples.claims.reading import read

DEV5 = load_set("dev5")


def claiming(doc: str, name: str) -> bool | str:
    return call(
        checks.claimant_is_the_one_claiming, claim=claim(claimant=name), doc=ClaimDoc(text=doc)
    )  # type: ignore[no-any-return]


# ------------------------------------------------------------------ not people


@pytest.mark.parametrize(
    "text",
    [
        "Repairs by Trans-Bud Sp. z o.o. are booked.",
        "The agent Bolig Partner ApS wrote.",
        "Invoice from Auto Centret A/S attached.",
        "Quote: Reformas Ibéricas S.A. (Avda. de América 32).",
        "Estimate by AutoSklo Brno s.r.o. enclosed.",
        "Paid to Vilniaus Remontas UAB for the estimate.",
        "Southern Cross Logistics Pty Ltd owns the van.",
        "A workshop, Almeida Filhos Ltda, saw it.",
        "Angebot der Schmidt Bedachungen GmbH liegt bei.",
        "Yılmaz Çilingir Ltd. Şti. kesti.",
        "Szanowni Państwo,",
        "Kære Skadeafdeling",
        "Sayın Yetkili,",
        "He lives at Holloway St and Beech Rd.",
        "Adresse: Nørrebrogade 112 og Jagtvej 41.",
        "Kungsvägen 8, Storgatan 8, Strandveien 5.",
        "Rua das Flores 210, Calle Mayor 15, Bağdat Caddesi No: 45.",
        "Her plan is Annual Multi-Trip Europe; the car a Subaru Outback.",
        "Total: Eighty-Seven Thousand Pounds.",
        "Hasar Tarihi: 05.03.2025",
        "C LA IM  F O RM  Po Li",
    ],
)
def test_firms_greetings_streets_plans_labels_and_fragments_are_no_names(text: str) -> None:
    assert [m.name for m in names_in_text(text)] == []


def test_a_name_after_a_greeting_or_a_title_or_glued_to_a_closing_is_the_person() -> None:
    assert [m.name for m in names_in_text("Hilsen Ingrid Bakke")] == ["Ingrid Bakke"]
    assert [m.name for m in names_in_text("Adım Ayşe Çelik, poliçem")] == ["Ayşe Çelik"]
    assert [m.name for m in names_in_text("ubezpieczonego Pana Piotra Nowaka")] == ["Piotra Nowaka"]
    # a name beside "as" or "me" (words, not a firm's AS or ME) is still a name
    assert [m.name for m in names_in_text("Anna Berg as the driver")] == ["Anna Berg"]


# ------------------------------------------------------------------ one person, one candidate


def test_the_same_person_with_and_without_diacritics_is_one_candidate() -> None:
    assert same_person("Ayse Yildiz", "Ayşe Yıldız")
    assert same_person("Piotr Wisniewski", "Piotr Wiśniewski")
    assert same_person("Juergen Weiss", "Jürgen Weiß")
    assert same_person("Soren Kjaergaard", "Søren Kjærgaard")
    text = "Kimden: Ayse Celik\n\nAdım Ayşe Çelik.\n\nSaygılarımla,\nAyse Celik"
    assert [s.value for s in read(text).name_candidates()] == ["Ayşe Çelik"]


def test_a_surname_form_is_the_person_written_not_a_relative() -> None:
    assert not same_person("Jana Dvořáková", "Jana Dvořák")
    assert not same_person("Anna Kowalska", "Anna Kowalski")
    assert not same_person("Maria Nowakowa", "Maria Nowak")
    spelling = one_spelling_each(["Jana Dvořáková", "Petr Dvořák"])
    assert spelling == {"Jana Dvořáková": "Jana Dvořáková", "Petr Dvořák": "Petr Dvořák"}
    # a name declined in a sentence is its plain form when the document writes that too
    spelling = one_spelling_each(["Piotr Wisniewski", "Piotra Wiśniewskiego"])
    assert spelling["Piotra Wiśniewskiego"] == "Piotr Wisniewski"
    assert one_spelling_each(["Lucía Ortega", "Lucía Ortega Ruiz"])["Lucía Ortega"] == (
        "Lucía Ortega Ruiz"
    )


CZECH = """Pojistník: Jana Dvořáková
Číslo pojistné smlouvy: CZ-AUT-771045
Řidič v době události: manžel Petr Dvořák
Celkem: 24 300 Kč

S pozdravem
Jana Dvořáková
"""


def test_the_woman_named_as_policyholder_is_the_claimant_not_her_husband() -> None:
    assert candidate_values(ClaimDoc(text=CZECH))["claimant"][0] == "Jana Dvořáková"
    assert claiming(CZECH, "Jana Dvořáková") is True
    assert claiming(CZECH, "Petr Dvořák") is not True


# ------------------------------------------------------------------ filed for the insured

FLEET = """Szanowni Państwo,

jako kierownik floty w firmie Trans-Bud Sp. z o.o. zgłaszam szkodę w imieniu naszego
kierowcy, ubezpieczonego Pana Piotra Nowaka.
Nr polisy: PL-FL-220917

Pozdrawiam
Marek Zieliński
Kierownik floty
"""
NEIGHBOUR = """Dear Sir or Madam,

I'm writing for my neighbour, Mrs Doreen Pickford, who is the policyholder. Her fence
blew down in the storm.

Policy number: HE-4471-0932

Kind regards,
Gareth Evans
"""
ATTORNEY = """Hej,

Jag skriver med fullmakt för min mor, Birgitta Lindström, som är försäkringstagare.
Försäkringsnummer: SE-HEM-902614

Med vänliga hälsningar
Johan Lindström
"""
TENANT = """Kære skadeafdeling

Jeg skriver som administrator for udlejer på vegne af vores lejer,
Søren Kjærgaard, som er forsikringstager på indboforsikringen.
Policenummer: DK-IND-440219

Med venlig hilsen
Lars Holm
"""


@pytest.mark.parametrize(
    ("text", "insured", "filer"),
    [
        (FLEET, "Piotra Nowaka", "Marek Zieliński"),
        (NEIGHBOUR, "Doreen Pickford", "Gareth Evans"),
        (ATTORNEY, "Birgitta Lindström", "Johan Lindström"),
        (TENANT, "Søren Kjærgaard", "Lars Holm"),
    ],
)
def test_someone_filing_for_the_insured_leaves_the_insured_the_claimant(
    text: str, insured: str, filer: str
) -> None:
    assert candidate_values(ClaimDoc(text=text))["claimant"][0] == insured
    assert claiming(text, insured) is True
    assert claiming(text, filer) is not True


def test_a_relative_filing_without_authority_is_still_the_claimant() -> None:
    # (no power of attorney: the son claims, and the decision refers it)
    text = "I am filing on behalf of my father, Seamus Gallagher.\n\nRegards,\nConor Gallagher"
    assert claiming(text, "Conor Gallagher") is True
    assert claiming(text, "Seamus Gallagher") is not True


def test_a_signature_or_my_name_is_makes_the_claimant_conclusive() -> None:
    text = (
        "Mit navn er Mads Kristensen. Min kone Anne Kristensen har også en police hos jer\n"
        "(DK-BIL-771203), men denne anmeldelse gælder min egen bil.\n\n"
        "Policenummer: DK-BIL-771298\nSkadedato: 22.04.2025\nHærværk på bilen.\n"
        "Beløb: 7.250,00 DKK\n\nMed venlig hilsen\nMads Kristensen\n"
    )
    doc = ClaimDoc(text=text)
    right = claim(
        claimant="Mads Kristensen",
        policy_id="DK-BIL-771298",
        incident_date=date(2025, 4, 22),
        incident_type="vandalism",
        amount=7250.0,
        currency="DKK",
    )
    verdict = reading_is_conclusive(right, doc)
    assert verdict is True or "claimant" not in verdict
    assert candidate_values(doc)["policy_id"] == ["DK-BIL-771298"]  # the wife's is a decoy


# ------------------------------------------------------------------ another policy beside


@pytest.mark.parametrize(
    ("text", "decoy"),
    [
        ("Nr polisy: PL-FL-220917\nPoprzednia polisa (wygasła): PL-FL-198804\n", "PL-FL-198804"),
        (
            "Número de póliza: ES-HOG-339015\nPóliza anterior (cancelada): ES-HOG-201877\n",
            "ES-HOG-201877",
        ),
        (
            "Versicherungsnummer: DE-WG-550931\nAlte Versicherungsnummer (gekündigt): DE-WG-318820\n",
            "DE-WG-318820",
        ),
        (
            "Apólice nº: BR-AUT-447120\nA apólice da minha esposa (Fernanda Almeida), nº "
            "BR-AUT-447121, é de outro veículo.\n",
            "BR-AUT-447121",
        ),
        (
            "Policy No.: AU-FLT-66021\nOther vehicle in our fleet (not involved), policy AU-FLT-66022\n",
            "AU-FLT-66022",
        ),
        (
            "Policy number: HE-4471-0932\nMy own policy with you is HE-5520-1187, but this is hers.\n",
            "HE-5520-1187",
        ),
    ],
)
def test_a_closed_a_spouses_or_another_vehicles_policy_is_a_decoy(text: str, decoy: str) -> None:
    doc = ClaimDoc(text=text)
    offered = candidate_values(doc)["policy_id"]
    assert decoy not in offered and len(offered) == 1
    verdict = call(checks.policy_id_is_the_policy_number, claim=claim(policy_id=decoy), doc=doc)
    assert verdict is not True
    right = call(checks.policy_id_is_the_policy_number, claim=claim(policy_id=offered[0]), doc=doc)
    assert right is True


def test_my_policy_is_the_claims_own() -> None:
    doc = ClaimDoc(text="Hiya, it's Siobhan Murphy, my policy is LM/AUTO/0048812. A crack.")
    assert candidate_values(doc)["policy_id"] == ["LM/AUTO/0048812"]


# ------------------------------------------------------------------ the set written for these


@pytest.mark.parametrize("task", DEV5, ids=lambda t: t.id)
def test_on_dev5_the_true_claimant_and_policy_pass_their_checks_and_are_offered(task: Any) -> None:
    doc, truth = task.doc, task.expected.claim
    for field in ("claimant", "policy_id"):
        for check in checks.FIELD_CHECKS[field]:
            assert call(check, claim=truth, doc=doc) is True, check.__name__
        assert getattr(truth, field) == candidate_values(doc)[field][0], field


@pytest.mark.parametrize("task", DEV5, ids=lambda t: t.id)
def test_on_dev5_every_other_person_and_policy_fails_its_check(task: Any) -> None:
    doc, truth = task.doc, task.expected.claim
    r = read(doc.text)
    for seen in r.name_values():
        if not same_person(str(seen.value), truth.claimant):
            wrong = truth.model_copy(update={"claimant": seen.value})
            assert call(checks.claimant_is_the_one_claiming, claim=wrong, doc=doc) is not True or (
                call(checks.claimant_in_document, claim=wrong, doc=doc) is not True
            ), seen.value
    for seen in r.id_values():
        if seen.has("old_policy") and not same_id(str(seen.value), truth.policy_id):
            wrong = truth.model_copy(update={"policy_id": str(seen.value)})
            assert call(checks.policy_id_is_the_policy_number, claim=wrong, doc=doc) is not True


def test_a_driver_or_neighbour_merely_mentioned_is_not_filed_for() -> None:
    waiting = "I was waiting for my driver, Ali Khan, outside.\n\nRegards,\nAmy Lee"
    assert candidate_values(ClaimDoc(text=waiting))["claimant"][0] == "Amy Lee"
    assert claiming(waiting, "Amy Lee") is True
    other = "I waited for the other driver, Bob Jones, to give details.\n\nRegards,\nAmy Lee"
    assert claiming(other, "Bob Jones") is not True  # still the other party


def test_power_of_attorney_for_someone_makes_them_the_claimant_not_an_attorney() -> None:
    text = (
        "I have power of attorney for my mother, Jane Doe, the policyholder.\n\nRegards,\nTom Doe"
    )
    assert candidate_values(ClaimDoc(text=text))["claimant"][0] == "Jane Doe"
    assert claiming(text, "Jane Doe") is True
    assert claiming(text, "Tom Doe") is not True


def test_words_that_are_also_names_stay_names() -> None:
    # a surname that is also a car maker, a Dutch street word, a Polish or Turkish title,
    # an Italian greeting, a unit of money: people, where they are written as people
    text = (
        "Keisuke Honda, Rob van der Laan, Mr Wei Pan, Michael Bay, Marco Gentile, Ezra Pound; "
        "Pan Piotr Nowak drove a Honda Accord."
    )
    assert [m.name for m in names_in_text(text)] == [
        "Keisuke Honda",
        "Rob van der Laan",
        "Wei Pan",
        "Michael Bay",
        "Marco Gentile",
        "Ezra Pound",
        "Piotr Nowak",
    ]
