"""What the pages show of a run, read from its log: steps and their units, attempts with
diffs, verdicts and calls, decisions with who took them, and an inbox item's effects."""

from __future__ import annotations

from dataclasses import dataclass

from claims import DOC, build
from pydantic import BaseModel

import seamline as sl
from seamline.events import Event
from seamline.store import MemoryStore
from seamline.web.diff import changes
from seamline.web.inbox import effects, inbox_item
from seamline.web.views import ancestors, descendants, run_view


class Scene(BaseModel):
    n: int


class Cut(BaseModel):
    scenes: int


def film() -> sl.Pipeline:
    """A fan-out, a map= step with a per-item approval, a join."""
    pipe = sl.Pipeline("film", inputs={"brief": Scene})

    @pipe.step
    def scenes(brief: Scene) -> list[Scene]:
        return [Scene(n=i) for i in range(brief.n)]

    @pipe.step(map="scenes")
    def frame(scenes: Scene) -> Scene:
        return Scene(n=scenes.n * 10)

    @pipe.step
    def cut(frame: list[Scene]) -> Cut:
        return Cut(scenes=len(frame))

    pipe.approval("frame", per_item=True)
    return pipe


async def test_a_map_step_shows_one_unit_per_item_and_per_item_approvals() -> None:
    store = MemoryStore()
    result = await film().run({"brief": Scene(n=3)}, store=store)
    view = run_view(result.run_id, await store.load(result.run_id))
    by_name = {s.name: s for s in view.steps}
    assert [s.name for s in view.steps] == ["scenes", "frame", "cut"]
    assert by_name["scenes"].status == "done" and by_name["cut"].status == "not started"
    frame = by_name["frame"]
    assert frame.status == "waiting" and [u.label for u in frame.units] == ["frame[0]", "frame[1]", "frame[2]"]
    assert {u.status for u in frame.units} == {"waiting"}
    assert [a.index for a in view.approvals] == [0, 1, 2] and all(a.pending for a in view.approvals)
    item = inbox_item(view, view.approvals[1].approval_id)
    assert item is not None and item.reads == {"scenes": {"n": 1}}  # the item it read
    assert item.unit_label == "frame[1]" and item.route_options == ["frame", "scenes"]


async def test_a_run_s_attempts_diffs_decisions_and_people() -> None:
    store = MemoryStore()
    pipe = build()
    result = await pipe.run({"doc": DOC}, store=store)
    (request,) = result.pending_approvals
    edited = {**request.artifact.model_dump(), "amount": 15750.0}
    await pipe.decide(request.approval_id, "edit", store=store, edit=edited, reviewer="ana")
    view = run_view(result.run_id, await store.load(result.run_id))
    claim = view.steps[0]
    (unit,) = claim.units
    first, second = unit.attempts
    assert first.changes is None and second.changes == []  # the same misreading twice
    assert not first.passed and first.verdicts[0].feedback == [
        "amount is in the document: amount 15 does not appear in the document"
    ]
    assert first.calls[0].model == "scripted" and first.calls[0].output_tokens > 0
    assert [(d.kind, d.what, d.who) for d in view.decisions] == [
        ("gate", "retry → again", None),
        ("gate", "escalate", None),
        ("approval", f"edit (escalation {request.approval_id})", "ana"),
    ]
    assert "amount: 15.0 → 15750.0" in view.decisions[2].detail
    assert claim.status == "done" and claim.artifact["amount"] == 15750.0
    assert view.status == "waiting" and view.steps[1].status == "waiting"



async def test_a_simulated_reviewer_is_labelled_simulated_never_as_a_person() -> None:
    store = MemoryStore()
    pipe = build()
    result = await pipe.run({"doc": DOC}, store=store)
    (request,) = result.pending_approvals
    edited = {**request.artifact.model_dump(), "amount": 15750.0}
    await pipe.decide(
        request.approval_id, "edit", store=store, edit=edited, reviewer="eval", reviewer_kind="simulated"
    )
    view = run_view(result.run_id, await store.load(result.run_id))
    assert view.decisions[-1].who == "eval (simulated)"
    (decided,) = [a for a in view.approvals if a.approval_id == request.approval_id]
    assert decided.reviewer == "eval (simulated)"

async def test_events_of_a_kind_the_page_does_not_know_are_listed_under_their_attempt() -> None:
    @dataclass(slots=True, kw_only=True)
    class ContextSearched(Event):  # what issue 15's context reads may look like
        step: str
        attempt: int
        query: str
        ids: list[str]
        index: int | None = None

    store = MemoryStore()
    result = await build().run({"doc": DOC}, store=store)
    events = await store.load(result.run_id)
    started = next(i for i, e in enumerate(events) if type(e).__name__ == "StepStarted")
    read = ContextSearched(seq=0, step="claim", attempt=1, query="policy PX-2231", ids=["doc-7@v2"])
    view = run_view(result.run_id, [*events[: started + 1], read, *events[started + 1 :]])
    (recorded,) = view.steps[0].units[0].attempts[0].recorded
    assert recorded.kind == "ContextSearched"
    assert recorded.fields == {"query": "policy PX-2231", "ids": ["doc-7@v2"]}


def test_the_effects_of_each_choice_name_what_runs_next() -> None:
    shape = build().validate().shapes["on"].steps
    approve, edit, reject = effects(shape, "claim", None, "escalation", True)
    assert "overriding the gate" in approve.text and "continues with decision" in approve.text
    assert "checked against Claim" in edit.text
    assert "goes back to claim" in reject.text and "claim, decision are computed again" in reject.text
    (no_artifact, *_) = effects(shape, "claim", None, "escalation", False)
    assert not no_artifact.possible and "Edit it instead" in no_artifact.text
    (last, *_) = effects(shape, "decision", None, "approval", True)
    assert "the run finishes" in last.text
    assert descendants(shape, "claim") == ["claim", "decision"]
    assert ancestors(shape, "decision") == ["claim"] and ancestors(shape, "claim") == []


def test_changes_between_artifacts_leaf_by_leaf() -> None:
    before = {"a": 1, "b": {"c": [1, 2, 3], "d": "x"}, "gone": True}
    after = {"a": 1.0, "b": {"c": [1, 5], "d": "y"}, "new": None}
    found = [(c.path, c.kind, c.before, c.after) for c in changes(before, after)]
    assert found == [
        ("b.c[1]", "changed", 2, 5),
        ("b.c[2]", "removed", 3, None),
        ("b.d", "changed", "x", "y"),
        ("gone", "removed", True, None),
        ("new", "added", None, None),
    ]
    assert changes(Scene(n=1), {"n": 1}) == [] and changes(True, 1)[0].kind == "changed"
