"""Tool-call approvals: the fingerprint an approval is bound to, and which decision counts."""

from __future__ import annotations

from seamline.events import ApprovalDecided, ApprovalRequested
from seamline.tools.approval import TOOL_CALL, ToolCallApproval, find_decision, fingerprint


def request(approval_id: str, arguments: dict, step: str = "pay") -> ApprovalRequested:
    shown = ToolCallApproval(
        "bank.transfer", "bank", arguments, fingerprint("bank.transfer", arguments), attempt=1
    )
    return ApprovalRequested(
        seq=1, approval_id=approval_id, step=step, artifact=shown.as_artifact(), reason=TOOL_CALL
    )


def test_the_fingerprint_is_of_the_exact_arguments_in_any_key_order() -> None:
    a = fingerprint("bank.transfer", {"to": "ACME", "amount": 10})
    assert a == fingerprint("bank.transfer", {"amount": 10, "to": "ACME"})
    assert a != fingerprint("bank.transfer", {"to": "ACME", "amount": 11})
    assert a != fingerprint("bank.pay", {"to": "ACME", "amount": 10})


def test_a_decision_counts_only_for_the_call_it_was_shown() -> None:
    args = {"to": "ACME", "amount": 10}
    log = [
        request("r.1", args),
        ApprovalDecided(seq=2, approval_id="r.1", decision="approve", reviewer="ana"),
    ]
    found = find_decision(log, "pay", None, fingerprint("bank.transfer", args))
    assert found is not None and found.decision == "approve" and found.arguments == args
    assert (
        find_decision(log, "pay", None, fingerprint("bank.transfer", {**args, "amount": 11}))
        is None
    )
    assert find_decision(log, "other", None, fingerprint("bank.transfer", args)) is None


def test_an_edit_carries_the_corrected_arguments_and_a_pending_one_none() -> None:
    args = {"to": "ACME", "amount": 10}
    print_ = fingerprint("bank.transfer", args)
    assert find_decision([request("r.1", args)], "pay", None, print_) is None
    edited = [
        request("r.1", args),
        ApprovalDecided(
            seq=2,
            approval_id="r.1",
            decision="edit",
            edit={"arguments": {"to": "ACME", "amount": 9}},
        ),
    ]
    found = find_decision(edited, "pay", None, print_)
    assert found is not None and found.arguments == {"to": "ACME", "amount": 9}
