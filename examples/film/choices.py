"""The questions the model is asked, as JSON schemas whose answers are the brief's own words.

Every field the answer must take from the brief is a `Literal` of the phrases the
reader found (llama.cpp's constrained decoding enforces it), so the model cannot
invent a name, a colour or a prop, and a few-shot value cannot leak in. Every other
field is bounded, so `sl.max_tokens_for` gives a limit no valid answer exceeds.

A first attempt chooses among every such phrase in the brief. After the gate has
rejected it, the retry chooses among what the beat (or the sentences naming the
character) actually contains: a smaller question, with the gate's reasons in the prompt.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .continuity import LIGHTING_FOR
from .models import (
    BeatCard,
    BriefReading,
    FrameSketch,
    Look,
    Person,
    PropHold,
    SceneCard,
    ShotType,
    Staging,
    TimeOfDay,
)

_TIMES: tuple[TimeOfDay, ...] = ("dawn", "day", "dusk", "night")
_DESCRIPTION_CHARS = 160
_FORBID = ConfigDict(extra="forbid")


NOT_HERE = "not first seen here"


def _one_of(values: list[str], description: str) -> Any:
    """A field that holds one of `values` ("" when the brief offers none)."""
    options = tuple(dict.fromkeys(values)) or ("",)
    return (Literal[options], Field(description=description))  # type: ignore[valid-type]


def look_type(person: Person, reading: BriefReading, *, narrow: bool) -> type[BaseModel]:
    """Eyes, hair and wardrobe, each one of the brief's phrases for that attribute."""
    fields: dict[str, Any] = {}
    for attribute, what in (("eye_color", "eye colour"), ("hair", "hair"), ("wardrobe", "clothes")):
        every = reading.looks.get(attribute, [])
        near = person.nearby.get(attribute, [])
        fields[attribute] = _one_of(near if narrow and near else every, f"{person.name}'s {what}")
    return create_model("LookChoice", __config__=_FORBID, **fields)


def staging_type(card: BeatCard, reading: BriefReading, *, narrow: bool) -> type[BaseModel]:
    """Setting, time, cast and new props of one scene, from the brief's own names."""
    places = card.places if narrow and card.places else reading.places
    cast = card.cast if narrow and card.cast else [p.name for p in reading.people]
    times = [card.time_of_day] if narrow and card.time_of_day else list(_TIMES)
    props = card.props if narrow else [p.prop for p in reading.props]
    # One yes/no per character and one holder (or none) per prop: a small model answers
    # each key in turn, where a free list of names tends to stop after the first.
    in_scene = _keyed("InScene", cast, bool, "Is this character in the scene?")
    fields: dict[str, Any] = {
        "setting": _one_of(places, "Where the scene happens"),
        "time_of_day": _one_of(times, "When it happens"),  # type: ignore[arg-type]
        "cast": (in_scene, Field(description="For each character: is he or she in the scene?")),
    }
    if props:
        holders = Literal[tuple(dict.fromkeys([NOT_HERE, *cast]))]  # type: ignore[valid-type]
        fields["new_props"] = (
            _keyed("NewProps", props, holders, "Who holds it, if it is first seen here"),
            Field(description="For each object: who holds it, if it is first seen here"),
        )
    return create_model("StagingChoice", __config__=_FORBID, **fields)


def _keyed(name: str, keys: list[str], annotation: Any, description: str) -> type[BaseModel]:
    """An object with one required property per key (a key may have spaces: an alias)."""
    fields = {
        f"k{i}": (annotation, Field(alias=key, description=description))
        for i, key in enumerate(dict.fromkeys(keys))
    }
    return create_model(name, __config__=_FORBID, **fields)  # type: ignore[call-overload, no-any-return]


def sketch_type(card: SceneCard) -> type[BaseModel]:
    """Shot, lighting the scene's time allows, a short description, a duration in range."""
    when = card.scene.time_of_day or card.setting.time_of_day
    low = math.ceil(card.min_shot_sec)
    high = math.floor(min(card.max_shot_sec, card.share_sec or card.max_shot_sec))
    return create_model(
        "FrameChoice",
        __config__=_FORBID,
        shot_type=(ShotType, ...),
        lighting=(Literal[tuple(sorted(LIGHTING_FOR[when]))], ...),  # type: ignore[valid-type]
        description=(str, Field(max_length=_DESCRIPTION_CHARS, description="What we see")),
        duration_sec=(int, Field(ge=low, le=max(high, low))),
    )


def as_look(choice: BaseModel) -> Look:
    return Look.model_validate(choice.model_dump())


def as_staging(choice: BaseModel) -> Staging:
    data = choice.model_dump(by_alias=True)
    props = data.get("new_props") or {}
    return Staging(
        setting=data["setting"],
        time_of_day=data["time_of_day"],
        characters=[name for name, present in data["cast"].items() if present],
        new_props=[
            PropHold(prop=prop, holder=holder) for prop, holder in props.items() if holder != NOT_HERE
        ],
    )


def as_sketch(choice: BaseModel) -> FrameSketch:
    return FrameSketch.model_validate(choice.model_dump())
