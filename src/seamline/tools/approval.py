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
the model asks for the same call; the toolset finds the decision here and makes the
approved call once, writing it to the store at once, so a process that dies after it
replays its result instead of calling again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from seamline.events import TOOL_CALL
from seamline.exceptions import ApprovalError

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.runtime.state import ApprovalState, RunState


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
        timeout: seconds the call may wait for a decision (not shown: it sets the
            request's `timeout_at`).
    """

    tool: str
    server: str | None
    arguments: dict[str, Any]
    fingerprint: str
    attempt: int
    call_id: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    timeout: float | None = field(default=None, compare=False)

    def as_artifact(self) -> dict[str, Any]:
        shown = asdict(self)
        del shown["timeout"]
        return shown


@dataclass(frozen=True, slots=True)
class ToolDecision:
    """A person's decision on one tool call, as the toolset applies it."""

    approval_id: str
    effect: str  # "approve", "edit" or "reject" (a timeout rejects)
    arguments: dict[str, Any]  # what to call it with: the approved ones, or the edit
    reason: str | None = None
    reviewer: str | None = None
    timed_out: bool = False

    @property
    def refusal(self) -> str:
        """What the model is told of a rejected call, as the call's result."""
        if self.timed_out:
            return f"This call was not made: {self.reason or 'no one approved it in time'}."
        who = f"a person ({self.reviewer})" if self.reviewer else "a person"
        return f"This call was not made: {who} rejected it: {self.reason or 'no reason given'}."


def requests_of(state: RunState, step: str, index: int | None) -> Iterable[ApprovalState]:
    """The tool-call approvals a unit of work asked for, through the run's reducer."""
    for approval in state.approvals.values() if state.approvals else ():
        request = approval.request
        if request.reason == TOOL_CALL and request.step == step and request.index == index:
            yield approval


def find_decision(
    state: RunState,
    step: str,
    index: int | None,
    attempt: int,
    call_id: str | None,
    call: str,
) -> ToolDecision | None:
    """The decision on this exact call (attempt, call id, fingerprint `call`), or None.

    An approval asked for the same arguments in another attempt, or for another call of
    this one, does not count: each call is approved on its own.
    """
    for approval in requests_of(state, step, index):
        shown = approval.request.artifact
        if (
            approval.decision is None
            or not isinstance(shown, Mapping)
            or shown.get("fingerprint") != call
            or shown.get("attempt") != attempt
            or shown.get("call_id") != call_id
        ):
            continue
        decided = approval.decision
        effect = state.effect_of(approval) or "reject"
        arguments = dict(shown.get("arguments") or {})
        if effect == "edit" and isinstance(decided.edit, Mapping):
            arguments = dict(decided.edit.get("arguments") or {})
        return ToolDecision(
            approval.request.approval_id,
            effect,
            arguments,
            decided.reason,
            decided.reviewer,
            timed_out=decided.decision == "timeout",
        )
    return None


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
    return f"{shown.get('tool')}({_json(shown.get('arguments'))}) fingerprint {shown.get('fingerprint')}"
