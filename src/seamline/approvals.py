"""Human decisions on approvals: approve, reject with a reason, or edit the artifact.

A decision is an `ApprovalDecided` event appended to the run's log by whichever process
takes it; the run continues when it is resumed (`pipe.resume(run_id)` or
`seamline resume RUN_ID`). The store refuses a second decision on the same approval,
so deciding twice changes nothing; an approval whose work was redone meanwhile is closed
(superseded) and cannot be decided.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from seamline.events import ApprovalDecided, ApprovalRequested, Event, RunStatus
from seamline.exceptions import ApprovalError
from seamline.runtime.state import RunState, fold

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.store.base import RunStore

Decision = Literal["approve", "reject", "edit"]
ReviewerKind = Literal["human", "simulated"]


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
) -> str:
    """Record a decision on a pending approval; returns the id of the run it belongs to.

    The run's lease is held while the decision is written, so a decision never races a
    process that drives the run. With `pipeline`, the run is first checked against it
    (`IncompatibleRun` if it changed in a way the run cannot survive), and an edit is
    validated against the step's type: nothing is written unless all of that holds.

    Args:
        reason: why; required to reject, and fed back to the step that redoes the work.
        edit: for "edit", the corrected artifact (a model or its JSON).
        reviewer: who decided, as the feedback dataset shows it.
        route_to: for "reject", send the work to this earlier step instead.
        reviewer_kind: "simulated" when code decides in a person's place (an eval's
            reviewer); such decisions are labelled simulated everywhere and never count
            as human agreement.

    Raises:
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
        if approval is None or not approval.pending:
            raise ApprovalError(f"approval {approval_id!r} is not pending in run {run_id!r}")
        request = approval.request
        if pipeline is not None:
            edit = _checked_edit(pipeline, request, edit) if decision == "edit" else edit
            if route_to is not None and route_to not in pipeline.validate().ancestors(
                request.step
            ) | {request.step}:
                raise ApprovalError(
                    f"route_to={route_to!r} is not {request.step!r} or a step upstream of it"
                )
        if decision == "approve" and request.reason == "escalation" and request.artifact is None:
            raise ApprovalError(
                f"approval {approval_id!r} escalates an attempt that produced no artifact "
                "(its output did not validate): approve it with a corrected artifact "
                "(an edit), or reject it"
            )
        decided = ApprovalDecided(
            seq=len(events),
            approval_id=approval_id,
            decision=decision,
            reason=reason,
            edit=to_jsonable_python(edit) if edit is not None else None,
            reviewer=reviewer,
            route_to=route_to,
            reviewer_kind=reviewer_kind,
        )
        await store.append(run_id, [decided])
    finally:
        await store.release(run_id)
    if pipeline is not None and pipeline.learn_from_approvals and decision != "reject":
        await _learn(store, pipeline, [*events, decided], request, decided)
    return run_id


async def _state(
    store: RunStore, run_id: str, pipeline: Pipeline | None
) -> tuple[list[Event], RunState]:
    if pipeline is not None:
        from seamline.runtime.resume import load_state

        return await load_state(pipeline, store, run_id)
    events = await store.load(run_id)
    return events, fold(run_id, events)


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
