"""Human decisions on approvals: approve, reject with a reason, or edit the artifact.

A decision is an `ApprovalDecided` event appended to the run's log by whichever process
takes it; the run continues when it is resumed (`pipe.resume(run_id)` or
`seamline resume RUN_ID`). A run on Temporal gets the decision as a signal to its
workflow, which writes it and goes on (`seamline.engines.temporal`). The store refuses a second decision on the same approval,
so deciding twice changes nothing; an approval whose work was redone meanwhile is closed
(superseded) and cannot be decided.

A decision can be bound to what the person saw: `fingerprint(request)` hashes the
approval's id and artifact as shown, and `decide(..., expected=that)` refuses
(`StaleApproval`) a decision whose reviewer saw something else.

A tool-call approval (`reason="tool_call"`, see `seamline.tools.approval`) is decided the
same way; `expected` may also be the call's own fingerprint (of tool and arguments, as
`seamline approvals` shows it); its edit is `{"arguments": {...}}`, checked against the
tool's input schema, and a rejection's reason goes to the model as the call's result.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from seamline.events import (
    TOOL_CALL,
    ApprovalDecided,
    ApprovalRequested,
    Event,
    RunStarted,
    RunStatus,
)
from seamline.exceptions import ApprovalError, StaleApproval
from seamline.runtime.state import ApprovalState, RunState, fold

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.store.base import RunStore

Decision = Literal["approve", "reject", "edit"]
ReviewerKind = Literal["human", "simulated"]


def fingerprint(request: ApprovalRequested) -> str:
    """SHA-256 of the canonical JSON of what a reviewer is shown of an approval: its id,
    step, item and artifact. The same whether the artifact is a model or its JSON read
    back from a store."""
    text = json.dumps(
        {
            "approval_id": request.approval_id,
            "step": request.step,
            "index": request.index,
            "artifact": to_jsonable_python(request.artifact),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


async def decide(
    store: RunStore,
    approval_id: str,
    decision: Decision,
    *,
    reason: str | None = None,
    edit: Any = None,
    reviewer: str | None = None,
    route_to: str | None = None,
    pipeline: Pipeline | None = None,
    reviewer_kind: ReviewerKind = "human",
    expected: str | None = None,
    reason_code: str | None = None,
) -> str:
    """Record a decision on a pending approval; returns the id of the run it belongs to.

    The run's lease is held while the decision is written, so a decision never races a
    process that drives the run. With `pipeline`, the run is first checked against it
    (`IncompatibleRun` if it changed in a way the run cannot survive), and an edit is
    validated against the step's type: nothing is written unless all of that holds.

    Args:
        reason: why; required to reject, and fed back to the step that redoes the work.
        edit: for "edit", the corrected artifact (a model or its JSON); for a tool call,
            `{"arguments": {...}}`, the arguments to make it with instead.
        reviewer: who decided, as the feedback dataset shows it.
        route_to: for "reject", send the work to this earlier step instead.
        reviewer_kind: "simulated" when code decides in a person's place (an eval's
            reviewer); such decisions are labelled simulated everywhere and never count
            as human agreement.
        reason_code: a category for the decision's reason (e.g. "wrong_value"), kept
            beside it in the log and the feedback dataset.
        expected: the `fingerprint` of the approval as the reviewer saw it; the decision
            is refused unless the approval is still exactly that. For a tool call, the
            call's fingerprint (`sl.tool_call_fingerprint`) is accepted too.

    Raises:
        StaleApproval: `expected` is not the approval's fingerprint.
        ApprovalError: unknown approval, already decided or superseded, the run is not
            waiting, a rejection without a reason, or an edit that does not validate.
        RunBusy: another process drives the run.
        IncompatibleRun: the pipeline cannot continue the run.
    """
    if decision not in ("approve", "reject", "edit"):
        raise ApprovalError(f"decision {decision!r}: use approve, reject or edit")
    if reviewer_kind not in ("human", "simulated"):
        raise ApprovalError(f"reviewer_kind={reviewer_kind!r}: use 'human' or 'simulated'")
    if decision == "reject" and not reason:
        raise ApprovalError("a rejection needs a reason: it becomes the feedback for the redo")
    if decision == "edit" and edit is None:
        raise ApprovalError("an edit needs the corrected artifact")
    record = await store.approval(approval_id)
    if record is None:
        raise ApprovalError(
            f"no approval {approval_id!r}; `seamline approvals` lists the pending ones"
        )
    if not record.pending:
        raise ApprovalError(
            f"approval {approval_id!r} is not pending: it was decided, or its work was "
            "redone meanwhile (a rejection or a reroute upstream); `seamline approvals` lists "
            "the pending ones"
        )
    run_id = record.run_id
    await store.acquire(run_id)
    try:
        events, state = await _state(store, run_id, pipeline)
        if state.status not in (RunStatus.WAITING, RunStatus.NEEDS_REVIEW):
            raise ApprovalError(
                f"run {run_id!r} is {state.status.value}, not waiting for a decision"
            )
        approval = state.approvals.get(approval_id) if state.approvals else None
        if (
            approval is not None
            and approval.pending
            and expected is not None
            and expected not in _fingerprints(approval)
        ):
            raise StaleApproval(
                f"approval {approval_id!r} is not what the reviewer saw: its artifact or "
                "step differs from the one shown (fingerprint mismatch). Nothing was "
                "recorded; reload it and decide again."
            )
        edit = check_decision(state, approval_id, decision, edit, route_to, pipeline)
        request = state.approvals[approval_id].request
        decided = ApprovalDecided(
            seq=len(events),
            approval_id=approval_id,
            decision=decision,
            reason=reason,
            edit=to_jsonable_python(edit) if edit is not None else None,
            reviewer=reviewer,
            route_to=route_to,
            reviewer_kind=reviewer_kind,
            reason_code=reason_code,
        )
        engine = events[0].options.get("engine") if isinstance(events[0], RunStarted) else None
        if engine:
            # The run's workflow writes its log: the decision goes to it, to be written
            # and applied there, by whichever worker runs next.
            from seamline.engines.temporal.client import send_decision

            await send_decision(engine, run_id, decided)
        else:
            await store.append(run_id, [decided])
    finally:
        await store.release(run_id)
    if (
        pipeline is not None
        and pipeline.learn_from_approvals
        and decision != "reject"
        and request.reason != TOOL_CALL  # a call approved is no example of the step's artifact
    ):
        await _learn(store, pipeline, [*events, decided], request, decided)
    return run_id


def check_decision(
    state: RunState,
    approval_id: str,
    decision: str,
    edit: Any,
    route_to: str | None,
    pipeline: Pipeline | None,
) -> Any:
    """Whether the run's state lets `decision` be taken on the approval; returns the
    edit, validated against the step's type when the pipeline is given.

    Raises:
        ApprovalError: what does not hold, and what to do instead.
    """
    approval = state.approvals.get(approval_id) if state.approvals else None
    if approval is None or not approval.pending:
        raise ApprovalError(f"approval {approval_id!r} is not pending in run {state.run_id!r}")
    request = approval.request
    if request.reason == TOOL_CALL:
        if route_to is not None:
            raise ApprovalError(
                "route_to is for an artifact's approval; a rejected tool call goes to the "
                "model that asked for it, with the reason"
            )
        from seamline.tools.approval import check_tool_decision

        return check_tool_decision(
            request.artifact,
            edit=edit if decision == "edit" else None,
            pipeline=pipeline,
            step=request.step,
        )
    if pipeline is not None:
        edit = _checked_edit(pipeline, request, edit) if decision == "edit" else edit
        if route_to is not None and route_to not in pipeline.validate().ancestors(request.step) | {
            request.step
        }:
            raise ApprovalError(
                f"route_to={route_to!r} is not {request.step!r} or a step upstream of it"
            )
    if decision == "approve" and request.reason == "escalation" and request.artifact is None:
        raise ApprovalError(
            f"approval {approval_id!r} escalates an attempt that produced no artifact "
            "(its output did not validate): approve it with a corrected artifact "
            "(an edit), or reject it"
        )
    return edit


def _fingerprints(approval: ApprovalState) -> set[str]:
    """What a reviewer may name as what they saw: the approval's fingerprint, and for a
    tool call, the call's own."""
    seen = {fingerprint(approval.request)}
    if approval.call is not None:
        seen.add(approval.call.fingerprint)
    return seen


async def _state(
    store: RunStore, run_id: str, pipeline: Pipeline | None
) -> tuple[list[Event], RunState]:
    if pipeline is not None:
        from seamline.runtime.resume import load_state

        return await load_state(pipeline, store, run_id)
    events = await store.load(run_id)
    return events, fold(run_id, events)


_warned_no_context = False  # `_learn` says once per process that the context extra is missing


async def _learn(
    store: RunStore,
    pipeline: Pipeline,
    events: list[Any],
    request: ApprovalRequested,
    decided: ApprovalDecided,
) -> None:
    """Write the approved artifact to the step's examples (context/learn.py). The
    decision is already in the log: a failure here loses nothing and is only a warning,
    which `seamline context learn` repairs."""
    from seamline.context.learn import remember
    from seamline.context.reads import context_url_for, shared_store

    source = pipeline.context if pipeline.context is not None else context_url_for(store.url)
    if source is None:
        return  # an in-memory run store, and no context store configured
    try:
        context = source if not isinstance(source, str) else await shared_store(source)
        await remember(context, pipeline, events, request, decided)
    except ImportError as e:
        # Without the `context` extra there is no embedder to write examples with: say so
        # once per process, not once per approval.
        global _warned_no_context
        if not _warned_no_context:
            _warned_no_context = True
            warnings.warn(
                f"approved artifacts are not written to the context store as examples: "
                f"that needs the `context` extra ({e}); install it with "
                "`pip install 'seamline[context]'` and `seamline context learn "
                f"{pipeline.name}` writes the ones recorded meanwhile (or pass "
                "learn_from_approvals=False to the pipeline)",
                RuntimeWarning,
                stacklevel=3,
            )
    except Exception as e:
        warnings.warn(
            f"approval {request.approval_id}: the decision is recorded, but its example was "
            f"not written to the context store ({type(e).__name__}: {e}); "
            f"`seamline context learn {pipeline.name}` writes it later",
            RuntimeWarning,
            stacklevel=3,
        )


def _checked_edit(pipeline: Pipeline, request: ApprovalRequested, edit: Any) -> Any:
    step = pipeline.validate().steps[request.step]
    shape = step.returns if request.index is not None or step.map is None else step.artifact
    try:
        return TypeAdapter(shape.annotation).validate_python(to_jsonable_python(edit))
    except ValidationError as e:
        raise ApprovalError(f"the edit is not a valid {request.step!r} artifact: {e}") from None
