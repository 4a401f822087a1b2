"""Tools that need a person's approval: what the approval shows, and how a decision binds.

A tool marked `requires_approval` (`sl.tool(fn, requires_approval=True)`, or
`pipe.mcp_server(..., requires_approval=["git_commit"])`) is never called on the model's
word alone. The approval shows the exact call — tool, server, arguments — and a
fingerprint of it (SHA-256 of the canonical JSON of tool and arguments). A decision
approves that fingerprint and nothing else: a call with other arguments needs its own.

In the run log the request is an `ApprovalRequested` with `reason="tool_call"` whose
artifact is a `ToolCallApproval`, and the decision the usual `ApprovalDecided` ("approve",
"reject" with a reason the model is told, or "edit" with corrected arguments). So pending
tool calls appear in `seamline approvals` and are decided with `seamline approve`.

Suspending the run while it waits, and resuming the attempt to make the approved call
exactly once, is the executor's part and is not there yet: until it is, a call that needs
an approval ends the run with `ToolApprovalRequired` (see `find_decision` for what is
already honoured).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from seamline.events import ApprovalDecided, ApprovalRequested

TOOL_CALL = "tool_call"  # ApprovalRequested.reason of a tool-call approval


def fingerprint(tool: str, arguments: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of (tool, arguments): what an approval is bound to."""
    text = json.dumps(
        {"tool": tool, "arguments": arguments},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ToolCallApproval:
    """What a person is shown to approve one tool call (the approval's artifact)."""

    tool: str
    server: str | None
    arguments: dict[str, Any]
    fingerprint: str
    attempt: int
    call_id: str | None = None

    def as_artifact(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ToolDecision:
    """A person's decision on one tool call."""

    approval_id: str
    decision: str  # "approve", "reject" or "edit"
    arguments: dict[str, Any]  # what to call it with: the approved ones, or the edit
    reason: str | None = None
    reviewer: str | None = None


def find_decision(
    events: Iterable[Any], step: str, index: int | None, call: str
) -> ToolDecision | None:
    """The decision on the tool call whose fingerprint is `call`, for this unit of work.

    An "edit" decision's arguments are the corrected ones; a decision on any other
    fingerprint (other arguments) does not count.
    """
    requested: dict[str, ApprovalRequested] = {}
    found: ToolDecision | None = None
    for e in events:
        if (
            type(e) is ApprovalRequested
            and e.reason == TOOL_CALL
            and e.step == step
            and e.index == index
            and isinstance(e.artifact, dict)
            and e.artifact.get("fingerprint") == call
        ):
            requested[e.approval_id] = e
        elif type(e) is ApprovalDecided and e.approval_id in requested:
            artifact = requested[e.approval_id].artifact
            arguments = artifact["arguments"]
            if e.decision == "edit" and isinstance(e.edit, dict):
                arguments = e.edit.get("arguments", e.edit)
            found = ToolDecision(e.approval_id, e.decision, arguments, e.reason, e.reviewer)
    return found
