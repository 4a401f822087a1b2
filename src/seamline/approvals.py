"""Human decisions on approvals: approve, reject with a reason, or edit the artifact.

A decision is an `ApprovalDecided` event appended to the run's log by whichever process
takes it; the run continues when it is resumed (`pipe.resume(run_id)` or
`seamline resume RUN_ID`). The store refuses a second decision on the same approval,
so deciding twice changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from seamline.events import ApprovalDecided, ApprovalRequested, RunStatus
from seamline.exceptions import ApprovalError, StoreError

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

    Args:
        reason: why; required to reject, and fed back to the step that redoes the work.
        edit: for "edit", the corrected artifact (a model or its JSON); validated against
            the step's artifact type when `pipeline` is given.
        reviewer: who decided, as the feedback dataset shows it.
        route_to: for "reject", send the work to this earlier step instead.
        reviewer_kind: "simulated" when code decides in a person's place (an eval's
            reviewer); such decisions are labelled simulated everywhere and never count
            as human agreement.

    Raises:
        ApprovalError: unknown approval, already decided, the run is not waiting, a
            rejection without a reason, or an edit that does not validate.
    """
    if decision not in ("approve", "reject", "edit"):
        raise ApprovalError(f"decision {decision!r}: use approve, reject or edit")
    if reviewer_kind not in ("human", "simulated"):
        raise ApprovalError(f"reviewer_kind={reviewer_kind!r}: use 'human' or 'simulated'")
    if decision == "reject" and not reason:
        raise ApprovalError("a rejection needs a reason: it becomes the feedback for the redo")
    if decision == "edit" and edit is None:
        raise ApprovalError("an edit needs the corrected artifact")
    pending = {a.approval_id: a for a in await store.pending_approvals()}
    approval = pending.get(approval_id)
    if approval is None:
        raise ApprovalError(
            f"approval {approval_id!r} is not pending (unknown, or already decided); "
            "`seamline approvals` lists the pending ones"
        )
    summary = next((r for r in await store.runs() if r.run_id == approval.run_id), None)
    if summary is not None and summary.status not in (RunStatus.WAITING, RunStatus.NEEDS_REVIEW):
        raise ApprovalError(
            f"run {approval.run_id!r} is {summary.status.value}, still being driven by a process; "
            "decide once it is waiting"
        )
    events = await store.load(approval.run_id)
    request = next(
        e for e in events if isinstance(e, ApprovalRequested) and e.approval_id == approval_id
    )
    if pipeline is not None:
        edit = _checked_edit(pipeline, request, edit) if decision == "edit" else edit
        if route_to is not None and route_to not in pipeline.validate().ancestors(request.step) | {
            request.step
        }:
            raise ApprovalError(
                f"route_to={route_to!r} is not {request.step!r} or a step upstream of it"
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
    try:
        await store.append(approval.run_id, [decided])
    except StoreError as e:
        raise ApprovalError(f"approval {approval_id!r} was decided concurrently: {e}") from None
    return approval.run_id


def _checked_edit(pipeline: Pipeline, request: ApprovalRequested, edit: Any) -> Any:
    step = pipeline.validate().steps[request.step]
    shape = step.returns if request.index is not None or step.map is None else step.artifact
    try:
        return TypeAdapter(shape.annotation).validate_python(to_jsonable_python(edit))
    except ValidationError as e:
        raise ApprovalError(f"the edit is not a valid {request.step!r} artifact: {e}") from None
