"""Approvals teach the next run: approved and edited artifacts become few-shot examples.

When a person approves an artifact (or edits it), `approvals.decide` calls `remember`
right after the decision is in the run log: the artifact (the edit, for an edit) and
the inputs its step read go into the step's examples collection
(`examples/<pipeline>/<step>`), one document per approval, found by the text of those
inputs (`ctx.examples()` matches this attempt's inputs against them).

Approving a step's artifact also approves what it was made from. A pipeline often asks
a person to sign off its last step (a claim's decision), while the step that needs
examples is upstream (the model that read the claim). So an *approve* also writes, to
each upstream step's own examples collection, that step's artifact with its inputs, as
the run's state held them when the approval was requested: for every step the approved
one reads from, directly or through others, that called a model in this run (a Python
step needs no examples) and that no one decided on separately in this run (then that
decision is its example). These examples say `taught_by` (the approved step). An *edit*
teaches only its own step: a person who corrected the result did not vouch for what
it was made from. Map steps are not taught this way (which item fed the approval?).

The write is idempotent: the document's id is the approval id (with the step's name
for an upstream example) and its version the content hash, so writing it twice (a
retry, or `learn_from_runs` catching up on decisions taken while the context store was
unavailable) changes nothing. Runs that started before the decision do not see the
example (they read the collection as of their start); the next run does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from seamline.context.documents import Document, inputs_text, make_document
from seamline.context.reads import examples_collection
from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    ModelCalled,
    RunStarted,
    StepFinished,
)

if TYPE_CHECKING:
    from seamline.context.store import ContextStore
    from seamline.pipeline import Pipeline
    from seamline.store.base import RunStore


def example_document(
    pipeline: Pipeline,
    events: Sequence[Event],
    request: ApprovalRequested,
    decided: ApprovalDecided,
) -> Document | None:
    """The example an approve / edit decision makes, or None for any other decision."""
    if decided.decision not in ("approve", "edit"):
        return None
    started = events[0]
    if not isinstance(started, RunStarted):
        return None
    step = pipeline.steps.get(request.step)
    if step is None:
        return None
    inputs = step_inputs(pipeline, events, request)
    artifact = decided.edit if decided.decision == "edit" else request.artifact
    return make_document(
        request.approval_id,
        inputs_text(inputs),
        title=f"{request.step} approved by {decided.reviewer or 'a reviewer'}",
        source=f"run {started.pipeline}/{_run_of(request.approval_id)}",
        metadata={
            "step": request.step,
            "index": request.index,
            "inputs": to_jsonable_python(inputs),
            "artifact": to_jsonable_python(artifact),
            "decision": decided.decision,
            "reviewer": decided.reviewer,
            "run_id": _run_of(request.approval_id),
            "kind": request.reason,
        },
    )


def _run_of(approval_id: str) -> str:
    return approval_id.rsplit(".", 1)[0]


def step_inputs(
    pipeline: Pipeline, events: Sequence[Event], request: ApprovalRequested
) -> dict[str, Any]:
    """What the step read when it made the artifact under review: its parameters' values,
    from the run's inputs and the last artifact of each upstream step before the request."""
    started = events[0]
    assert isinstance(started, RunStarted)
    step = pipeline.steps[request.step]
    latest: dict[str, Any] = dict(started.inputs)
    items: dict[str, dict[int, Any]] = {}
    for event in events:
        if event.seq >= request.seq:
            break
        if isinstance(event, StepFinished):
            if event.index is None:
                latest[event.step] = event.artifact
            else:
                items.setdefault(event.step, {})[event.index] = event.artifact
    for name, by_index in items.items():
        latest[name] = [by_index[i] for i in sorted(by_index)]
    inputs = {p.name: to_jsonable_python(latest.get(p.name)) for p in step.params}
    if step.map is not None and request.index is not None:
        source = latest.get(step.map) or []
        inputs[step.map] = (
            to_jsonable_python(source[request.index]) if request.index < len(source) else None
        )
    return inputs


def upstream_documents(
    pipeline: Pipeline,
    events: Sequence[Event],
    request: ApprovalRequested,
    decided: ApprovalDecided,
) -> list[tuple[str, Document]]:
    """(step, example) for each upstream step an approve teaches (see the module
    docstring); none for any other decision."""
    from seamline.runtime.state import fold

    started = events[0]
    if decided.decision != "approve" or not isinstance(started, RunStarted):
        return []
    if request.step not in pipeline.steps:
        return []
    before = [e for e in events if e.seq < request.seq]
    called = {e.step for e in before if isinstance(e, ModelCalled)}
    requests = {e.approval_id: e for e in events if isinstance(e, ApprovalRequested)}
    decided_on = {
        requests[e.approval_id].step
        for e in events
        if isinstance(e, ApprovalDecided)
        and e.approval_id in requests
        and e.approval_id != request.approval_id
        and e.decision in ("approve", "edit")
    }
    run_id = _run_of(request.approval_id)
    artifacts = fold(run_id, before).artifacts
    out = []
    for name in _upstream(pipeline, request.step):
        step = pipeline.steps[name]
        if name not in called or name in decided_on or step.map is not None:
            continue
        if name not in artifacts:
            continue
        inputs = {p.name: to_jsonable_python(artifacts.get(p.name)) for p in step.params}
        doc = make_document(
            f"{request.approval_id}/{name}",
            inputs_text(inputs),
            title=f"{name}, upstream of {request.step} approved by "
            f"{decided.reviewer or 'a reviewer'}",
            source=f"run {started.pipeline}/{run_id}",
            metadata={
                "step": name,
                "index": None,
                "inputs": inputs,
                "artifact": to_jsonable_python(artifacts[name]),
                "decision": "approve",
                "reviewer": decided.reviewer,
                "run_id": run_id,
                "approval_id": request.approval_id,
                "kind": request.reason,
                "taught_by": request.step,
            },
        )
        out.append((name, doc))
    return out


def _upstream(pipeline: Pipeline, step: str) -> list[str]:
    """The steps `step` reads from, directly or through others, nearest first."""
    order: list[str] = []
    frontier = [step]
    while frontier:
        following = []
        for name in frontier:
            for param in pipeline.steps[name].params:
                if param.name in pipeline.steps and param.name not in order:
                    order.append(param.name)
                    following.append(param.name)
        frontier = following
    return order


async def remember(
    context: ContextStore,
    pipeline: Pipeline,
    events: Sequence[Event],
    request: ApprovalRequested,
    decided: ApprovalDecided,
) -> bool:
    """Write the examples a decision makes (its step's, and for an approve, the upstream
    steps' it vouches for); True if any was new."""
    doc = example_document(pipeline, events, request, decided)
    if doc is None:
        return False
    collection = examples_collection(pipeline.name, request.step)
    result = await context.add(collection, [doc], chunk=False)
    new = result.added > 0
    for step, upstream in upstream_documents(pipeline, events, request, decided):
        added = await context.add(examples_collection(pipeline.name, step), [upstream], chunk=False)
        new = new or added.added > 0
    return new


async def learn_from_runs(context: ContextStore, pipeline: Pipeline, store: RunStore) -> int:
    """Write the examples of every approve / edit decision in the store's runs of
    `pipeline` that is not written yet (idempotent). Returns how many were new."""
    new = 0
    for summary in await store.runs(pipeline=pipeline.name):
        events = await store.load(summary.run_id)
        requests: Mapping[str, ApprovalRequested] = {
            e.approval_id: e for e in events if isinstance(e, ApprovalRequested)
        }
        for event in events:
            if isinstance(event, ApprovalDecided) and event.approval_id in requests:
                request = requests[event.approval_id]
                if await remember(context, pipeline, events, request, event):
                    new += 1
    return new
