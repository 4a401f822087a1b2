"""The gate checks of the look and staging seams, against the reader's findings."""

from __future__ import annotations

from examples.film import checks
from examples.film.models import BeatCard, Look, Person, PropConstraint, PropHold, Staging

CARD = BeatCard(
    index=2,
    text="2. In the boathouse Helen gives Teo a brass key.",
    places=["boathouse", "lighthouse gallery"],
    time_of_day="dawn",
    cast=["Helen Marsh", "Teodor"],
    props=["brass key"],
    new_props=[PropConstraint(prop="brass key", holder="Teodor", from_scene=2)],
)
RIGHT = Staging(
    setting="boathouse",
    time_of_day="dawn",
    characters=["Teodor", "Helen Marsh"],
    new_props=[PropHold(prop="brass key", holder="Teodor")],
)


def test_the_right_staging_passes_every_check() -> None:
    assert all(check(RIGHT, CARD) is True for check in checks.STAGING_CHECKS)


def test_each_wrong_choice_is_named_with_what_the_scene_says() -> None:
    def reason(**changes: object) -> str:
        staged = RIGHT.model_copy(update=changes)
        found = [check(staged, CARD) for check in checks.STAGING_CHECKS]
        return "; ".join(r for r in found if r is not True)  # type: ignore[misc]

    assert "happens in 'boathouse', not 'lighthouse gallery'" in reason(
        setting="lighthouse gallery"
    )
    assert "at dawn, not night" in reason(time_of_day="night")
    assert "Helen Marsh is in scene 2 but missing" in reason(characters=["Teodor"])
    assert "held by Teodor, not Helen Marsh" in reason(
        new_props=[PropHold(prop="brass key", holder="Helen Marsh")]
    )
    assert "first seen in scene 2, held by Teodor" in reason(new_props=[])


def test_a_look_must_be_the_characters_own_and_whole() -> None:
    helen = Person(
        name="Helen Marsh",
        looks={
            "eye_color": ["pale blue"],
            "hair": ["cropped silver hair"],
            "wardrobe": ["oilskin smock"],
        },
    )
    own = Look(eye_color="pale blue", hair="cropped silver hair", wardrobe="oilskin smock")
    assert checks.look_is_theirs(own, helen) is True
    teos = own.model_copy(update={"eye_color": "dark brown"})
    assert "'dark brown' is not how the brief describes them (it says 'pale blue')" in str(
        checks.look_is_theirs(teos, helen)
    )
    bald = Person(name="Eamon", looks={"eye_color": ["grey"], "hair": ["bald"]})
    assert "does not describe Eamon's clothes" in str(
        checks.look_is_theirs(Look(eye_color="grey", hair="bald", wardrobe=""), bald)
    )


def test_the_last_frame_retry_can_only_describe_the_scene_as_the_brief_does() -> None:
    from pathlib import Path

    from examples.film.choices import sketch_type
    from examples.film.continuity import scene_cards
    from examples.film.models import FilmTask

    briefs = Path(__file__).resolve().parents[2] / "examples" / "film" / "briefs.jsonl"
    task = FilmTask.model_validate_json(briefs.read_text(encoding="utf-8").splitlines()[0])
    card = scene_cards(task.expected.scene_graph, task.brief)[0]
    free = sketch_type(card).model_json_schema()["properties"]["description"]
    last = sketch_type(card, level=2).model_json_schema()["properties"]["description"]
    assert free["maxLength"] == 160 and "enum" not in free and "const" not in free
    assert (last.get("enum") or [last.get("const")]) == [card.scene.action[:160]]
