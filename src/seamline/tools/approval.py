"""Tools that need a person's approval: what the approval shows, and how a decision binds.

A tool marked `requires_approval` (`sl.tool(fn, requires_approval=True)`, or
`pipe.mcp_server(..., requires_approval=["git_commit"])`) is never called on the model's
word alone. When the model calls it, the attempt is suspended and the run waits: the
approval shows the exact call — tool, server, arguments, the tool's description and
input schema — and a fingerprint of it (SHA-256 of the canonical JSON of tool and
arguments). A decision is bound to that one call (the attempt, the id the model gave
the call, and its fingerprint): a call with other arguments, or the same call made
again later, needs its own.

In the run log the request is an `ApprovalRequested` with `reason="tool_call"` whose
artifact is a `ToolCallApproval`, and the decision the usual `ApprovalDecided`:
"approve"; "edit" with `edit={"arguments": {...}}`, the corrected arguments the call is
made with instead, checked against the tool's input schema before it is written; or
"reject" with a reason, which the model receives as the call's result. A request left
undecided past the tool's `approval_timeout` is rejected when the run is next resumed.

Whatever the decision, the attempt then runs again under its own number: its earlier
model turns and tool calls are answered from the log (`runtime/replay.py`'s prefix), so
the model asks for the same call. The run's reducer indexes tool-call approvals by
(unit, attempt, call id) (`RunState.tool_call_approvals`); the toolset matches them to the
calls of the attempt in order, each decision to one call, once:

- a decision whose call was made (its `ToolCalled` carries the `approval_id`) is used: the
  call is answered from that record, however the rest of the attempt's prefix went (a
  prompt that changed, a tool description that changed), and is never made again;
- an unused decision is applied: "approve" or "edit" makes the call, "reject" tells the
  model;
- a call with no decision left is deferred, and a person is asked (a model that numbers
  its calls per turn, or two `ctx.agent` calls in one attempt, repeat ids: the second call
  gets an approval of its own).

Made at most once: before an approved call is made, an intent (`ToolCalled` with
`outcome="started"`) is written to the store; its result follows, written at once. A
process that dies between the two leaves an intent with no result: the call may or may
not have happened, and seamline does not guess. The call is never made again on its own:
the attempt is suspended on a new approval of the same call marked `outcome_unknown`
(`seamline approvals` shows "OUTCOME UNKNOWN"). A person checks whether it happened and
decides: approve (or edit) to make it again, or reject with what they found (e.g. "it
went through: transfer 4411"), which the model receives as the call's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from seamline.exceptions import ApprovalError

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.runtime.state import ApprovalState, RunState

ToolEffect = Literal["approve", "edit", "reject"]


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
    """What a person is shown to approve one tool call (the approval's artifact).

    Attributes:
        tool: seamline's name for it (`"git.git_commit"`, or a Python tool's name).
        server: the MCP server's declared name; None for a Python tool.
        arguments: exactly what the model asked to call it with.
        fingerprint: `fingerprint(tool, arguments)`.
        attempt: the attempt of the step that asked.
        call_id: the id the model gave the call.
        description: what the tool says it does.
        parameters: the tool's input schema (JSON Schema): an edit must fit it.
        outcome_unknown: the approval id of an earlier decision on this same call whose
            call was started and never reported back (its process died during it): the
            person is asked whether it happened, not only whether to make it.
    """

    tool: str
    server: str | None
    arguments: dict[str, Any]
    fingerprint: str
    attempt: int
    call_id: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    outcome_unknown: str | None = None

    def as_artifact(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DeferredCall:
    """A call that waits for a person, as the toolset hands it to the executor.

    Attributes:
        shown: what the approval shows.
        timeout: seconds it may wait for a decision (sets the request's `timeout_at`).
        asked: the id of the approval already asked for it and still pending (the
            executor does not ask again), or None: ask.
    """

    shown: ToolCallApproval
    timeout: float | None = None
    asked: str | None = None


@dataclass(frozen=True, slots=True)
class ToolDecision:
    """A person's decision on one tool call, as the toolset applies it."""

    approval_id: str
    effect: ToolEffect  # a timeout rejects
    arguments: dict[str, Any]  # what to call it with: the approved ones, or the edit
    reason: str | None = None
    reviewer: str | None = None
    timed_out: bool = False
    outcome_unknown: bool = False  # asked after the call started and was never heard of

    @property
    def refusal(self) -> str:
        """What the model is told of a rejected call, as the call's result."""
        who = f"a person ({self.reviewer})" if self.reviewer else "a person"
        if self.outcome_unknown:  # it may have happened: the person says what they found
            if self.timed_out:
                return (
                    "This call was started once but its outcome was never recorded, and "
                    "no one checked it in time: it was not made again; it may or may not "
                    "have happened."
                )
            return (
                "This call was started once but its outcome was never recorded; it was "
                f"not made again. {who} checked: {self.reason or 'no finding given'}."
            )
        if self.timed_out:
            return f"This call was not made: {self.reason or 'no one approved it in time'}."
        return f"This call was not made: {who} rejected it: {self.reason or 'no reason given'}."

    @classmethod
    def of(cls, state: RunState, approval: ApprovalState) -> ToolDecision:
        """The decision recorded on a decided tool-call approval."""
        decided = approval.decision
        if decided is None:
            raise ValueError(f"approval {approval.request.approval_id!r} is not decided")
        shown = approval.request.artifact
        shown = shown if isinstance(shown, Mapping) else {}
        recorded = state.effect_of(approval)
        effect: ToolEffect = "approve" if recorded == "approve" else "reject"
        if recorded == "edit":
            effect = "edit"
        arguments = dict(shown.get("arguments") or {})
        if effect == "edit" and isinstance(decided.edit, Mapping):
            arguments = dict(decided.edit.get("arguments") or {})
        return cls(
            approval.request.approval_id,
            effect,
            arguments,
            decided.reason,
            decided.reviewer,
            timed_out=decided.decision == "timeout",
            outcome_unknown=shown.get("outcome_unknown") is not None,
        )


# -- deciding ---------------------------------------------------------------------------------


def check_tool_decision(shown: Any, *, edit: Any, pipeline: Pipeline | None, step: str) -> Any:
    """A decision on a tool-call approval, before it is written: an edit must be
    `{"arguments": {...}}` that fits the tool's input schema. Returns the edit to record
    (None for other decisions). (What the reviewer saw is checked by `decide`'s
    `expected`: the call's fingerprint.)

    Raises:
        ApprovalError: saying what is wrong and how to fix it; nothing is written.
    """
    if not isinstance(shown, Mapping):
        raise ApprovalError("this tool-call approval records no call to decide on")
    tool = shown.get("tool")
    if edit is None:
        return None
    if (
        not isinstance(edit, Mapping)
        or set(edit) != {"arguments"}
        or not isinstance(edit["arguments"], Mapping)
    ):
        raise ApprovalError(
            f'an edit of a tool call is {{"arguments": {{...}}}}: the arguments to call '
            f"{tool} with instead (got {_json(edit)})"
        )
    arguments = dict(edit["arguments"])
    problems = _schema_problems(shown.get("parameters"), arguments)
    if problems is None and shown.get("server") is None and pipeline is not None:
        problems = _python_tool_problems(pipeline, step, str(tool), arguments)
    if problems is None:
        raise ApprovalError(
            f"cannot check the edited arguments of {tool} against its input schema here: "
            "install jsonschema (it comes with seamline[mcp]) or decide with the pipeline "
            "at hand (--pipeline)"
        )
    if problems:
        raise ApprovalError(
            f"the edited arguments do not fit the input schema of {tool}: "
            + "; ".join(problems)
            + f". Its schema: {_json(shown.get('parameters'))}"
        )
    return {"arguments": arguments}


def _schema_problems(schema: Any, arguments: dict[str, Any]) -> list[str] | None:
    """What in `arguments` breaks the JSON Schema; None if no validator is installed."""
    try:
        import jsonschema
    except ImportError:
        return None
    if not isinstance(schema, Mapping):
        schema = {"type": "object"}
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path)
        problems.append(f"{where}: {error.message}" if where else error.message)
    return problems


def _python_tool_problems(
    pipeline: Pipeline, step: str, tool: str, arguments: dict[str, Any]
) -> list[str] | None:
    """Check arguments with the Python tool's own validator (its signature)."""
    from pydantic import ValidationError
    from pydantic_ai import Tool as PaiTool

    plan_step = pipeline.validate().steps.get(step)
    found = [t for t in plan_step.tools.functions if t.name == tool] if plan_step else []
    if not found:
        return None
    validator = PaiTool(found[0].fn, takes_ctx=False).function_schema.validator
    try:
        validator.validate_python(arguments)
    except ValidationError as e:
        return [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in e.errors(include_url=False)
        ]
    return []


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def describe(shown: Any) -> str:
    """One line for a person: the call and its fingerprint."""
    if not isinstance(shown, Mapping):
        return ""
    unknown = "OUTCOME UNKNOWN " if shown.get("outcome_unknown") else ""
    return (
        f"{unknown}{shown.get('tool')}({_json(shown.get('arguments'))}) "
        f"fingerprint {shown.get('fingerprint')}"
    )


def describe_call(approval_id: str, shown: Any, hint: str = "") -> str:
    """The whole call a tool-call approval shows, for a terminal (lines wrap, nothing is
    cut), with the commands that decide it bound to its fingerprint (`hint`: options
    every command needs, e.g. `--store ...`)."""
    if not isinstance(shown, Mapping):
        return f"tool call {approval_id}: (no call recorded)"
    server = shown.get("server")
    lines = [f"tool call {approval_id}:"]
    if shown.get("outcome_unknown"):
        lines += [
            "  OUTCOME UNKNOWN: this call was approved and started "
            f"(approval {shown['outcome_unknown']}), and its process died before its "
            "result was recorded. Check whether it happened: approve to make it again, or "
            "reject with what you found (the model is told).",
        ]
    lines += [
        f"  tool:        {shown.get('tool')}" + (f" (MCP server {server})" if server else ""),
        f"  arguments:   {_json(shown.get('arguments'))}",
    ]
    if shown.get("description"):
        lines.append(f"  description: {shown['description']}")
    print_ = shown.get("fingerprint")
    lines += [
        f"  fingerprint: {print_}",
        f"  approve:     seamline approve {approval_id} --fingerprint {print_}{hint}",
        f'  reject:      seamline reject {approval_id} --reason "..." --fingerprint {print_}{hint}',
    ]
    return "\n".join(lines)
