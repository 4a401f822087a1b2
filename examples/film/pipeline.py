"""The film pre-production pipeline: two model steps, a parallel storyboard, a critic, approval.

    brief ─▶ scene_graph ─▶ scenes ─▶ frames (map, one model call per scene) ─▶ continuity
             model          cards     model                                      critic
                                                          ─▶ assembly ─▶ (director approval)
                                                             cut list

Run one brief (offline, with the embedded local model):

    python -m examples.film.pipeline                 # the first brief of briefs.jsonl
    python -m examples.film.pipeline signal-lost
"""

from __future__ import annotations

import sys

import seamline as sl

from . import checks, editing
from .continuity import review, scene_cards
from .models import ContinuityReport, CutList, FilmBrief, FilmTask, Frame, SceneCard, SceneGraph
from .prompts import (
    FRAME_EXAMPLES,
    FRAME_SYSTEM,
    SCENE_GRAPH_EXAMPLES,
    SCENE_GRAPH_SYSTEM,
    frame_prompt,
    scene_graph_prompt,
)

pipe = sl.Pipeline("film", inputs={"brief": FilmBrief})

SCENE_GRAPH_PAIRS = [(scene_graph_prompt(b), g.model_dump_json()) for b, g in SCENE_GRAPH_EXAMPLES]
FRAME_PAIRS = [(frame_prompt(card), f.model_dump_json()) for card, f in FRAME_EXAMPLES]


@pipe.step
async def scene_graph(brief: FilmBrief, ctx: sl.StepContext) -> SceneGraph:
    return await ctx.generate(
        SceneGraph, scene_graph_prompt(brief), system=SCENE_GRAPH_SYSTEM, examples=SCENE_GRAPH_PAIRS
    )


@pipe.step
def scenes(scene_graph: SceneGraph, brief: FilmBrief) -> list[SceneCard]:
    """One self-contained card per scene, so each frame call sees only what it needs."""
    return scene_cards(scene_graph, brief)


@pipe.step(map="scenes", concurrency=4)
async def frames(scenes: SceneCard, ctx: sl.StepContext) -> Frame:
    return await ctx.generate(
        Frame, frame_prompt(scenes), system=FRAME_SYSTEM, examples=FRAME_PAIRS
    )


@pipe.step
def continuity(frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief) -> ContinuityReport:
    """The continuity critic, deterministic: the whole storyboard against the scene graph."""
    return review(frames, scene_graph, brief)


@pipe.step
def assembly(frames: list[Frame], continuity: ContinuityReport, brief: FilmBrief) -> CutList:
    """Runs once the critic's gate has passed (it reads `continuity` for that reason)."""
    return editing.assemble(frames, brief)


pipe.gate(
    "scene_graph",
    *(sl.check(fn.__name__.replace("_", " "), fn) for fn in checks.SCENE_GRAPH_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# Per frame (the gate of a map= step runs per item): a wrong eye colour is retried for
# that scene alone, with the reason, while the other scenes go on.
pipe.gate(
    "frames",
    sl.check("cast and setting match the scene", checks.frame_cast_and_setting),
    sl.check("characters match their sheet", checks.frame_characters_match_sheet),
    sl.check("lighting fits the time of day", checks.frame_lighting_fits),
    sl.check("continuity props are carried", checks.frame_props_carried),
    sl.check("shot duration within limits", checks.frame_duration_in_range),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# What only the whole storyboard shows (a missing scene, the total running time)
# sends the storyboard back once, then to a person.
pipe.gate(
    "continuity",
    sl.check("no continuity issues", checks.no_continuity_issues),
    on_fail=sl.reroute("frames", times=1, feedback=True).then(sl.escalate_to_human()),
)

pipe.gate(
    "assembly",
    sl.check("cut list fits the brief", checks.cut_list_fits_brief),
    on_fail=sl.escalate_to_human(),
)

# The director signs off the cut; a rejection redraws the storyboard with the note.
pipe.approval("assembly", route_to="frames")


def main(argv: list[str]) -> None:
    from pathlib import Path

    path = Path(__file__).with_name("briefs.jsonl")
    tasks = [FilmTask.model_validate_json(line) for line in path.read_text().splitlines()]
    task = next(t for t in tasks if not argv or t.id == argv[0])
    result = pipe.run_sync({"brief": task.brief}, model="local")
    print(result.status)
    print(result.artifacts.get("continuity"))
    print(result.artifacts.get("assembly"))


if __name__ == "__main__":
    main(sys.argv[1:])
