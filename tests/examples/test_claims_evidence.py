"""Independent evidence at the claim seam: the label reader, `reading_is_conclusive`, the
rung that sends an inconclusive reading to a person, and the consensus variant."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from examples.claims.datasets import load_set
from examples.claims.evidence import CHECK_NAME, EscalateWhenInconclusive, reading_is_conclusive
from examples.claims.grounded import top_candidates
from examples.claims.labels import key_of, labelled
from examples.claims.models import Claim, ClaimDoc, ClaimTask
from examples.claims.pipeline import AGREED_FIELDS, build

import seamline as sl
from seamline.events import GateEvaluated, ModelCalled
from seamline.models.base import ModelRequest
from seamline.policies import Failure
from seamline.testing import ScriptedModel
from seamline.verdict import CheckResult, Outcome, Verdict

SETS = {name: load_set(name) for name in ("dev", "synthetic", "fresh")}
EVERY = [t for tasks in SETS.values() for t in tasks]


def _claim(**fields: Any) -> Claim:
    base: dict[str, Any] = {
        "claimant": "Chidi Okafor",
        "policy_id": "48-113-7702",
        "incident_date": date(2023, 11, 28),
        "incident_type": "storm",
        "amount": 14300.0,
        "currency": "USD",
    }
    return Claim(**{**base, **fields})


BIKE = ClaimDoc(
    text=(
        "Hi, this is Ana Ruiz, policy PX-2231. My bike was stolen on 3 March 2024. "
        "The bike was $1,149.00 and the lock $89.00."
    )
)
NOTES = ClaimDoc(
    text=(
        "FIELD ADJ NOTES - file 23-HL-5582\n"
        "Adj: T. Brandvold   Insp date 12/06/2023\n\n"
        "Insd: OKAFOR, Chidi\n"
        "Pol# 48-113-7702\n"
        "DOL 11/28/2023 - hail\n"
        "Contractor est $14,300.00 total\n"
    )
)


def test_the_label_reader_reads_what_labels_name_in_any_layout_and_language() -> None:
    found = labelled(NOTES.text)
    assert found.of("incident_date") == (date(2023, 11, 28),)  # "DOL", not "Insp date"
    assert found.of("claimant") == (key_of("claimant", "Chidi Okafor"),)
    assert found.of("policy_id") == (key_of("policy_id", "48-113-7702"),)
    form = labelled(
        "N° de police / Policy no.: FR-AUTO-000912\n"
        "| Date of loss | 14/02/2024 |\n"
        "Montant réclamé / Amount claimed: 412,80 €\n"
    )
    assert form.of("policy_id") == (key_of("policy_id", "FR-AUTO-000912"),)
    assert form.of("incident_date") == (date(2024, 2, 14),)
    assert form.of("amount") == (key_of("amount", 412.80),)


def test_the_label_reader_finds_nothing_in_prose() -> None:
    prose = "On 2 April 2024 a fire started; the quote is EUR 7,400.00, says Priya Raman."
    assert labelled(prose).values == {}


@pytest.mark.parametrize("task", EVERY, ids=lambda t: t.id)
def test_what_the_label_reader_finds_is_right_on_every_set(task: ClaimTask) -> None:
    found = labelled(task.doc.text)
    for field in ("policy_id", "claimant", "incident_date", "amount"):
        if found.of(field):
            assert found.of(field) == (key_of(field, getattr(task.expected.claim, field)),)


@pytest.mark.parametrize("task", EVERY, ids=lambda t: t.id)
def test_the_evidence_never_contradicts_the_expected_claim(task: ClaimTask) -> None:
    """It may find the truth inconclusive (a person then confirms it), never wrong: no
    label points elsewhere, and the readers rank the true value first."""
    reason = reading_is_conclusive(task.expected.claim, task.doc)
    if reason is not True:
        assert "labels the" not in reason and "the reading chose" not in reason, reason
        assert "says of none that it is" in reason or "recognize no kind" in reason, reason


def test_a_value_first_only_by_position_is_not_evidence() -> None:
    doc = ClaimDoc(
        text=(
            "Policy PX-2231, Ana Ruiz. On 3 March 2024 my bike was stolen. I paid $1,149.00 "
            "for it in 2022 and $89.00 for the lock."
        )
    )
    reason = reading_is_conclusive(top_candidates(doc), doc)
    assert isinstance(reason, str)
    assert "may be the amount claimed ('1,149.00', '89.00') and says of none" in reason


def test_other_is_a_guess_when_nothing_describes_the_incident() -> None:
    doc = ClaimDoc(text="Policy PX-2231, Ana Ruiz, 3 March 2024: Leitungswasser, EUR 2.740,00.")
    reason = reading_is_conclusive(
        top_candidates(doc).model_copy(update={"incident_type": "other"}), doc
    )
    assert isinstance(reason, str) and "recognize no kind of incident" in reason


def test_a_value_against_the_documents_label_is_inconclusive_and_says_what_the_label_says() -> None:
    reason = reading_is_conclusive(_claim(incident_date=date(2023, 12, 6)), NOTES)
    assert isinstance(reason, str)
    assert "the document labels the date of the incident as '11/28/2023'" in reason
    assert reason.endswith("a claims handler should confirm")


def test_where_nothing_is_labelled_the_model_and_the_readers_must_agree() -> None:
    top = top_candidates(BIKE)
    assert top.amount == 1149.0
    reason = reading_is_conclusive(top.model_copy(update={"amount": 89.0}), BIKE)
    assert isinstance(reason, str)
    assert "labels no amount claimed and writes several ('1,149.00', '89.00')" in reason
    assert "the reading chose '89.00', the readers rank '1,149.00' first" in reason


def test_a_value_the_document_calls_the_claims_own_is_conclusive() -> None:
    doc = ClaimDoc(
        text=(
            "Hi, this is Ana Ruiz, policy PX-2231. My bike was stolen on 3 March 2024. "
            "I'm claiming $1,149.00 for the bike; the lock was $89.00."
        )
    )
    assert reading_is_conclusive(top_candidates(doc), doc) is True


def _failure(*failed: str) -> Failure:
    checks = tuple(CheckResult(name, "check", Outcome.FAILED, "why") for name in failed)
    return Failure("claim", None, 1, 1, Verdict(False, checks))


def test_the_rung_escalates_only_when_all_that_failed_is_the_evidence() -> None:
    rung = EscalateWhenInconclusive(2, frozenset({CHECK_NAME}))
    assert rung.decide(_failure(CHECK_NAME)).effect == "escalate"
    assert rung.decide(_failure(CHECK_NAME, "amount is the amount claimed")).effect == "again"
    assert rung.decide(_failure("amount is the amount claimed")).effect == "again"


async def test_an_inconclusive_reading_goes_to_a_person_at_once_with_the_reason() -> None:
    top = top_candidates(BIKE)
    other = 89.0 if top.amount != 89.0 else 1149.0
    reading = {**top.model_dump(mode="json", exclude={"currency"}), "amount": other}
    model = ScriptedModel({"ClaimChoice": [{**reading, "description": "stolen bike"}]})
    result = await build("evidence").run({"doc": BIKE}, model=model)
    assert result.status is sl.RunStatus.NEEDS_REVIEW  # the escalation waits for a person
    (verdict,) = [e for e in result.events if isinstance(e, GateEvaluated)]
    assert verdict.effect == "escalate" and len(model.requests) == 1  # no retry first
    (reason,) = verdict.verdict.reasons
    assert reason.startswith(f"{CHECK_NAME}: the document labels no amount claimed")
    (pending,) = result.pending_approvals
    assert pending.reason == "escalation"


async def test_the_gates_before_the_evidence_accept_that_reading() -> None:
    top = top_candidates(BIKE)
    other = 89.0 if top.amount != 89.0 else 1149.0
    reading = {**top.model_dump(mode="json", exclude={"currency"}), "amount": other}
    model = ScriptedModel({"ClaimChoice": [{**reading, "description": "stolen bike"}]})
    result = await build("current").run({"doc": BIKE}, model=model)
    (verdict,) = [e for e in result.events if isinstance(e, GateEvaluated) and e.step == "claim"]
    assert verdict.verdict.passed  # what the evidence adds: the checks alone let it through


async def test_the_consensus_variant_samples_each_reading_in_another_order() -> None:
    task = next(t for t in SETS["dev"] if t.expected.decision.outcome == "approve")
    right = {**task.expected.claim.model_dump(mode="json"), "description": "x"}
    right.pop("currency")
    model = ScriptedModel(lambda r: right)
    pipe = build("evidence", agree=3)
    result = await pipe.run({"doc": task.doc}, model=model)
    assert result.status is sl.RunStatus.WAITING  # at the decision's approval
    calls = [e for e in result.events if isinstance(e, ModelCalled)]
    assert [c.purpose for c in calls] == ["step", "sample", "sample"]
    requests = [ModelRequest.from_record(c.request) for c in calls]
    assert [r.seed for r in requests] == [None, 1, 2]
    assert [r.temperature for r in requests] == [None, 0.7, 0.7]
    # A sample lists the document's values starting further along (by 1, 2, ... places).
    assert requests[1].prompt != requests[0].prompt
    (verdict,) = [e for e in result.events if isinstance(e, GateEvaluated) and e.step == "claim"]
    assert verdict.verdict.checks[-1].name == f"samples agree on {', '.join(AGREED_FIELDS)}"
