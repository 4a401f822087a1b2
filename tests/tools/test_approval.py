"""Tool-call approvals: the fingerprint an approval is bound to, and which decision counts."""

from __future__ import annotations

from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    Event,
    RunStarted,
    StepStarted,
    ToolCalled,
)
from seamline.runtime.state import RunState, fold
from seamline.tools.approval import ToolCallApproval, ToolDecision, fingerprint


def request(approval_id: str, arguments: dict, call_id: str) -> ApprovalRequested:
    shown = ToolCallApproval(
        "bank.transfer",
        "bank",
        arguments,
        fingerprint("bank.transfer", arguments),
        attempt=1,
        call_id=call_id,
    )
    return ApprovalRequested(
        seq=2, approval_id=approval_id, step="pay", artifact=shown.as_artifact(), reason=TOOL_CALL
    )


def test_the_fingerprint_is_of_the_exact_arguments_in_any_key_order() -> None:
    a = fingerprint("bank.transfer", {"to": "ACME", "amount": 10})
    assert a == fingerprint("bank.transfer", {"amount": 10, "to": "ACME"})
    assert a != fingerprint("bank.transfer", {"to": "ACME", "amount": 11})
    assert a != fingerprint("bank.pay", {"to": "ACME", "amount": 10})


def state_of(*events: Event) -> RunState:
    started = RunStarted(
        seq=0,
        pipeline="bank",
        inputs={},
        options={"graph": {"pay": {"reads": [], "returns": "Paid"}}},
    )
    return fold("r", [started, StepStarted(seq=1, step="pay", attempt=1), *events])


def called(seq: int, approval_id: str, outcome: str = "ok") -> ToolCalled:
    return ToolCalled(
        seq=seq,
        step="pay",
        attempt=1,
        tool="bank.transfer",
        request={"to": "ACME", "amount": 10},
        response="done" if outcome == "ok" else None,
        call_id="c1",
        outcome=outcome,
        approval_id=approval_id,
    )


def test_the_reducer_indexes_tool_call_approvals_by_unit_attempt_and_call_id() -> None:
    args = {"to": "ACME", "amount": 10}
    state = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="approve", reviewer="ana"),
    )
    (found,) = state.tool_call_approvals("pay", 1, "c1")
    assert found.call is not None and found.call.fingerprint == fingerprint("bank.transfer", args)
    assert found.made is None and found.started is None  # decided, not used yet
    decision = ToolDecision.of(state, found)
    assert decision.effect == "approve" and decision.arguments == args
    assert decision.reviewer == "ana"
    assert state.tool_call_approvals("other", 1, "c1") == []
    assert state.tool_call_approvals("pay", 2, "c1") == []  # another attempt's
    assert state.tool_call_approvals("pay", 1, "c2") == []  # another call's


def test_a_decision_is_used_once_its_call_is_recorded_and_an_intent_alone_is_not_a_result() -> (
    None
):
    args = {"to": "ACME", "amount": 10}
    decided = [
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="approve"),
    ]
    started = state_of(*decided, called(4, "r.2", "started"))
    (approval,) = started.tool_call_approvals("pay", 1, "c1")
    assert approval.started is not None and approval.made is None
    assert started.tool_calls == 0  # an intent is not a call made
    made = state_of(*decided, called(4, "r.2", "started"), called(5, "r.2"))
    (approval,) = made.tool_call_approvals("pay", 1, "c1")
    assert approval.made is not None and approval.made.response == "done"
    assert made.tool_calls == 1


def test_a_repeated_call_id_in_one_attempt_gets_approvals_of_its_own_in_log_order() -> None:
    args = {"to": "ACME", "amount": 10}
    second = ApprovalRequested(
        seq=6,
        approval_id="r.6",
        step="pay",
        artifact=request("x", args, call_id="c1").artifact,
        reason=TOOL_CALL,
    )
    state = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="approve"),
        called(4, "r.2", "started"),
        called(5, "r.2"),
        second,
    )
    first, then = state.tool_call_approvals("pay", 1, "c1")
    assert first.made is not None and then.pending and then.made is None
    assert state.waits_on_tool_calls("pay") == "r.6"


def test_an_edit_carries_the_corrected_arguments_a_rejection_its_reason() -> None:
    args = {"to": "ACME", "amount": 10}

    def decision(decided: ApprovalDecided) -> ToolDecision:
        state = state_of(request("r.2", args, call_id="c1"), decided)
        return ToolDecision.of(state, state.tool_call_approvals("pay", 1, "c1")[0])

    edited = decision(
        ApprovalDecided(
            seq=3,
            approval_id="r.2",
            decision="edit",
            edit={"arguments": {"to": "ACME", "amount": 9}},
        )
    )
    assert edited.effect == "edit" and edited.arguments == {"to": "ACME", "amount": 9}
    rejected = decision(
        ApprovalDecided(seq=3, approval_id="r.2", decision="reject", reason="not today")
    )
    assert rejected.effect == "reject" and "not today" in rejected.refusal
    timed_out = decision(
        ApprovalDecided(seq=3, approval_id="r.2", decision="timeout", reason="too late")
    )
    assert timed_out.effect == "reject" and timed_out.timed_out
