"""Prompts and few-shot examples for the two model steps (scene graph, frame).

The examples are tiny (one or two scenes) to stay inside the small model's
~2,000-token budget with the JSON schema, and use names that no brief uses.
"""

from __future__ import annotations

from .models import (
    Character,
    FilmBrief,
    Frame,
    PropConstraint,
    Scene,
    SceneCard,
    SceneGraph,
    Setting,
    VisibleCharacter,
)

SCENE_GRAPH_SYSTEM = (
    "You turn a film brief into a scene graph. Copy each character's eye colour, hair and "
    "wardrobe exactly as the brief writes them. Use only characters and settings named in "
    "the brief. Number scenes from 1."
)

FRAME_SYSTEM = (
    "You draw one storyboard frame for one scene. Show exactly the scene's characters, with "
    "the eye colour, hair and wardrobe on their card, carrying their props. Use the scene's "
    "setting name. Pick lighting that fits its time of day. Keep the duration within limits."
)

_OWL = Character(name="Odile", eye_color="amber", hair="grey bun", wardrobe="tweed cape")
_BOY = Character(name="Rafe", eye_color="black", hair="shaggy blond hair", wardrobe="green parka")
_TOWER = Setting(name="bell tower", time_of_day="dusk")
_FIELD = Setting(name="wheat field", time_of_day="day")

SCENE_GRAPH_EXAMPLES: list[tuple[FilmBrief, SceneGraph]] = [
    (
        FilmBrief(
            id="example-1",
            title="The Bell",
            text=(
                "ODILE (amber eyes, grey bun, tweed cape) rings the bell tower at dusk. "
                "Scenes: 1. In the bell tower Odile pulls the rope."
            ),
            scene_count=1,
            max_total_sec=10,
        ),
        SceneGraph(
            title="The Bell",
            characters=[_OWL],
            settings=[_TOWER],
            scenes=[
                Scene(
                    index=1,
                    setting="bell tower",
                    characters=["Odile"],
                    action="Odile pulls the rope.",
                )
            ],
        ),
    ),
    (
        FilmBrief(
            id="example-2",
            title="Kite",
            text=(
                "RAFE (black eyes, shaggy blond hair, green parka) in a wheat field by day. "
                "Scenes: 1. Rafe finds a red kite. 2. Rafe flies the red kite. "
                "Continuity: from scene 1 on, Rafe holds the red kite."
            ),
            scene_count=2,
            max_total_sec=20,
        ),
        SceneGraph(
            title="Kite",
            characters=[_BOY],
            settings=[_FIELD],
            scenes=[
                Scene(
                    index=1,
                    setting="wheat field",
                    characters=["Rafe"],
                    action="Rafe finds a red kite.",
                ),
                Scene(
                    index=2,
                    setting="wheat field",
                    characters=["Rafe"],
                    action="Rafe flies the red kite.",
                ),
            ],
            props=[PropConstraint(prop="red kite", holder="Rafe", from_scene=1)],
        ),
    ),
]


def _card(
    scene: Scene, setting: Setting, cast: list[Character], props: list[PropConstraint]
) -> SceneCard:
    return SceneCard(
        scene=scene, setting=setting, characters=cast, props=props, min_shot_sec=2, max_shot_sec=15
    )


def _visible(c: Character, props: list[str] | None = None) -> VisibleCharacter:
    return VisibleCharacter(
        name=c.name, eye_color=c.eye_color, hair=c.hair, wardrobe=c.wardrobe, props=props or []
    )


FRAME_EXAMPLES: list[tuple[SceneCard, Frame]] = [
    (
        _card(SCENE_GRAPH_EXAMPLES[0][1].scenes[0], _TOWER, [_OWL], []),
        Frame(
            scene_index=1,
            setting="bell tower",
            shot_type="medium",
            lighting="golden_hour",
            description="Odile hauls on the bell rope in low orange light.",
            characters=[_visible(_OWL)],
            duration_sec=8,
        ),
    ),
    (
        _card(
            SCENE_GRAPH_EXAMPLES[1][1].scenes[1], _FIELD, [_BOY], SCENE_GRAPH_EXAMPLES[1][1].props
        ),
        Frame(
            scene_index=2,
            setting="wheat field",
            shot_type="wide",
            lighting="daylight",
            description="Rafe runs through the wheat, the red kite high above him.",
            characters=[_visible(_BOY, ["red kite"])],
            duration_sec=10,
        ),
    ),
]


def scene_graph_prompt(brief: FilmBrief) -> str:
    return (
        f"Brief: {brief.title} ({brief.scene_count} scenes)\n{brief.text}\n\n"
        f"Write the scene graph with exactly {brief.scene_count} scenes."
    )


def frame_prompt(card: SceneCard) -> str:
    cast = "\n".join(
        f"- {c.name}: {c.eye_color} eyes, {c.hair}, {c.wardrobe}" for c in card.characters
    )
    props = "\n".join(
        f"- {p.holder} carries the {p.prop}" for p in card.props if p.from_scene <= card.scene.index
    )
    return (
        f"Scene {card.scene.index}: {card.scene.action}\n"
        f"Setting: {card.setting.name} ({card.setting.time_of_day})\n"
        f"Characters:\n{cast}\n"
        + (f"Props:\n{props}\n" if props else "")
        + f"Duration: {card.min_shot_sec:g} to {card.max_shot_sec:g} seconds."
    )
