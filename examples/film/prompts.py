"""Prompts for the three model steps: one character's look, one scene's staging, one frame.

Each call is small: the brief and one question. The answers' schemas (`choices.py`)
hold the brief's own phrases, so only the frame's description is free text. Its one
few-shot example uses names, places and objects no brief uses (a test pins that), and
the frame gate's `no_example_leak` check fails a description that copies them.
"""

from __future__ import annotations

from .models import BeatCard, FilmBrief, FrameSketch, Person, SceneCard

LOOK_SYSTEM = (
    "You read a film brief and say how it describes one character: their eye colour, "
    "their hair and what they wear. Choose the phrases the brief uses for that character."
)

STAGING_SYSTEM = (
    "You read a film brief and stage one scene of it: the place it happens in, the time "
    "of day, the characters in it, and any object first seen in it that someone keeps "
    "holding in later scenes. Use the scene's own words."
)

FRAME_SYSTEM = (
    "You sketch one storyboard frame for one scene: a shot type, lighting that fits the "
    "time of day, one plain sentence of what we see, and a duration in seconds. Name only "
    "the scene's own characters."
)

# One tiny example per call, for the answer's shape (compact JSON, one key per
# character). Its words must never reach a real answer: the enums keep them out of
# looks and staging, and `checks.no_example_leak` fails a frame description with them.
EXAMPLE_WORDS = frozenset({"odile", "bram", "bell", "tower", "rope", "hauls", "parka", "tweed"})

_EXAMPLE_BRIEF = (
    "ODILE (amber eyes, grey bun, tweed cape) rings the bells. Her cousin Bram has black "
    "eyes and red hair and wears a green parka.\n"
    "1. In the bell tower at dusk Bram gives Odile a lantern.\n"
    "2. On the roof at night Odile lifts the lantern."
)
LOOK_EXAMPLES: list[tuple[str, str]] = [
    (
        f"Brief:\n{_EXAMPLE_BRIEF}\n\nHow does the brief describe Bram? Give Bram's eye "
        "colour, hair and clothes.",
        '{"eye_color":"black","hair":"red hair","wardrobe":"green parka"}',
    )
]
STAGING_EXAMPLES: list[tuple[str, str]] = [
    (
        f"Brief:\n{_EXAMPLE_BRIEF}\n\nScene 2 of 2: On the roof at night Odile lifts the "
        "lantern.\n\nWhere and when does scene 2 happen, who is in it, and which objects "
        "are first seen in it (and who holds each)?",
        '{"setting":"roof","time_of_day":"night","cast":{"Odile":true,"Bram":false},'
        '"new_props":{"lantern":"not first seen here"}}',
    )
]

_EXAMPLE_CARD_PROMPT = (
    "Scene 1: Odile pulls the rope.\n"
    "Setting: bell tower (dusk)\n"
    "Characters:\n- Odile: amber eyes, grey bun, tweed cape\n"
    "Duration: 2 to 12 seconds."
)
FRAME_EXAMPLES: list[tuple[str, str]] = [
    (
        _EXAMPLE_CARD_PROMPT,
        FrameSketch(
            shot_type="medium",
            lighting="golden_hour",
            description="Odile hauls on the bell rope in low orange light.",
            duration_sec=8,
        ).model_dump_json(),
    )
]


def _called(person: Person) -> str:
    others = [a for a in person.aliases if a not in person.name.split()]
    return f"{person.name} (also called {', '.join(others)})" if others else person.name


def look_prompt(person: Person, brief: FilmBrief) -> str:
    return (
        f"Brief:\n{brief.text}\n\n"
        f"How does the brief describe {_called(person)}? Give {person.name}'s eye colour, "
        "hair and clothes."
    )


def staging_prompt(card: BeatCard, brief: FilmBrief) -> str:
    return (
        f"Brief:\n{brief.text}\n\n"
        f"Scene {card.index} of {brief.scene_count}: {card.text}\n\n"
        f"Where and when does scene {card.index} happen, who is in it, and which objects "
        "are first seen in it (and who holds each)?"
    )


def frame_prompt(card: SceneCard) -> str:
    cast = "\n".join(
        f"- {c.name}: {c.eye_color} eyes, {c.hair}, {c.wardrobe}" for c in card.characters
    )
    props = "\n".join(
        f"- {p.holder} carries the {p.prop}" for p in card.props if p.from_scene <= card.scene.index
    )
    high = min(card.max_shot_sec, card.share_sec or card.max_shot_sec)
    when = card.scene.time_of_day or card.setting.time_of_day
    return (
        f"Scene {card.scene.index}: {card.scene.action}\n"
        f"Setting: {card.setting.name} ({when})\n"
        f"Characters:\n{cast}\n"
        + (f"Props:\n{props}\n" if props else "")
        + f"Duration: {card.min_shot_sec:g} to {high:g} seconds."
    )
