"""Run logs to write in store tests: one of every event kind, and a six-step run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from seamline.events import (
    EVENT_TYPES,
    ApprovalDecided,
    ApprovalRequested,
    ContextRead,
    Event,
    GateEvaluated,
    ModelCalled,
    Rewound,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepSkipped,
    StepStarted,
    ToolCalled,
    encode,
)
from seamline.store import RunStore
from seamline.verdict import CheckResult, Outcome, Verdict

# Opens another handle on a test's store (the `connect` fixture).
Connect = Callable[[], Awaitable[RunStore]]

STEPS = ("claim", "policy", "coverage", "estimate", "decision", "letter")


class Claim(BaseModel):
    claimant: str
    amount: float
    policy_id: str
    notes: list[str] = []


class Letter(BaseModel):
    subject: str
    body: str


def every_event(t0: float = 1_760_000_000.125, approval_id: str = "appr-1") -> list[Event]:
    """A plausible log holding one event of every kind, seqs 0..n-1.

    Its times are whole milliseconds (with the default `t0`), which every store keeps
    exactly.
    """
    claim = Claim(claimant="Ada Lovelace", amount=1250.5, policy_id="P-77", notes=["üñí"])
    verdict = Verdict(
        passed=False,
        score=0.42,
        checks=(
            CheckResult("amount is positive", "check", Outcome.PASSED),
            CheckResult("policy id is in the document", "check", Outcome.FAILED, "P-77 absent"),
            CheckResult("faithful", "judge", Outcome.SKIPPED),
        ),
    )
    events: list[Event] = [
        RunStarted(
            seq=0,
            at=t0,
            pipeline="claims",
            inputs={"doc": {"text": "Claim by Ada Lovelace for 1250.50 under P-77"}},
            options={"gates": "on", "budget": {"calls": 20}},
        ),
        StepStarted(seq=1, at=t0 + 0.001, step="claim", attempt=1),
        ModelCalled(
            seq=2,
            at=t0 + 0.5,
            step="claim",
            attempt=1,
            model="local",
            request={"messages": [{"role": "user", "content": "Extract the claim"}]},
            response={"text": claim.model_dump_json()},
            input_tokens=120,
            output_tokens=40,
            cost_usd=0.0001,
            seconds=0.49,
        ),
        ToolCalled(
            seq=3,
            at=t0 + 0.6,
            step="claim",
            attempt=1,
            tool="lookup_policy",
            request={"policy_id": "P-77"},
            response=[{"id": "P-77", "active": True}],
            seconds=0.01,
        ),
        StepFinished(seq=4, at=t0 + 0.7, step="claim", attempt=1, artifact=claim),
        GateEvaluated(
            seq=5,
            at=t0 + 0.8,
            step="claim",
            attempt=1,
            verdict=verdict,
            action="fallback:openai:gpt-x",
            effect="again",
            model="openai:gpt-x",
            feedback=verdict.reasons,
        ),
        StepStarted(seq=6, at=t0 + 0.9, step="claim", attempt=2, model="openai:gpt-x"),
        StepErrored(
            seq=7, at=t0 + 1.0, step="claim", attempt=2, error="TimeoutError: 30s", kind="timeout"
        ),
        StepSkipped(seq=8, at=t0 + 1.1, step="vfx", reason="when= returned False"),
        ApprovalRequested(
            seq=9,
            at=t0 + 1.2,
            approval_id=approval_id,
            step="claim",
            artifact=claim,
            reason="escalation",
            index=3,
            timeout_at=t0 + 86_400,
        ),
        RunFinished(seq=10, at=t0 + 1.3, status=RunStatus.WAITING),
        RunResumed(seq=11, at=t0 + 100.0, pid=4242),
        ContextRead(
            seq=12,
            at=t0 + 100.05,
            step="claim",
            attempt=2,
            collection="policies",
            query="policy P-77 storm cover",
            revision=3,
            passages=[
                {
                    "collection": "policies",
                    "document": "policies.csv",
                    "version": "0123456789abcdef",
                    "chunk": 2,
                    "text": "policy_id,holder\nP-77,Ada Lovelace",
                    "score": 0.0325,
                    "source": "examples/claims/policies.csv",
                    "title": None,
                    "heading": None,
                    "metadata": {},
                }
            ],
            where={"kind": ["policy"]},
            seconds=0.002,
        ),
        ApprovalDecided(
            seq=13,
            at=t0 + 100.1,
            approval_id=approval_id,
            decision="edit",
            reason="typo",
            edit={"claimant": "Ada King", "amount": 1250.5, "policy_id": "P-77"},
            reviewer="bob@example.com",
            route_to="claim",
            reason_code="wrong_value",
        ),
        Rewound(
            seq=14,
            at=t0 + 100.2,
            step="claim",
            steps=["claim", "decision"],
            feedback=["rejected by bob@example.com: wrong amount"],
            cause="rejected",
            index=3,
            approval_id=approval_id,
        ),
        RunFinished(
            seq=15, at=t0 + 101.0, status=RunStatus.FAILED, error="boom", error_type="StepFailed"
        ),
    ]
    assert {type(e).__name__ for e in events} == set(EVENT_TYPES), "add the new event kind here"
    return events


def six_step_run(n: int, t0: float = 1_760_000_000.0) -> list[list[Event]]:
    """A six-step run's 14 events, in the 6 batches an executor would append."""
    seq = 0

    def ev(cls: type[Event], **kw: object) -> Event:
        nonlocal seq
        event = cls(seq=seq, at=t0 + seq / 1000, **kw)
        seq += 1
        return event

    def done(step: str) -> Event:
        if step == "letter":
            return ev(
                StepFinished,
                step=step,
                attempt=1,
                artifact=Letter(subject=f"Claim {n}", body="Approved."),
            )
        return ev(
            StepFinished,
            step=step,
            attempt=1,
            artifact=Claim(claimant=f"claimant {n}", amount=n + 0.5, policy_id=f"P-{n}"),
        )

    a, b, c, d, e, f = STEPS
    return [
        [
            ev(RunStarted, pipeline="claims", inputs={"doc": {"text": f"claim {n}"}}),
            ev(StepStarted, step=a, attempt=1),
        ],
        [done(a), ev(StepStarted, step=b, attempt=1), ev(StepStarted, step=c, attempt=1)],
        [done(b), done(c), ev(StepStarted, step=d, attempt=1)],
        [done(d), ev(StepStarted, step=e, attempt=1)],
        [done(e), ev(StepStarted, step=f, attempt=1)],
        [done(f), ev(RunFinished, status=RunStatus.SUCCEEDED)],
    ]


def as_json(events: list[Event]) -> list[tuple[int, str, dict[str, object]]]:
    """Events as stored: what must survive a round trip exactly."""
    return [(e.seq, *encode(e)) for e in events]
