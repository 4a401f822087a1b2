"""The artifacts of the film pre-production pipeline, one type per seam.

brief (FilmBrief) -> scene_graph (SceneGraph, model) -> scenes (list[SceneCard], Python)
-> frames (list[Frame], model, one call per scene) -> continuity (ContinuityReport, Python)
-> assembly (CutList, Python) -> director approval
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ShotType = Literal["establishing", "wide", "medium", "close_up", "over_the_shoulder", "insert"]
Lighting = Literal[
    "daylight", "overcast", "golden_hour", "night", "neon", "interior_warm", "interior_cold"
]
TimeOfDay = Literal["dawn", "day", "dusk", "night"]

IssueCode = Literal[
    "eye_color_mismatch",
    "hair_mismatch",
    "wardrobe_mismatch",
    "unknown_character",  # not in the scene graph at all
    "character_not_in_scene",  # a known character the scene does not list
    "missing_character",  # the scene lists them, the frame does not show them
    "unknown_setting",
    "setting_mismatch",  # a known setting, but not this scene's
    "lighting_mismatch",  # e.g. daylight in a night setting
    "prop_missing",  # a continuity prop its holder should be carrying
    "missing_frame",
    "duplicate_frame",
    "unknown_scene",
    "duration_out_of_range",
    "total_duration_exceeded",
    "bible_mismatch",  # a look that differs from the sheet the director approved before
    "approved_scene_mismatch",  # an unchanged scene shot otherwise than the approved cut
]


class FilmBrief(BaseModel):
    """The pipeline input: a director's brief, in prose, plus hard limits."""

    id: str
    title: str
    text: str = Field(description="Cast, settings and scene beats, as the director wrote them")
    scene_count: int = Field(ge=1, le=8)
    max_total_sec: float = Field(gt=0)
    min_shot_sec: float = 2.0
    max_shot_sec: float = 15.0


# ------------------------------------------------------------------ scene graph (model)


class Character(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    eye_color: str = Field(description="e.g. green")
    hair: str = Field(description="e.g. short black hair")
    wardrobe: str = Field(description="e.g. yellow raincoat")


class Setting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    time_of_day: TimeOfDay


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=1, description="1 for the first scene")
    setting: str = Field(description="The name of one of the settings")
    characters: list[str] = Field(description="Names of the characters in the scene")
    action: str = Field(description="What happens, one sentence")
    time_of_day: TimeOfDay | None = Field(
        default=None, description="When the scene happens, if not its setting's usual time"
    )


class PropConstraint(BaseModel):
    """A continuity rule: `holder` carries `prop` in every scene from `from_scene` on."""

    model_config = ConfigDict(extra="forbid")

    prop: str
    holder: str
    from_scene: int = Field(ge=1)


class SceneGraph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    characters: list[Character]
    settings: list[Setting]
    scenes: list[Scene]
    props: list[PropConstraint] = Field(default_factory=list)


# ------------------------------------------------------------------ the brief, read (Python)


class Person(BaseModel):
    """A character the brief describes, with the phrases it uses for their looks."""

    name: str
    aliases: list[str] = Field(default_factory=list, description="Nicknames, first names")
    looks: dict[str, list[str]] = Field(
        default_factory=dict, description="attribute -> phrases the brief gives this person"
    )
    nearby: dict[str, list[str]] = Field(
        default_factory=dict, description="attribute -> phrases in sentences naming them"
    )


class PropReading(BaseModel):
    """An object the brief brings back in later scenes, held by someone."""

    prop: str
    head: str
    holder: str | None
    from_scene: int


class BeatCard(BaseModel):
    """One scene's words in the brief, and what the reader found in them."""

    index: int
    text: str
    places: list[str] = Field(description="Settings the beat names, in order")
    time_of_day: TimeOfDay | None = Field(description="Stated in the beat or carried over")
    cast: list[str] = Field(description="Characters the beat names")
    props: list[str] = Field(description="Continuity props the beat mentions")
    new_props: list[PropConstraint] = Field(description="Props first seen in this scene")


class BriefReading(BaseModel):
    """What the deterministic reader made of the brief: the model's choices come from here."""

    preamble: str
    beats: list[BeatCard]
    people: list[Person]
    places: list[str]
    props: list[PropReading]
    looks: dict[str, list[str]] = Field(description="attribute -> every such phrase in the brief")
    problems: list[str] = Field(default_factory=list)


# ------------------------------------------------------------------ the model's choices


class PropHold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prop: str
    holder: str


class Staging(BaseModel):
    """One scene as the model stages it: where, when, who, and which props appear."""

    model_config = ConfigDict(extra="forbid")

    setting: str
    time_of_day: TimeOfDay
    characters: list[str]
    new_props: list[PropHold] = Field(default_factory=list)


class Look(BaseModel):
    """One character's look as the model reads it from the brief."""

    model_config = ConfigDict(extra="forbid")

    eye_color: str
    hair: str
    wardrobe: str


class FrameSketch(BaseModel):
    """What the frame model decides; cast, looks and props come from the scene card."""

    model_config = ConfigDict(extra="forbid")

    shot_type: ShotType
    lighting: Lighting
    description: str
    duration_sec: int


# ------------------------------------------------------------------ storyboard (model, per scene)


class SceneCard(BaseModel):
    """Everything one frame call needs, and nothing else: the small model's context is short."""

    scene: Scene
    setting: Setting
    characters: list[Character]
    props: list[PropConstraint]
    min_shot_sec: float
    max_shot_sec: float
    share_sec: float | None = Field(
        default=None, description="The running time per scene the brief allows"
    )


class VisibleCharacter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    eye_color: str
    hair: str
    wardrobe: str
    props: list[str] = Field(default_factory=list, description="What they carry in this frame")


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scene_index: int
    setting: str
    shot_type: ShotType
    lighting: Lighting
    description: str = Field(description="What the frame shows, one or two sentences")
    characters: list[VisibleCharacter]
    duration_sec: float


# ------------------------------------------------------------------ critic and assembly (Python)


class ContinuityIssue(BaseModel):
    code: IssueCode
    scene_index: int | None = None
    detail: str


class ApprovedScene(BaseModel):
    """A scene as the director approved it: what the brief said, and how it was shot."""

    index: int
    setting: str
    time_of_day: TimeOfDay | None = None
    action: str
    lighting: Lighting
    cast: list[str]


class ContinuityReport(BaseModel):
    passed: bool
    issues: list[ContinuityIssue] = Field(default_factory=list)


class Cut(BaseModel):
    order: int
    scene_index: int
    start_sec: float
    duration_sec: float
    shot_type: ShotType
    description: str


class CutList(BaseModel):
    title: str
    cuts: list[Cut]
    total_duration_sec: float


# ------------------------------------------------------------------ dataset


class FilmExpected(BaseModel):
    scene_graph: SceneGraph
    frames: list[Frame]


class FilmTask(BaseModel):
    """One line of `briefs.jsonl`: the brief and a reference scene graph and storyboard."""

    id: str
    brief: FilmBrief
    expected: FilmExpected
