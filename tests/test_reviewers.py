"""Simulated reviewers in evals: they decide through the approval API, and are labelled so."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.evals import evaluate
from seamline.events import ApprovalDecided
from seamline.exceptions import ConfigError
from seamline.feedback import agreement, feedback_rows
from seamline.reviewers import ExpectedReviewer, reviewer_for
from seamline.store.memory import MemoryStore


class Doc(BaseModel):
    text: str
    amount: float
    behaviour: str = "good"  # good | wrong | broken


class Claim(BaseModel):
    claimant: str
    amount: float
    note: str = ""


class Decision(BaseModel):
    pay: float


def pipeline() -> sl.Pipeline:
    """claim (gated, escalates) -> decision (a checkpoint): every run waits for a person."""
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})

    @pipe.step
    def claim(doc: Doc) -> Claim:
        amount = {"good": doc.amount, "wrong": doc.amount + 1, "broken": -doc.amount}[doc.behaviour]
        return Claim(claimant=doc.text, amount=amount, note="made by the step")

    @pipe.step
    def decision(claim: Claim) -> Decision:
        return Decision(pay=claim.amount)

    pipe.gate(
        "claim",
        sl.check("amount is positive", lambda claim: claim.amount > 0),
        on_fail=sl.escalate_to_human(),
    )
    pipe.approval("decision")
    return pipe


def tasks() -> list[dict[str, object]]:
    return [
        {
            "doc": {"text": name, "amount": 10.0, "behaviour": name},
            "expected": {"claim": {"claimant": name, "amount": 10.0}, "decision": {"pay": 10.0}},
        }
        for name in ("good", "wrong", "broken")
    ]


async def test_without_a_reviewer_runs_wait_and_are_reported_as_waiting() -> None:
    report = await evaluate(pipeline(), tasks(), expected="expected", gates="on")
    assert [r.status for r in report.runs] == ["waiting", "waiting", "needs_review"]
    e = report.gated.end_to_end  # type: ignore[union-attr]
    assert (e.waiting, e.pending_approvals, e.right) == (3, 3, 0)
    assert dict(e.waiting_at) == {"decision": 2, "claim": 1}
    assert e.losses == (("claim", 1),)  # the escalated one; the others only wait
    assert len(report.waiting) == 3
    assert "3 runs waiting for a person (3 approvals pending)" in str(report)


async def test_the_expected_reviewer_approves_what_is_right_and_corrects_the_rest() -> None:
    store = MemoryStore()
    report = await evaluate(
        pipeline(), tasks(), expected="expected", gates="on", reviewer="expected", store=store
    )
    assert [r.status for r in report.runs] == ["succeeded"] * 3
    e = report.gated.end_to_end  # type: ignore[union-attr]
    # good: approved; wrong: its decision corrected at the checkpoint, but the claim it
    # was made from stays wrong; broken: escalated, the claim corrected, then approved.
    assert (e.right, e.right_unaided, e.helped, e.waiting) == (2, 1, 2, 0)
    assert e.decisions == (("simulated", 4),)
    assert report.reviewer == "simulated: expected"
    assert "approvals decided by 'simulated: expected' (simulated, not a person)" in str(report)
    events = await store.load(report.runs[2].run_id)
    decided = [e for e in events if isinstance(e, ApprovalDecided)]
    assert [(d.decision, d.reviewer_kind) for d in decided] == [
        ("edit", "simulated"),
        ("approve", "simulated"),
    ]
    # a partial expectation keeps the artifact's other fields
    assert decided[0].edit == {"claimant": "broken", "amount": 10.0, "note": "made by the step"}
    # simulated decisions are never human agreement
    logs = {r.run_id: await store.load(r.run_id) for r in report.runs}
    rows = feedback_rows(logs)
    assert {r.reviewer_kind for r in rows} == {"simulated"}
    assert agreement(rows) == {} and report.agreement == {}
    assert all(r.human_agrees is None for r in rows)
    # the gate flagged the broken claim and the reviewer corrected it: they agree, but that
    # is the answer key agreeing with the gate, not a person
    (escalated,) = [r for r in rows if r.kind == "escalation"]
    assert (escalated.gate_passed, escalated.decision, escalated.reviewer_agrees) == (
        False,
        "edit",
        True,
    )


async def test_the_approving_reviewer_lets_wrong_work_through() -> None:
    report = await evaluate(
        pipeline(), tasks(), expected="expected", gates="on", reviewer="approve"
    )
    e = report.gated.end_to_end  # type: ignore[union-attr]
    assert [r.status for r in report.runs] == ["succeeded"] * 3
    assert (e.right, e.passed, e.escaped_defects) == (1, 2, 1)


async def test_a_reviewer_decides_what_an_earlier_eval_left_waiting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'evals.db'}"
    first = await evaluate(pipeline(), tasks(), expected="expected", gates="on", store=url)
    assert first.gated.end_to_end.waiting == 3  # type: ignore[union-attr]
    again = await evaluate(
        pipeline(), tasks(), expected="expected", gates="on", store=url, reviewer="expected"
    )
    assert [r.status for r in again.runs] == ["succeeded"] * 3
    assert again.gated.end_to_end.right == 2  # type: ignore[union-attr]
    # ...and the simulated kind survives the SQLite store's encoding
    store = await sl.open_store(url)
    try:
        events = await store.load(again.runs[0].run_id)
    finally:
        await store.close()
    assert [e.reviewer_kind for e in events if isinstance(e, ApprovalDecided)] == ["simulated"]


async def test_decisions_default_to_human_and_refuse_an_unknown_kind() -> None:
    pipe = pipeline()
    store = MemoryStore()
    result = await pipe.run({"doc": tasks()[0]["doc"]}, store=store)
    (pending,) = result.pending_approvals
    with pytest.raises(sl.ApprovalError, match="reviewer_kind='robot'"):
        await pipe.decide(pending.approval_id, "approve", store=store, reviewer_kind="robot")  # type: ignore[arg-type]
    done = await pipe.decide(pending.approval_id, "approve", store=store, reviewer="ana")
    assert done is not None
    (decided,) = [e for e in done.events if isinstance(e, ApprovalDecided)]
    assert (decided.reviewer, decided.reviewer_kind) == ("ana", "human")


def test_reviewers_by_name_and_bad_names() -> None:
    assert reviewer_for(None) is None and reviewer_for("none") is None
    assert isinstance(reviewer_for("expected"), ExpectedReviewer)
    with pytest.raises(ConfigError, match="reviewer 'careful'"):
        reviewer_for("careful")
    with pytest.raises(ConfigError, match="a reviewer needs a `name`"):
        reviewer_for(object())  # type: ignore[arg-type]
