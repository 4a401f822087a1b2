"""The film's memory in the context store: looks and scenes the director approved.

When the director signs off a cut, each character's sheet (eyes, hair, wardrobe) goes
into the `film/bible` collection, one document per film and character, and each scene's
approved frame (its setting, time of day and action as the brief gave them; its
lighting and who is in shot) into `film/scenes`, one per film and scene (`learn_bible`).
The next run of that film (a revised brief, a reshoot) searches the bible for each of its
characters and the scenes for each of its scenes, and the continuity critic checks every
frame against what it retrieved as well as against this run's scene graph: a frame that
drifts from an approved look is a `bible_mismatch`, and a scene the brief did not change
that is lit or cast otherwise than its approved frame is an `approved_scene_mismatch`
(a reshoot must cut with what was already shot; a scene the new brief changed is free).
The reads are in the run log (`seamline show RUN` lists which approved sheet and scene a
run checked against), and a run keeps the collections as they were when it started.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import seamline as sl
from seamline.events import ApprovalDecided, ApprovalRequested, StepFinished
from seamline.runtime.state import fold

from .models import ApprovedScene, Character, FilmBrief, Frame, Scene, SceneGraph

BIBLE = "film/bible"
SCENES = "film/scenes"


def character_document(film: str, character: Character) -> sl.Document:
    """One approved character sheet, as the bible keeps it (id: film/name)."""
    c = character
    return sl.make_document(
        f"{film}/{c.name}",
        f"{c.name}: {c.eye_color} eyes, {c.hair}, wears {c.wardrobe}.",
        title=c.name,
        metadata={"film": film, "character": c.name, "sheet": c.model_dump()},
    )


def scene_document(film: str, scene: Scene, frame: Frame) -> sl.Document:
    """One approved scene, as `film/scenes` keeps it (id: film/scene-N)."""
    approved = ApprovedScene(
        index=scene.index,
        setting=scene.setting,
        time_of_day=scene.time_of_day,
        action=scene.action,
        lighting=frame.lighting,
        cast=[c.name for c in frame.characters],
    )
    cast = ", ".join(approved.cast) or "nobody"
    return sl.make_document(
        f"{film}/scene-{scene.index}",
        f"Scene {scene.index} at {scene.setting}: {scene.action} Lit {frame.lighting}; {cast}.",
        title=f"{film}, scene {scene.index}",
        metadata={"film": film, "scene": scene.index, "approved": approved.model_dump()},
    )


async def prepare_context(context: Any) -> sl.ContextStore:
    """Make sure the bible and scene collections exist in the store the runs read (empty
    at first)."""
    from seamline.context.embedders import local_available

    store = await sl.open_context(context, embedder="local" if local_available() else None)
    await store.add(BIBLE, [])
    await store.add(SCENES, [])
    return store


async def read_bible(
    ctx: sl.StepContext[Any], scene_graph: SceneGraph, brief: FilmBrief
) -> list[Character]:
    """The approved sheets of this film's characters, one recorded search each."""
    sheets = []
    for c in scene_graph.characters:
        found = await ctx.search(
            c.name,
            collection=BIBLE,
            k=1,
            where={"film": brief.title, "character": c.name},
            mode="keyword",
        )
        sheets += [Character.model_validate(p.metadata["sheet"]) for p in found]
    return sheets


async def read_scenes(
    ctx: sl.StepContext[Any], scene_graph: SceneGraph, brief: FilmBrief
) -> list[ApprovedScene]:
    """The approved frames of this film's scenes, one recorded search each."""
    approved = []
    for scene in scene_graph.scenes:
        found = await ctx.search(
            f"{scene.setting} {scene.action}",
            collection=SCENES,
            k=1,
            where={"film": brief.title, "scene": scene.index},
            mode="keyword",
        )
        approved += [ApprovedScene.model_validate(p.metadata["approved"]) for p in found]
    return approved


async def learn_bible(context: sl.ContextStore, store: Any, pipeline: str = "film") -> int:
    """Write the sheets and scenes of every cut the director approved in `store`'s runs
    (idempotent: an unchanged document is not a new version). Returns how many were new."""
    new = 0
    for summary in await store.runs(pipeline=pipeline):
        events = await store.load(summary.run_id)
        for collection, docs in (
            (BIBLE, approved_sheets(events)),
            (SCENES, approved_scenes(events)),
        ):
            if docs:
                new += (await context.add(collection, docs, chunk=False)).added
    return new


def _approved_cut(events: Sequence[Any]) -> ApprovalRequested | None:
    """The last request for the director's sign-off of the cut that was approved or
    edited, if any."""
    requests = {e.approval_id: e for e in events if isinstance(e, ApprovalRequested)}
    approved = [
        requests[e.approval_id]
        for e in events
        if isinstance(e, ApprovalDecided)
        and e.decision in ("approve", "edit")
        and e.approval_id in requests
        and requests[e.approval_id].step == "assembly"
    ]
    return approved[-1] if approved else None


def approved_scenes(events: Sequence[Any]) -> list[sl.Document]:
    """The scene documents of a run whose cut was approved (or edited), else none: each
    scene with its frame, as the run's state held them when the cut was put to the
    director."""
    cut = _approved_cut(events)
    if cut is None:
        return []
    state = fold("", [e for e in events if e.seq < cut.seq]).artifacts
    if "scene_graph" not in state or "frames" not in state:
        return []
    graph = SceneGraph.model_validate(state["scene_graph"])
    frames = {f.scene_index: f for f in (Frame.model_validate(x) for x in state["frames"])}
    return [
        scene_document(graph.title, scene, frames[scene.index])
        for scene in graph.scenes
        if scene.index in frames
    ]


def approved_sheets(events: Sequence[Any]) -> list[sl.Document]:
    """The bible documents of a run whose cut was approved (or edited), else none."""
    if _approved_cut(events) is None:
        return []
    graphs = [e for e in events if isinstance(e, StepFinished) and e.step == "scene_graph"]
    if not graphs:
        return []
    graph = SceneGraph.model_validate(graphs[-1].artifact)
    return [character_document(graph.title, c) for c in graph.characters]
