"""Gate checks for the film pipeline.

Each check takes artifacts by parameter name (`brief`, `scene_graph`, `frames`,
`continuity`, `assembly`) and returns True or a short reason for the retry.

- reading seam: the reader could split the brief into its scenes and find its cast.
- looks seam, per character: each look is the one the brief gives *this* character.
- staging seam, per scene: the setting the scene opens in, its time of day as written
  or carried over, exactly the characters it names, the props first seen in it.
- scene_graph seam: the graph is grounded in the brief (every name and attribute
  is one the director wrote) and internally consistent.
- frames seam: the continuity critic's rules, one check per family of issue, so
  the per-seam report says *which* kind of continuity error the model makes.
- assembly seam: the cut list respects the brief's running time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .continuity import frame_issues, graph_issues, review, words
from .models import (
    BeatCard,
    BriefReading,
    ContinuityIssue,
    ContinuityReport,
    CutList,
    FilmBrief,
    Frame,
    Look,
    Person,
    SceneCard,
    SceneGraph,
    Staging,
)
from .prompts import EXAMPLE_WORDS

_MAX_LISTED = 3


def _reason(problems: list[str]) -> bool | str:
    if not problems:
        return True
    more = f" (+{len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
    return "; ".join(problems[:_MAX_LISTED]) + more


def _brief_words(brief: FilmBrief) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", brief.text.lower()))


def _missing_words(value: str, brief: FilmBrief) -> set[str]:
    return words(value) - _brief_words(brief)


# ------------------------------------------------------------------ reading seam


def brief_was_read(reading: BriefReading) -> bool | str:
    """The reader split the brief into its scenes, found a cast and a place per scene."""
    return _reason(reading.problems)


# ------------------------------------------------------------------ looks seam, per character
#
# `looks` is a map= step over `people`: a check's `looks` is one Look, `people` its Person.


def _listed(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values) or "nothing"


def look_is_theirs(looks: Look, people: Person) -> bool | str:
    """Each attribute is a phrase the brief attaches to this character, not to another."""
    problems = []
    for attribute, what in (("eye_color", "eyes"), ("hair", "hair"), ("wardrobe", "clothes")):
        theirs = people.looks.get(attribute, [])
        value = getattr(looks, attribute)
        if not theirs:
            problems.append(f"the brief does not describe {people.name}'s {what}")
        elif value not in theirs:
            problems.append(
                f"{people.name}'s {what}: {value!r} is not how the brief describes them "
                f"(it says {_listed(theirs)})"
            )
    return _reason(problems)


# ------------------------------------------------------------------ staging seam, per scene
#
# `staging` is a map= step over `beats`: a check's `staging` is one Staging, `beats` its
# BeatCard.


def scene_opens_in_its_setting(staging: Staging, beats: BeatCard) -> bool | str:
    """The setting is the first place the scene's words name (its slugline, if any)."""
    if not beats.places:
        return f"scene {beats.index} names no place"
    if staging.setting == beats.places[0]:
        return True
    return (
        f"scene {beats.index} happens in {beats.places[0]!r}, not {staging.setting!r} "
        f"(the scene names {_listed(beats.places)})"
    )


def scene_time_as_written(staging: Staging, beats: BeatCard) -> bool | str:
    """The time of day the scene states, or the one it carries over from the scene before."""
    if beats.time_of_day is None:
        return f"the brief does not say when scene {beats.index} happens"
    if staging.time_of_day == beats.time_of_day:
        return True
    return f"scene {beats.index} happens at {beats.time_of_day}, not {staging.time_of_day}"


def scene_cast_as_named(staging: Staging, beats: BeatCard) -> bool | str:
    """Exactly the characters the scene's words name (by name or nickname)."""
    chosen, named = set(staging.characters), set(beats.cast)
    problems = [f"{n} is not in scene {beats.index}" for n in sorted(chosen - named)]
    problems += [f"{n} is in scene {beats.index} but missing" for n in sorted(named - chosen)]
    return _reason(problems)


def scene_props_as_introduced(staging: Staging, beats: BeatCard) -> bool | str:
    """The props first seen in this scene, each with the character who keeps it."""
    chosen = {p.prop: p.holder for p in staging.new_props}
    wanted = {p.prop: p.holder for p in beats.new_props}
    problems = []
    for prop, holder in sorted(chosen.items()):
        if prop not in wanted:
            problems.append(f"the {prop} is not first seen in scene {beats.index}")
        elif holder != wanted[prop]:
            problems.append(f"the {prop} is held by {wanted[prop]}, not {holder}")
    problems += [
        f"the {prop} is first seen in scene {beats.index}, held by {holder}"
        for prop, holder in sorted(wanted.items())
        if prop not in chosen
    ]
    return _reason(problems)


STAGING_CHECKS = (
    scene_opens_in_its_setting,
    scene_time_as_written,
    scene_cast_as_named,
    scene_props_as_introduced,
)


# ------------------------------------------------------------------ scene_graph seam


def scene_count_matches_brief(scene_graph: SceneGraph, brief: FilmBrief) -> bool | str:
    if len(scene_graph.scenes) == brief.scene_count:
        return True
    return f"the brief asks for {brief.scene_count} scenes, the graph has {len(scene_graph.scenes)}"


def characters_in_brief(scene_graph: SceneGraph, brief: FilmBrief) -> bool | str:
    """Every character, and each of their attributes, is written in the brief."""
    problems = []
    for c in scene_graph.characters:
        if _missing_words(c.name, brief):
            problems.append(f"character {c.name!r} is not in the brief")
            continue
        for attribute in ("eye_color", "hair", "wardrobe"):
            value = getattr(c, attribute)
            if not words(value):
                problems.append(f"{c.name}: {attribute} is empty")
            elif missing := _missing_words(value, brief):
                problems.append(
                    f"{c.name}: {attribute} {value!r} not in the brief "
                    f"({', '.join(sorted(missing))})"
                )
    return _reason(problems)


def settings_in_brief(scene_graph: SceneGraph, brief: FilmBrief) -> bool | str:
    problems = [
        f"setting {s.name!r} is not in the brief"
        for s in scene_graph.settings
        if _missing_words(s.name, brief)
    ]
    return _reason(problems)


def props_in_brief(scene_graph: SceneGraph, brief: FilmBrief) -> bool | str:
    problems = [
        f"prop {p.prop!r} is not in the brief"
        for p in scene_graph.props
        if _missing_words(p.prop, brief)
    ]
    return _reason(problems)


def scenes_use_known_names(scene_graph: SceneGraph) -> bool | str:
    """Scenes name only the graph's own settings and characters; indices run 1..n."""
    return _reason(graph_issues(scene_graph))


SCENE_GRAPH_CHECKS = (
    scene_count_matches_brief,
    scenes_use_known_names,
    characters_in_brief,
    settings_in_brief,
    props_in_brief,
)


# ------------------------------------------------------------------ frames seam, per item
#
# `frames` is a map= step over `scenes`: its gate runs once per item, and a check's
# `frames` parameter is then the one Frame under review, `scenes` its SceneCard.

_CAST_CODES = frozenset(
    {
        "unknown_character",
        "character_not_in_scene",
        "missing_character",
        "unknown_setting",
        "setting_mismatch",
        "unknown_scene",
    }
)
_LOOK_CODES = frozenset({"eye_color_mismatch", "hair_mismatch", "wardrobe_mismatch"})


def _frame(
    frame: Frame, card: SceneCard, scene_graph: SceneGraph, codes: frozenset[str]
) -> bool | str:
    known = {" ".join(c.name.lower().split()) for c in scene_graph.characters}
    settings = {" ".join(s.name.lower().split()) for s in scene_graph.settings}
    found = [i for i in frame_issues(frame, card, known, settings) if i.code in codes]
    return _reason([f"{i.code}: {i.detail}" for i in found])


def frame_cast_and_setting(frames: Frame, scenes: SceneCard, scene_graph: SceneGraph) -> bool | str:
    """The frame shows this scene's characters, no one else, in this scene's setting."""
    return _frame(frames, scenes, scene_graph, _CAST_CODES)


def frame_characters_match_sheet(
    frames: Frame, scenes: SceneCard, scene_graph: SceneGraph
) -> bool | str:
    """Eye colour, hair and wardrobe as on the character sheet (eye_color_mismatch, ...)."""
    return _frame(frames, scenes, scene_graph, _LOOK_CODES)


def frame_lighting_fits(frames: Frame, scenes: SceneCard, scene_graph: SceneGraph) -> bool | str:
    return _frame(frames, scenes, scene_graph, frozenset({"lighting_mismatch"}))


def frame_props_carried(frames: Frame, scenes: SceneCard, scene_graph: SceneGraph) -> bool | str:
    return _frame(frames, scenes, scene_graph, frozenset({"prop_missing"}))


def frame_duration_in_range(
    frames: Frame, scenes: SceneCard, scene_graph: SceneGraph
) -> bool | str:
    return _frame(frames, scenes, scene_graph, frozenset({"duration_out_of_range"}))


def no_example_leak(frames: Frame, brief: FilmBrief) -> bool | str:
    """The description copies no name, place or object from the few-shot example."""
    leaked = (words(frames.description) & EXAMPLE_WORDS) - _brief_words(brief)
    if not leaked:
        return True
    return f"the description copies the example ({', '.join(sorted(leaked))}), not the brief"


FRAME_ITEM_CHECKS = (
    frame_cast_and_setting,
    frame_characters_match_sheet,
    frame_lighting_fits,
    frame_props_carried,
    frame_duration_in_range,
    no_example_leak,
)


# ------------------------------------------------------------------ the whole storyboard
#
# The same rules over the collected list (the critic's view), for evals and for a
# pipeline that gates the storyboard as a whole.


def _issues(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief, codes: Iterable[str]
) -> bool | str:
    wanted = set(codes)
    found: list[ContinuityIssue] = [
        i for i in review(frames, scene_graph, brief).issues if i.code in wanted
    ]
    return _reason(
        [
            f"{i.code} (scene {i.scene_index}): {i.detail}"
            if i.scene_index
            else f"{i.code}: {i.detail}"
            for i in found
        ]
    )


def one_frame_per_scene(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief
) -> bool | str:
    return _issues(
        frames, scene_graph, brief, {"missing_frame", "duplicate_frame", "unknown_scene"}
    )


def characters_match_sheet(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief
) -> bool | str:
    """Eyes, hair and wardrobe as the scene graph fixed them (eye_color_mismatch, ...)."""
    codes = {"eye_color_mismatch", "hair_mismatch", "wardrobe_mismatch"}
    return _issues(frames, scene_graph, brief, codes)


def cast_and_setting_match_scene(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief
) -> bool | str:
    """Only known characters and settings; each scene's own cast, in its own setting."""
    codes = {
        "unknown_character",
        "character_not_in_scene",
        "missing_character",
        "unknown_setting",
        "setting_mismatch",
    }
    return _issues(frames, scene_graph, brief, codes)


def lighting_fits_time_of_day(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief
) -> bool | str:
    return _issues(frames, scene_graph, brief, {"lighting_mismatch"})


def props_carried(frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief) -> bool | str:
    return _issues(frames, scene_graph, brief, {"prop_missing"})


def durations_within_limits(
    frames: list[Frame], scene_graph: SceneGraph, brief: FilmBrief
) -> bool | str:
    return _issues(frames, scene_graph, brief, {"duration_out_of_range", "total_duration_exceeded"})


FRAME_CHECKS = (
    one_frame_per_scene,
    cast_and_setting_match_scene,
    characters_match_sheet,
    lighting_fits_time_of_day,
    props_carried,
    durations_within_limits,
)


# ------------------------------------------------------------------ continuity and assembly seams


def no_continuity_issues(continuity: ContinuityReport) -> bool | str:
    return _reason([f"{i.code}: {i.detail}" for i in continuity.issues])


def cut_list_fits_brief(assembly: CutList, brief: FilmBrief) -> bool | str:
    """Cuts in scene order, back to back, within the brief's running time."""
    problems = []
    expected_start = 0.0
    for position, cut in enumerate(assembly.cuts, start=1):
        if cut.order != position or cut.scene_index != position:
            problems.append(f"cut {position} is scene {cut.scene_index}, order {cut.order}")
        if abs(cut.start_sec - expected_start) > 1e-6:
            problems.append(f"cut {position} starts at {cut.start_sec:g}s, not {expected_start:g}s")
        expected_start += cut.duration_sec
    if abs(assembly.total_duration_sec - expected_start) > 1e-6:
        problems.append(
            f"total {assembly.total_duration_sec:g}s, cuts add up to {expected_start:g}s"
        )
    if assembly.total_duration_sec > brief.max_total_sec:
        problems.append(f"total {assembly.total_duration_sec:g}s is over {brief.max_total_sec:g}s")
    return _reason(problems)
