"""The character bible in the context store: looks the director approved, kept across runs.

When the director signs off a cut, each character's sheet (eyes, hair, wardrobe) goes
into the `film/bible` collection, one document per film and character (`learn_bible`).
The next run of that film (a revised brief, a reshoot) searches the bible for each of
its characters, and the continuity critic checks every frame against the sheets it
retrieved as well as against this run's scene graph: a frame that drifts from an
approved look is a `bible_mismatch`, however the new brief was read. The reads are in
the run log (`seamline show RUN` lists which approved sheet a run checked against), and
a run keeps the bible it started with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import seamline as sl
from seamline.events import ApprovalDecided, ApprovalRequested, StepFinished

from .models import Character, FilmBrief, SceneGraph

BIBLE = "film/bible"


def character_document(film: str, character: Character) -> sl.Document:
    """One approved character sheet, as the bible keeps it (id: film/name)."""
    c = character
    return sl.make_document(
        f"{film}/{c.name}",
        f"{c.name}: {c.eye_color} eyes, {c.hair}, wears {c.wardrobe}.",
        title=c.name,
        metadata={"film": film, "character": c.name, "sheet": c.model_dump()},
    )


async def prepare_context(context: Any) -> sl.ContextStore:
    """Make sure the bible collection exists in the store the runs read (empty at first)."""
    from seamline.context.embedders import local_available

    store = await sl.open_context(context, embedder="local" if local_available() else None)
    await store.add(BIBLE, [])
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


async def learn_bible(context: sl.ContextStore, store: Any, pipeline: str = "film") -> int:
    """Write the sheets of every cut the director approved in `store`'s runs (idempotent:
    an unchanged sheet is not a new version). Returns how many sheets were new."""
    new = 0
    for summary in await store.runs(pipeline=pipeline):
        events = await store.load(summary.run_id)
        docs = approved_sheets(events)
        if docs:
            new += (await context.add(BIBLE, docs, chunk=False)).added
    return new


def approved_sheets(events: Sequence[Any]) -> list[sl.Document]:
    """The bible documents of a run whose cut was approved (or edited), else none."""
    requests = {e.approval_id: e for e in events if isinstance(e, ApprovalRequested)}
    approved = [
        requests[e.approval_id]
        for e in events
        if isinstance(e, ApprovalDecided)
        and e.decision in ("approve", "edit")
        and e.approval_id in requests
        and requests[e.approval_id].step == "assembly"
    ]
    if not approved:
        return []
    graphs = [e for e in events if isinstance(e, StepFinished) and e.step == "scene_graph"]
    if not graphs:
        return []
    graph = SceneGraph.model_validate(graphs[-1].artifact)
    return [character_document(graph.title, c) for c in graph.characters]
