"""Tool-call approvals: the fingerprint an approval is bound to, and which decision counts."""

from __future__ import annotations

from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    Event,
    RunStarted,
    StepStarted,
)
from seamline.runtime.state import RunState, fold
from seamline.tools.approval import ToolCallApproval, find_decision, fingerprint


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


def test_a_decision_counts_only_for_the_call_it_was_shown() -> None:
    args = {"to": "ACME", "amount": 10}
    state = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="approve", reviewer="ana"),
    )
    print_ = fingerprint("bank.transfer", args)
    found = find_decision(state, "pay", None, 1, "c1", print_)
    assert found is not None and found.effect == "approve" and found.arguments == args
    assert found.reviewer == "ana"
    other_args = fingerprint("bank.transfer", {**args, "amount": 11})
    assert find_decision(state, "pay", None, 1, "c1", other_args) is None
    assert find_decision(state, "other", None, 1, "c1", print_) is None
    assert find_decision(state, "pay", None, 2, "c1", print_) is None  # another attempt's
    assert find_decision(state, "pay", None, 1, "c2", print_) is None  # another call's


def test_an_edit_carries_the_corrected_arguments_a_rejection_its_reason_a_pending_one_none() -> (
    None
):
    args = {"to": "ACME", "amount": 10}
    print_ = fingerprint("bank.transfer", args)
    pending = state_of(request("r.2", args, call_id="c1"))
    assert find_decision(pending, "pay", None, 1, "c1", print_) is None
    edited = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(
            seq=3,
            approval_id="r.2",
            decision="edit",
            edit={"arguments": {"to": "ACME", "amount": 9}},
        ),
    )
    found = find_decision(edited, "pay", None, 1, "c1", print_)
    assert found is not None and found.effect == "edit"
    assert found.arguments == {"to": "ACME", "amount": 9}
    rejected = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="reject", reason="not today"),
    )
    found = find_decision(rejected, "pay", None, 1, "c1", print_)
    assert found is not None and found.effect == "reject" and "not today" in found.refusal
    timed_out = state_of(
        request("r.2", args, call_id="c1"),
        ApprovalDecided(seq=3, approval_id="r.2", decision="timeout", reason="too late"),
    )
    found = find_decision(timed_out, "pay", None, 1, "c1", print_)
    assert found is not None and found.effect == "reject" and found.timed_out
