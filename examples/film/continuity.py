"""The continuity critic: every frame checked against the scene graph, deterministically.

A continuity supervisor's job, as code: the same character has the same eyes,
hair and wardrobe in every frame; only the scene's characters appear, in the
scene's setting, under lighting its time of day allows; a prop stays in its
holder's hands once it has appeared; shots and the whole cut respect the brief.
A judge model is not needed for any of this, and a 135M judge could not do it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .models import (
    ApprovedScene,
    Character,
    ContinuityIssue,
    ContinuityReport,
    FilmBrief,
    Frame,
    Lighting,
    SceneCard,
    SceneGraph,
    TimeOfDay,
)

LIGHTING_FOR: dict[TimeOfDay, frozenset[Lighting]] = {
    "dawn": frozenset({"golden_hour", "overcast", "interior_warm", "interior_cold"}),
    "day": frozenset({"daylight", "overcast", "interior_warm", "interior_cold"}),
    "dusk": frozenset({"golden_hour", "overcast", "interior_warm", "interior_cold"}),
    "night": frozenset({"night", "neon", "interior_warm", "interior_cold"}),
}

# Words that carry no attribute: "green eyes" and "green" describe the same eyes.
_FILLER = frozenset({"a", "an", "the", "and", "with", "eyes", "eye", "hair", "coloured", "colored"})


def words(value: str) -> set[str]:
    """The meaningful words of an attribute value, lower-case."""
    return {w for w in re.findall(r"[a-z0-9]+", value.lower()) if w not in _FILLER}


def attribute_matches(sheet_value: str, seen_value: str) -> bool:
    """The frame shows at least every word of the character sheet ("wet yellow raincoat" is ok)."""
    return words(sheet_value) <= words(seen_value)


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def frame_issues(
    frame: Frame,
    card: SceneCard,
    known_characters: set[str] | None = None,
    known_settings: set[str] | None = None,
) -> list[ContinuityIssue]:
    """Issues in one frame, judged against its own scene card (usable per map item).

    With the names the whole scene graph knows, a stranger is `unknown_character`
    rather than `character_not_in_scene`, and likewise for settings.
    """
    index = card.scene.index
    issues: list[ContinuityIssue] = []

    def issue(code: str, detail: str) -> None:
        issues.append(ContinuityIssue(code=code, scene_index=index, detail=detail))  # type: ignore[arg-type]

    if frame.scene_index != index:
        issue("unknown_scene", f"frame says scene {frame.scene_index}, card is scene {index}")
    if _key(frame.setting) != _key(card.setting.name):
        unknown = known_settings is not None and _key(frame.setting) not in known_settings
        issue(
            "unknown_setting" if unknown else "setting_mismatch",
            f"frame is in {frame.setting!r}, scene {index} is in {card.setting.name!r}",
        )
    when = card.scene.time_of_day or card.setting.time_of_day
    if frame.lighting not in LIGHTING_FOR[when]:
        issue("lighting_mismatch", f"{frame.lighting} lighting in a {when} scene")
    if not card.min_shot_sec <= frame.duration_sec <= card.max_shot_sec:
        issue(
            "duration_out_of_range",
            f"{frame.duration_sec:g}s is outside {card.min_shot_sec:g}-{card.max_shot_sec:g}s",
        )

    sheet: dict[str, Character] = {_key(c.name): c for c in card.characters}
    shown = {_key(c.name) for c in frame.characters}
    for seen in frame.characters:
        character = sheet.get(_key(seen.name))
        if character is None:
            if known_characters is not None and _key(seen.name) not in known_characters:
                issue("unknown_character", f"{seen.name} is not a character of this film")
            else:
                issue("character_not_in_scene", f"{seen.name} is not in scene {index}")
            continue
        for attribute in ("eye_color", "hair", "wardrobe"):
            expected, got = getattr(character, attribute), getattr(seen, attribute)
            if not attribute_matches(expected, got):
                issue(
                    f"{attribute}_mismatch" if attribute != "eye_color" else "eye_color_mismatch",
                    f"{character.name}: {attribute} {got!r}, sheet says {expected!r}",
                )
    for name in card.scene.characters:
        if _key(name) not in shown:
            issue("missing_character", f"{name} is in scene {index} but not in the frame")

    for rule in card.props:
        if rule.from_scene > index or _key(rule.holder) not in shown:
            continue
        holder = next(c for c in frame.characters if _key(c.name) == _key(rule.holder))
        carried = words(" ".join(holder.props)) | words(frame.description)
        if not words(rule.prop) <= carried:
            issue(
                "prop_missing",
                f"{rule.holder} should carry the {rule.prop} from scene {rule.from_scene}",
            )
    return issues


def scene_cards(scene_graph: SceneGraph, brief: FilmBrief) -> list[SceneCard]:
    """One self-contained card per scene: the map step's items.

    Raises:
        ValueError: a scene names a setting or character the graph does not have (the
            message lists them), so a bad graph is a failed attempt, not a KeyError.
    """
    if problems := graph_issues(scene_graph):
        raise ValueError("; ".join(problems))
    share = brief.max_total_sec / max(len(scene_graph.scenes), 1)
    settings = {_key(s.name): s for s in scene_graph.settings}
    characters = {_key(c.name): c for c in scene_graph.characters}
    cards = []
    for scene in sorted(scene_graph.scenes, key=lambda s: s.index):
        setting = settings[_key(scene.setting)]
        cast = [characters[_key(n)] for n in scene.characters]
        cast_names = {_key(n) for n in scene.characters}
        props = [p for p in scene_graph.props if _key(p.holder) in cast_names]
        cards.append(
            SceneCard(
                scene=scene,
                setting=setting,
                characters=cast,
                props=props,
                min_shot_sec=brief.min_shot_sec,
                max_shot_sec=brief.max_shot_sec,
                share_sec=share,
            )
        )
    return cards


def graph_issues(scene_graph: SceneGraph) -> list[str]:
    """What makes a scene graph unusable for `scene_cards`: unknown names, bad indices."""
    problems = []
    settings = {_key(s.name) for s in scene_graph.settings}
    characters = {_key(c.name) for c in scene_graph.characters}
    for scene in scene_graph.scenes:
        if _key(scene.setting) not in settings:
            problems.append(f"scene {scene.index}: unknown setting {scene.setting!r}")
        problems += [
            f"scene {scene.index}: unknown character {name!r}"
            for name in scene.characters
            if _key(name) not in characters
        ]
    for rule in scene_graph.props:
        if _key(rule.holder) not in characters:
            problems.append(f"prop {rule.prop!r}: unknown holder {rule.holder!r}")
    indices = sorted(s.index for s in scene_graph.scenes)
    if indices != list(range(1, len(indices) + 1)):
        problems.append(f"scene indices must be 1..{len(indices)}, got {indices}")
    return problems


def bible_issues(frame: Frame, bible: Sequence[Character]) -> list[ContinuityIssue]:
    """Looks in the frame that differ from the approved sheets (`bible.py`) retrieved."""
    approved = {_key(c.name): c for c in bible}
    issues = []
    for seen in frame.characters:
        sheet = approved.get(_key(seen.name))
        if sheet is None:
            continue
        for attribute in ("eye_color", "hair", "wardrobe"):
            expected, got = getattr(sheet, attribute), getattr(seen, attribute)
            if not attribute_matches(expected, got):
                issues.append(
                    ContinuityIssue(
                        code="bible_mismatch",
                        scene_index=frame.scene_index,
                        detail=f"{seen.name}: {attribute} {got!r}, the approved sheet says "
                        f"{expected!r}",
                    )
                )
    return issues


def scene_issues(
    frame: Frame, card: SceneCard, approved: Sequence[ApprovedScene]
) -> list[ContinuityIssue]:
    """A scene the brief did not change (same setting, time of day and action as the
    approved one) must be lit and cast as the approved frame was: a reshoot cuts with
    what was already shot. A changed scene is free."""
    scene = card.scene
    before = next((a for a in approved if a.index == scene.index), None)
    if before is None or (before.setting, before.time_of_day, before.action) != (
        scene.setting,
        scene.time_of_day,
        scene.action,
    ):
        return []
    issues = []
    if frame.lighting != before.lighting:
        issues.append(
            ContinuityIssue(
                code="approved_scene_mismatch",
                scene_index=frame.scene_index,
                detail=f"lit {frame.lighting!r}; the approved cut lit this unchanged scene "
                f"{before.lighting!r}",
            )
        )
    cast = sorted(_key(c.name) for c in frame.characters)
    if cast != sorted(_key(name) for name in before.cast):
        issues.append(
            ContinuityIssue(
                code="approved_scene_mismatch",
                scene_index=frame.scene_index,
                detail=f"shows {', '.join(c.name for c in frame.characters) or 'nobody'}; the "
                f"approved cut showed {', '.join(before.cast) or 'nobody'} in this unchanged scene",
            )
        )
    return issues


def review(
    frames: list[Frame],
    scene_graph: SceneGraph,
    brief: FilmBrief,
    bible: Sequence[Character] = (),
    scenes: Sequence[ApprovedScene] = (),
) -> ContinuityReport:
    """The critic step: every issue across the storyboard, against the scene graph, the
    approved character sheets retrieved from the bible and the approved scenes retrieved
    from `film/scenes` (`bible.py`)."""
    try:
        cards = {card.scene.index: card for card in scene_cards(scene_graph, brief)}
    except ValueError as e:
        issue = ContinuityIssue(code="unknown_scene", detail=f"the scene graph is unusable: {e}")
        return ContinuityReport(passed=False, issues=[issue])
    known = {_key(c.name) for c in scene_graph.characters}
    known_settings = {_key(s.name) for s in scene_graph.settings}
    issues: list[ContinuityIssue] = []
    seen: set[int] = set()
    for frame in frames:
        card = cards.get(frame.scene_index)
        if card is None:
            issues.append(
                ContinuityIssue(
                    code="unknown_scene",
                    scene_index=frame.scene_index,
                    detail=f"no scene {frame.scene_index}",
                )
            )
            continue
        if frame.scene_index in seen:
            issues.append(
                ContinuityIssue(
                    code="duplicate_frame",
                    scene_index=frame.scene_index,
                    detail="more than one frame for this scene",
                )
            )
        seen.add(frame.scene_index)
        issues += frame_issues(frame, card, known, known_settings)
        issues += bible_issues(frame, bible)
        issues += scene_issues(frame, card, scenes)
    for index in sorted(set(cards) - seen):
        issues.append(
            ContinuityIssue(
                code="missing_frame", scene_index=index, detail=f"scene {index} has no frame"
            )
        )
    total = sum(f.duration_sec for f in frames)
    if total > brief.max_total_sec:
        issues.append(
            ContinuityIssue(
                code="total_duration_exceeded",
                detail=(f"total {total:g}s is over the brief's {brief.max_total_sec:g}s"),
            )
        )
    return ContinuityReport(passed=not issues, issues=issues)
