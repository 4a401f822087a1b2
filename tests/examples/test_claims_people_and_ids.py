"""Who claims and under which policy: names split over form fields, claims filed by a
representative for the insured, and policy ids written in lower case, spaced by OCR,
spelled out in a transcript or labelled in another language (issue 11's classes).

Every test reads strings written out here (or a whole set), not a document of a set; each
fix is held to the decoys it must keep rejecting.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from claims_testing import call, claim
from examples.claims import checks
from examples.claims.datasets import load_set
from examples.claims.evidence import reading_is_conclusive
from examples.claims.grounded import as_filed, candidate_values, top_candidates
from examples.claims.ids import ids_in_text, same_id
from examples.claims.labels import labelled
from examples.claims.models import Claim, ClaimDoc
from examples.claims.names import names_in_text
from examples.claims.reading import read
from examples.claims.spelled import spelled_ids

DEV4 = load_set("dev4")


def accepted(check: Any, doc: str, **fields: Any) -> bool:
    return call(check, claim=claim(**fields), doc=ClaimDoc(text=doc)) is True


# ------------------------------------------------------------------ names over form fields


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("first_name: Priya\nlast_name: Raghunathan\nemail: p@x.example", "Priya Raghunathan"),
        ("Nachname: Hoffmann\nVorname: Katrin\nStraße: Lindenallee 4", "Katrin Hoffmann"),
        ("Name: Hoffmann   Vorname: Katrin", "Katrin Hoffmann"),
        ("Prénom : Claire\nNom : DUBOIS", "Claire Dubois"),
        ("Nom : Dubois Prénom : Claire", "Claire Dubois"),
        ("Nombre: Lucía\nApellidos: Márquez Olmedo\nTeléfono: 600 000 000", "Lucía Márquez Olmedo"),
        ("Achternaam: de Vries\nVoornaam: Sanne", "Sanne de Vries"),
        ("Cognome: FERRARO\nNome: Giulia", "Giulia Ferraro"),
        ("Insured person (surname, first name): Brennan Aoife", "Aoife Brennan"),
        ("Nom, prénom : Lambert Thierry", "Thierry Lambert"),
        ("Policyholder: GALLAGHER, Seamus P.", "Seamus Gallagher"),
    ],
)
def test_a_name_split_over_fields_or_written_surname_first_is_given_name_first(
    written: str, name: str
) -> None:
    assert name in [m.name for m in names_in_text(written)]
    doc = f"{written}\nPolicy: POL-4471-22\nStorm on 18/01/2024, roof EUR 1.250,00."
    assert accepted(checks.claimant_in_document, doc, claimant=name)
    assert call(
        checks.claimant_is_the_one_claiming, claim=claim(claimant=name), doc=ClaimDoc(text=doc)
    )


def test_a_name_field_alone_or_a_postcode_makes_no_name() -> None:
    assert (
        names_in_text("Name: Thomas Whitaker\nFirst name of driver: -")[0].name == "Thomas Whitaker"
    )
    assert not names_in_text("Keizersgracht 410, 1016 GC Amsterdam")
    assert [m.name for m in names_in_text("Nachname: Hoffmann\nStraße: Lindenallee")] == []


def test_a_candidate_who_holds_the_policy_is_written_as_the_table_writes_them() -> None:
    # "Brennan Aoife" with nothing to say which is the surname: the holder of MX-22019-7.
    doc = ClaimDoc(text="Insured person: Brennan Aoife\nPolicy No.: MX-22019-7\n")
    assert candidate_values(doc)["claimant"][0] == "Aoife Brennan"
    unknown = ClaimDoc(text="Insured person: Brennan Aoife\nPolicy No.: ZZ-00000-0\n")
    assert candidate_values(unknown)["claimant"][0] == "Brennan Aoife"


# ------------------------------------------------------------------ filed for the insured

SOLICITOR = """Our ref: PS/112

Dear Sirs

We act for your insured, Mr Daniel Okonkwo, whose car was struck by a van driven by
Mr Gary Pickford on 31 July 2024. Repairs are estimated at £4,615.00.

Yours faithfully

Priya Shah
Shah & Co
"""
BROKER = """Bonjour,

Je vous transmets, pour le compte de notre client M. Thierry Lambert, sa déclaration :
tempête du 24/09/2024, toiture, devis 5 380,00 EUR. Contrat 5518-LB-207.

Cordialement,
Sophie Marchand
"""
DUTCH = """Namens cliënte, mevrouw Sanne Visser, melden wij brand op 03-06-2024.

Met vriendelijke groet,

Jeroen Bakker
advocaat
"""
ASSISTANT = """Please find below the message of my boss, Mr Kenta Mori, with the receipts.

Kind regards,
Laura Bennett
Executive Assistant
"""
TENDER = """Re: Insured: Marcus Delaney d/b/a Delaney Roofing
    Claimant: Janet Fowler

We tender the defense of the above suit to you on behalf of the insured.

Very truly yours,

Robert Klein
"""
LETTER_OF_CLAIM = """Dear Mr Reid,

We act for Mrs Elaine Moss. On 17 June 2024 your dog bit her son. Please pass this letter
to your home insurer.

Yours sincerely,
Harriet Lowe

Sent to my insurer under my policy PH-LIAB-66201, please deal with it.
Callum Reid
"""
RELATIVE = """I'm claiming on behalf of my father, Seamus Gallagher, who is the policyholder.

Thanks,
Conor Gallagher
"""


@pytest.mark.parametrize(
    ("text", "insured", "others"),
    [
        (SOLICITOR, "Daniel Okonkwo", ["Priya Shah", "Gary Pickford"]),
        (BROKER, "Thierry Lambert", ["Sophie Marchand"]),
        (DUTCH, "Sanne Visser", ["Jeroen Bakker"]),
        (ASSISTANT, "Kenta Mori", ["Laura Bennett"]),
        (TENDER, "Marcus Delaney", ["Robert Klein", "Janet Fowler"]),
    ],
)
def test_the_insured_a_representative_files_for_is_the_claimant_and_the_writer_is_not(
    text: str, insured: str, others: list[str]
) -> None:
    doc = ClaimDoc(text=text)
    assert candidate_values(doc)["claimant"][0] == insured
    assert call(checks.claimant_is_the_one_claiming, claim=claim(claimant=insured), doc=doc) is True
    for other in others:
        verdict = call(checks.claimant_is_the_one_claiming, claim=claim(claimant=other), doc=doc)
        assert verdict is not True, other


def test_a_solicitors_client_claiming_against_the_insured_is_the_other_party() -> None:
    doc = ClaimDoc(text=LETTER_OF_CLAIM)
    assert (
        call(checks.claimant_is_the_one_claiming, claim=claim(claimant="Callum Reid"), doc=doc)
        is True
    )
    moss = call(checks.claimant_is_the_one_claiming, claim=claim(claimant="Elaine Moss"), doc=doc)
    assert moss is not True and "another party" in moss


def test_a_relative_filing_for_the_holder_is_still_the_claimant() -> None:
    doc = ClaimDoc(text=RELATIVE)
    assert (
        call(checks.claimant_is_the_one_claiming, claim=claim(claimant="Conor Gallagher"), doc=doc)
        is True
    )
    assert (
        call(checks.claimant_is_the_one_claiming, claim=claim(claimant="Seamus Gallagher"), doc=doc)
        is not True
    )


# ------------------------------------------------------------------ policy ids


@pytest.mark.parametrize(
    ("written", "policy_id"),
    [
        ("policy_number: pol-5531-m", "pol-5531-m"),
        ("my policy is hx88213.", "hx88213"),
        ("Police n° : fr-hab-40917", "fr-hab-40917"),
        ("Número de póliza: es aut 66120", "es aut 66120"),
        ("Numero polizza: it casa 7720 14", "it casa 7720 14"),
        ("His policy number is TRV -  4410 - 92 (on the card)", "TRV -  4410 - 92"),
        ("Policy No.: MX -22019 - 7", "MX -22019 - 7"),
        ("Versicherungsnummer: HV-2290-88", "HV-2290-88"),
        ("Betreff: Einbruch - Policen-Nr. at-hh-20931", "at-hh-20931"),
        ("Betreft: brand, polisnummer NL-WO-118204", "NL-WO-118204"),
        ("Your policy ref: HM-CAR-70345", "HM-CAR-70345"),
    ],
)
def test_policy_ids_in_any_case_spacing_or_language(written: str, policy_id: str) -> None:
    found = [i for i in ids_in_text(written) if i.value == policy_id]
    assert found and found[0].after_policy_label
    seen = read(written).find_id(policy_id)
    assert seen and seen[0].has("policy") and not seen[0].roles & {"claim_ref", "police"}


def test_a_full_stop_after_a_spaced_id_ends_the_sentence_not_the_id() -> None:
    # Read as "TH 5580", the id was a piece of the real one that grounded itself.
    assert [
        str(s.value) for s in read("a home policy, number TH 5580 1193.\nThanks").id_values()
    ] == ["TH 5580 1193"]
    claim = Claim(
        claimant="Liam Parata",
        policy_id="TH 5580",
        incident_date=date(2024, 8, 29),
        incident_type="theft",
        amount=900.0,
        currency="NZD",
        description="",
    )
    assert (
        checks.policy_id_in_document(claim, ClaimDoc(text="Policy number TH 5580 1193."))
        is not True
    )


def test_words_and_amounts_after_a_policy_word_are_no_policy_id() -> None:
    assert [i.value for i in ids_in_text("la franquicia de mi póliza es de 300,00 EUR")] == []
    assert [i.value for i in ids_in_text("in mid-2024, after covid-19")] == []
    assert [i.value for i in ids_in_text("Policy no. POL-4471-22. So I")] == ["POL-4471-22"]


@pytest.mark.parametrize(
    ("said", "spelled"),
    [
        ("It's H-K dash seven seven zero one dash B.", "HK-7701-B"),
        ("P O L dash four four eight two dash K", "POL-4482-K"),
        ("Q R space four one nine space double zero six", "QR 419 006"),
        ("so that's HK seven seven zero one B", "HK7701B"),
        ("M E D vier vier eins neun", "MED4419"),
    ],
)
def test_an_id_spelled_out_is_the_id_it_spells(said: str, spelled: str) -> None:
    assert [s.value for s in spelled_ids(said)] == [spelled]


def test_prose_with_number_words_spells_nothing() -> None:
    assert spelled_ids("I have three kids, two dogs and one cat") == []
    assert spelled_ids("one or two of them, a four-door car") == []


def test_a_spelled_or_lower_case_id_grounds_the_policy_and_is_written_as_filed() -> None:
    call_note = (
        "AGENT: And your policy number?\nCALLER: It's H-K dash seven seven zero one dash B.\n"
        "AGENT: Your claim number will be CL-88102.\n"
    )
    doc = ClaimDoc(text=call_note)
    assert candidate_values(doc)["policy_id"] == ["HK-7701-B"]  # as dev4/policies.csv has it
    assert as_filed("hk 7701 b") == "HK-7701-B" and as_filed("ZZ-1") == "ZZ-1"
    assert accepted(checks.policy_id_in_document, call_note, policy_id="HK-7701-B")
    assert accepted(checks.policy_id_is_the_policy_number, call_note, policy_id="HK-7701-B")
    assert not accepted(checks.policy_id_is_the_policy_number, call_note, policy_id="CL-88102")
    assert not accepted(checks.policy_id_in_document, call_note, policy_id="HK-7701")


@pytest.mark.parametrize(
    "line",
    [
        "Schadennummer (vom Versicherer vergeben): S-2024-55812",
        "Numero sinistro (riservato alla compagnia): 2024/SX/00912",
        "Número de siniestro: SIN-2023-4471",
        "Ons kenmerk: 2024/0871/JB",
        "previous_claim_ref: CLM-77120",
        "Call ID: 5581-2291-04",
        "Cause No. 24-CV-01187",
        "Anzeige bei der Polizei: B6/44120/2024",
        "Reported to SFPD, report 240406-1187.",
    ],
)
def test_claim_case_and_police_references_in_any_language_are_decoys(line: str) -> None:
    ref = ids_in_text(line)[-1].value
    doc = f"Policy number: POL-4471-22\n{line}\n"
    assert not accepted(checks.policy_id_is_the_policy_number, doc, policy_id=ref)
    assert accepted(checks.policy_id_is_the_policy_number, doc)


def test_an_old_or_closed_policy_is_not_the_claims() -> None:
    doc = (
        "Policen-Nr. at-hh-20931\n"
        "meine alte Police AT-HH-10288 wurde 2023 gekündigt, der Schaden fällt unter die neue.\n"
    )
    assert top_candidates(ClaimDoc(text=doc)).policy_id == "AT-HH-20931"
    assert not accepted(checks.policy_id_is_the_policy_number, doc, policy_id="AT-HH-10288")
    assert labelled(doc).of("policy_id") == ("ATHH20931",)
    english = "Policy: HX-51877. My previous policy HX-30012 (closed) is not this one."
    assert not accepted(checks.policy_id_is_the_policy_number, english, policy_id="HX-30012")


@pytest.mark.parametrize("old", ["Abgelaufene Police", "Verlopen polis", "Replaced policy"])
def test_both_readers_know_the_same_words_for_an_old_policy(old: str) -> None:
    doc = f"{old}: PL-448211-K\nPolice: PL-551902-Q\n"
    assert labelled(doc).of("policy_id") == ("PL551902Q",)
    assert read(doc).find_id("PL-448211-K")[0].has("old_policy")


def test_a_long_note_after_an_old_policys_label_does_not_hide_its_words() -> None:
    doc = (
        "Alte Police (gekündigt zum 31.12.2023, laut Schreiben): PL-448211-K\nPolice: PL-551902-Q\n"
    )
    assert labelled(doc).of("policy_id") == ("PL551902Q",)


def test_when_every_id_is_a_decoy_an_old_policys_is_not_offered() -> None:
    # "Police" is also German for a policy: both ids read as police references.
    doc = "Abgelaufene Police: PL-448211-K\nPolice: PL-551902-Q\n"
    assert [s.value for s in read(doc).id_candidates()] == ["PL-551902-Q"]


# ------------------------------------------------------------------ the set written for these


@pytest.mark.parametrize("task", DEV4, ids=lambda t: t.id)
def test_on_dev4_the_true_claimant_and_policy_pass_their_checks_and_are_offered(task: Any) -> None:
    doc, truth = task.doc, task.expected.claim
    for field in ("claimant", "policy_id"):
        for check in checks.FIELD_CHECKS[field]:
            assert call(check, claim=truth, doc=doc) is True, check.__name__
        assert getattr(truth, field) in candidate_values(doc)[field], field


@pytest.mark.parametrize("task", DEV4, ids=lambda t: t.id)
def test_on_dev4_every_other_name_and_reference_fails_its_check(task: Any) -> None:
    doc, truth = task.doc, task.expected.claim
    r = read(doc.text)
    for seen in r.name_values():
        if seen.has("professional", "third_party") and str(seen.value) != truth.claimant:
            wrong = truth.model_copy(update={"claimant": seen.value})
            assert call(checks.claimant_is_the_one_claiming, claim=wrong, doc=doc) is not True
    for seen in r.id_values():
        if seen.has("claim_ref", "police", "invoice", "phone", "old_policy") and not same_id(
            str(seen.value), truth.policy_id
        ):
            wrong = truth.model_copy(update={"policy_id": str(seen.value)})
            assert call(checks.policy_id_is_the_policy_number, claim=wrong, doc=doc) is not True


@pytest.mark.parametrize("task", DEV4, ids=lambda t: t.id)
def test_on_dev4_the_evidence_never_contradicts_the_true_claimant_or_policy(task: Any) -> None:
    verdict = reading_is_conclusive(task.expected.claim, task.doc)
    if verdict is not True:
        labels = labelled(task.doc.text)
        # a relative filing for the holder: the form labels the holder, a person checks
        assert "policy number" not in verdict
        assert task.expected.decision.reasons == ["holder_mismatch"] or "claimant" not in verdict, (
            verdict,
            labels.shown,
        )


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "We are instructed by Mr Ahmed Khan about the theft of his van.\n\n"
            "Yours faithfully,\nHelen Marsh\nMarsh Legal",
            "Ahmed Khan",
        ),
        (
            "My boss Ms Carla Reyes asked me to send her claim: her laptop was stolen.\n\n"
            "Best,\nTom Ince",
            "Carla Reyes",
        ),
        # someone the writer names is not their principal unless they file for them
        (
            "I slipped at work. My boss, Mr Dan Frost, drove me to hospital.\n\nThanks,\nAmy Lowe",
            "Amy Lowe",
        ),
        (
            "Our customer, Mrs Joan Pike, slipped on a wet floor in our cafe and claims from us."
            "\n\nRegards,\nTom Hale",
            "Tom Hale",
        ),
    ],
)
def test_who_files_for_whom_in_other_wordings(text: str, first: str) -> None:
    assert candidate_values(ClaimDoc(text=text))["claimant"][0] == first


def test_a_word_after_a_spaced_dash_is_not_part_of_the_id() -> None:
    assert [i.value for i in ids_in_text("Policy HX-2231 - I was robbed")] == ["HX-2231"]
    assert [i.value for i in ids_in_text("Policy: POL-4482 - K.")] == ["POL-4482 - K"]
