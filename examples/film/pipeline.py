"""The film pre-production pipeline: small model calls, each choosing among the brief's words.

    brief ─▶ reading ─▶ people ─▶ looks (map: one call per character) ─┐
             Python  └▶ beats  ─▶ staging (map: one call per scene) ────┴▶ scene_graph
    ─▶ scenes ─▶ frames (map: one call per scene) ─▶ continuity ─▶ assembly ─▶ (director)
       cards      model                               critic        cut list
                                                      └ reads the approved looks and scenes (context store)

The critic checks every frame against the scene graph and against the looks and scenes the
director approved in earlier runs of the film, searched in the `film/bible` and
`film/scenes` collections (`bible.py`; `learn_bible` writes them after a sign-off).

Run one brief (offline, with the embedded local model):

    python -m examples.film.pipeline                 # the first brief of dev_briefs.jsonl
    python -m examples.film.pipeline night-bus
"""

from __future__ import annotations

import sys

import seamline as sl

from . import checks, editing
from .bible import prepare_context, read_bible, read_scenes
from .choices import as_look, as_sketch, as_staging, look_type, sketch_type, staging_type
from .continuity import review, scene_cards
from .models import (
    BeatCard,
    BriefReading,
    Character,
    ContinuityReport,
    CutList,
    FilmBrief,
    Frame,
    Look,
    Person,
    PropConstraint,
    Scene,
    SceneCard,
    SceneGraph,
    Setting,
    Staging,
    VisibleCharacter,
)
from .prompts import (
    FRAME_EXAMPLES,
    FRAME_SYSTEM,
    LOOK_EXAMPLES,
    LOOK_SYSTEM,
    STAGING_EXAMPLES,
    STAGING_SYSTEM,
    frame_prompt,
    look_prompt,
    staging_prompt,
)
from .reading import read_brief

pipe = sl.Pipeline("film", inputs={"brief": FilmBrief})


@pipe.step
def reading(brief: FilmBrief) -> BriefReading:
    """The brief, read without a model: its scenes, and the phrases it uses."""
    return read_brief(brief.text, brief.scene_count)


@pipe.step
def people(reading: BriefReading) -> list[Person]:
    return reading.people


@pipe.step
def beats(reading: BriefReading) -> list[BeatCard]:
    return reading.beats


@pipe.step(map="people", concurrency=2)
async def looks(
    people: Person, reading: BriefReading, brief: FilmBrief, ctx: sl.StepContext
) -> Look:
    # Each retry (the gate's reasons are in the prompt) asks a narrower question.
    answer = look_type(people, reading, level=len(ctx.feedback))
    choice = await ctx.generate(
        answer,
        look_prompt(people, brief),
        system=LOOK_SYSTEM,
        examples=LOOK_EXAMPLES,
        max_tokens=sl.max_tokens_for(answer),
    )
    return as_look(choice)


@pipe.step(map="beats", concurrency=2)
async def staging(
    beats: BeatCard, reading: BriefReading, brief: FilmBrief, ctx: sl.StepContext
) -> Staging:
    # Each retry chooses among fewer of the brief's words: see choices.py.
    answer = staging_type(beats, reading, level=len(ctx.feedback))
    choice = await ctx.generate(
        answer,
        staging_prompt(beats, brief),
        system=STAGING_SYSTEM,
        examples=STAGING_EXAMPLES,
        max_tokens=sl.max_tokens_for(answer),
    )
    return as_staging(choice)


@pipe.step
def scene_graph(
    brief: FilmBrief,
    people: list[Person],
    looks: list[Look],
    beats: list[BeatCard],
    staging: list[Staging],
) -> SceneGraph:
    """The characters' sheets and the staged scenes, put together (no model)."""
    if len(looks) != len(people) or len(staging) != len(beats):
        raise sl.Retry(
            f"{len(looks)} looks for {len(people)} characters and {len(staging)} stagings "
            f"for {len(beats)} scenes: re-run the steps before scene_graph"
        )
    characters = [
        Character(name=p.name, eye_color=lk.eye_color, hair=lk.hair, wardrobe=lk.wardrobe)
        for p, lk in zip(people, looks, strict=True)
    ]
    settings: dict[str, Setting] = {}
    scenes: list[Scene] = []
    props: list[PropConstraint] = []
    for beat, staged in zip(beats, staging, strict=True):
        settings.setdefault(
            staged.setting, Setting(name=staged.setting, time_of_day=staged.time_of_day)
        )
        scenes.append(
            Scene(
                index=beat.index,
                setting=staged.setting,
                characters=staged.characters,
                action=_first_sentence(beat.text),
                time_of_day=staged.time_of_day,
            )
        )
        props += [
            PropConstraint(prop=p.prop, holder=p.holder, from_scene=beat.index)
            for p in staged.new_props
        ]
    return SceneGraph(
        title=brief.title,
        characters=characters,
        settings=list(settings.values()),
        scenes=scenes,
        props=props,
    )


def _first_sentence(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    end = next((i + 1 for i, ch in enumerate(line) if ch in ".!?" and i > 20), len(line))
    return line[: min(end, limit)]


@pipe.step
def scenes(scene_graph: SceneGraph, brief: FilmBrief) -> list[SceneCard]:
    """One self-contained card per scene, so each frame call sees only what it needs."""
    try:
        return scene_cards(scene_graph, brief)
    except ValueError as e:  # an ungated (shadow) or edited graph can name strangers
        raise sl.Retry(f"the scene graph cannot be storyboarded: {e}") from None


@pipe.step(map="scenes", concurrency=2)
async def frames(scenes: SceneCard, ctx: sl.StepContext) -> Frame:
    """The model sketches the shot; the cast's looks and props come from the card."""
    answer = sketch_type(scenes, level=len(ctx.feedback))
    sketch = as_sketch(
        await ctx.generate(
            answer,
            frame_prompt(scenes),
            system=FRAME_SYSTEM,
            examples=FRAME_EXAMPLES,
            max_tokens=sl.max_tokens_for(answer),
        )
    )
    index = scenes.scene.index
    return Frame(
        scene_index=index,
        setting=scenes.setting.name,
        shot_type=sketch.shot_type,
        lighting=sketch.lighting,
        description=sketch.description,
        characters=[
            VisibleCharacter(
                name=c.name,
                eye_color=c.eye_color,
                hair=c.hair,
                wardrobe=c.wardrobe,
                props=[
                    p.prop for p in scenes.props if p.holder == c.name and p.from_scene <= index
                ],
            )
            for c in scenes.characters
        ],
        duration_sec=float(sketch.duration_sec),
    )


@pipe.step
async def continuity(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief, ctx: sl.StepContext
) -> ContinuityReport:
    """The continuity critic, deterministic: the whole storyboard against the scene graph
    and against the looks and scenes the director approved before (searched in the
    context store)."""
    bible = await read_bible(ctx, scene_graph, brief)
    return review(frames, scene_graph, brief, bible, await read_scenes(ctx, scene_graph, brief))


@pipe.step
def assembly(frames: list[Frame], continuity: ContinuityReport, brief: FilmBrief) -> CutList:
    """Runs once the critic's gate has passed (it reads `continuity` for that reason)."""
    return editing.assemble(frames, brief)


def _checks(*fns: object) -> list[sl.Check]:
    return [sl.check(fn.__name__.replace("_", " "), fn) for fn in fns]  # type: ignore[attr-defined,arg-type]


# A brief the reader cannot split into its scenes goes to a person: no retry can help.
pipe.gate("reading", *_checks(checks.brief_was_read), on_fail=sl.escalate_to_human())

# Per character and per scene (the gate of a map= step runs per item): a wrong choice is
# retried for that item alone, with the reason and a narrower set of choices.
pipe.gate(
    "looks",
    *_checks(checks.look_is_theirs),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)
pipe.gate(
    "staging",
    *_checks(*checks.STAGING_CHECKS),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# The graph as a whole, at full strength: every name and look in the brief, every scene
# naming known settings and characters.
pipe.gate(
    "scene_graph",
    *_checks(*checks.SCENE_GRAPH_CHECKS),
    on_fail=sl.escalate_to_human(),
)

pipe.gate(
    "frames",
    sl.check("cast and setting match the scene", checks.frame_cast_and_setting),
    sl.check("characters match their sheet", checks.frame_characters_match_sheet),
    sl.check("lighting fits the time of day", checks.frame_lighting_fits),
    sl.check("continuity props are carried", checks.frame_props_carried),
    sl.check("shot duration within limits", checks.frame_duration_in_range),
    sl.check("no few-shot value leaked", checks.no_example_leak),
    on_fail=sl.retry(2, feedback=True).then(sl.escalate_to_human()),
)

# What only the whole storyboard shows (a missing scene, the total running time)
# goes to a person.
pipe.gate(
    "continuity",
    sl.check("no continuity issues", checks.no_continuity_issues),
    on_fail=sl.escalate_to_human(),
)

pipe.gate(
    "assembly",
    sl.check("cut list fits the brief", checks.cut_list_fits_brief),
    on_fail=sl.escalate_to_human(),
)

# The director signs off the cut; a rejection redraws the storyboard with the note.
pipe.approval("assembly", route_to="frames")


async def _prepare(store: str) -> None:
    await (await prepare_context(store)).close()


def main(argv: list[str]) -> None:
    import asyncio
    import json
    from pathlib import Path

    path = Path(__file__).with_name("dev_briefs.jsonl")
    tasks = [json.loads(line) for line in path.read_text().splitlines()]
    task = next(t for t in tasks if not argv or t["id"] == argv[0])
    store = "sqlite:///.seamline/runs.db"
    Path(".seamline").mkdir(exist_ok=True)
    asyncio.run(_prepare(store))
    brief = FilmBrief.model_validate(task["brief"])
    result = pipe.run_sync({"brief": brief}, model="local", store=store)
    print(result.status)
    print(result.artifacts.get("scene_graph"))
    print(result.artifacts.get("continuity"))


if __name__ == "__main__":
    main(sys.argv[1:])
