"""The questions the model is asked, as JSON schemas whose answers are the brief's own words.

Every field the answer must take from the brief is a `Literal` of the phrases the
reader found (llama.cpp's constrained decoding enforces it), so the model cannot
invent a name, a colour or a prop, and a few-shot value cannot leak in. Every other
field is bounded, so `sl.max_tokens_for` gives a limit no valid answer exceeds.

Each retry asks a smaller question, with the gate's reasons in the prompt:

- level 0 (the first attempt): every such phrase in the brief;
- level 1 (first retry): what the scene's words (or the sentences naming the
  character) contain;
- level 2 (last retry): only what the reader established: the phrases the brief
  attaches to this character, the place the scene opens in, the characters it names.

So a gated run ends on the reader's answer where the model kept missing it, and the
shadow run shows what the model does alone. Where the reader is wrong, so is the gated
result: escaped defects on briefs never seen measure exactly that.
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


def _narrowest(*options: list[str]) -> list[str]:
    """The first non-empty list of choices (the narrower ones come first)."""
    return next((o for o in options if o), [])


def look_type(person: Person, reading: BriefReading, *, level: int) -> type[BaseModel]:
    """Eyes, hair and wardrobe, each one of the brief's phrases for that attribute."""
    fields: dict[str, Any] = {}
    for attribute, what in (("eye_color", "eye colour"), ("hair", "hair"), ("wardrobe", "clothes")):
        every = reading.looks.get(attribute, [])
        near = person.nearby.get(attribute, [])
        theirs = person.looks.get(attribute, [])
        tiers = [theirs, near, every][2 - min(level, 2) :]
        fields[attribute] = _one_of(_narrowest(*tiers), f"{person.name}'s {what}")
    return create_model("LookChoice", __config__=_FORBID, **fields)


def staging_type(card: BeatCard, reading: BriefReading, *, level: int) -> type[BaseModel]:
    """Setting, time, cast and new props of one scene, from the brief's own names."""
    everyone = [p.name for p in reading.people]
    if level == 0:
        places, times, cast = reading.places, list(_TIMES), everyone
        props = [p.prop for p in reading.props]
    else:
        places = _narrowest(card.places[:1] if level >= 2 else card.places, reading.places)
        times = [card.time_of_day] if card.time_of_day else list(_TIMES)
        cast, props = _narrowest(card.cast, everyone), card.props
    # One yes/no per character and one holder (or none) per prop: a small model answers
    # each key in turn, where a free list of names tends to stop after the first.
    present: Any = Literal[True] if level >= 2 and card.cast else bool
    fields: dict[str, Any] = {
        "setting": _one_of(places, "Where the scene happens"),
        "time_of_day": _one_of(times, "When it happens"),  # type: ignore[arg-type]
        "cast": (
            _keyed("InScene", cast, present, "Is this character in the scene?"),
            Field(description="For each character: is he or she in the scene?"),
        ),
    }
    if props:
        holders: Any = Literal[tuple(dict.fromkeys([NOT_HERE, *cast]))]  # type: ignore[valid-type]
        keyed = _keyed("NewProps", props, holders, "Who holds it, if it is first seen here")
        if level >= 2:
            first_seen = {p.prop: p.holder for p in card.new_props}
            keyed = create_model(
                "NewProps",
                __config__=_FORBID,
                **{
                    f"k{i}": (
                        Literal[first_seen.get(prop, NOT_HERE)],  # type: ignore[valid-type]
                        Field(alias=prop),
                    )
                    for i, prop in enumerate(dict.fromkeys(props))
                },
            )
        fields["new_props"] = (
            keyed,
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


def sketch_type(card: SceneCard, *, level: int = 0) -> type[BaseModel]:
    """Shot, lighting the scene's time allows, a short description, a duration in range.

    At level 2 (the last retry) the description can only be the scene's own action, as
    the brief writes it: the model kept copying the example or naming strangers."""
    when = card.scene.time_of_day or card.setting.time_of_day
    low = math.ceil(card.min_shot_sec)
    high = math.floor(min(card.max_shot_sec, card.share_sec or card.max_shot_sec))
    return create_model(
        "FrameChoice",
        __config__=_FORBID,
        shot_type=(ShotType, ...),
        lighting=(Literal[tuple(sorted(LIGHTING_FOR[when]))], ...),  # type: ignore[valid-type]
        description=(
            (Literal[card.scene.action[:_DESCRIPTION_CHARS]], ...)  # type: ignore[valid-type]
            if level >= 2
            else (str, Field(max_length=_DESCRIPTION_CHARS, description="What we see"))
        ),
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
            PropHold(prop=prop, holder=holder)
            for prop, holder in props.items()
            if holder != NOT_HERE
        ],
    )


def as_sketch(choice: BaseModel) -> FrameSketch:
    return FrameSketch.model_validate(choice.model_dump())
