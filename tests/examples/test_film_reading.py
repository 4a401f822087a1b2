"""The film brief reader, on small briefs written for these tests."""

from __future__ import annotations

import pytest
from examples.film.reading import read_brief, split_beats


def test_numbered_beats_inline_or_on_their_own_lines() -> None:
    inline = "Intro. Scenes: 1. A walks. 2. B runs. 3. C sits.\nContinuity: none."
    preamble, beats = split_beats(inline, 3) or (None, [])
    assert preamble is not None and preamble.text == "Intro. Scenes:"
    assert [b.text for b in beats] == ["1. A walks.", "2. B runs.", "3. C sits."]
    lines = "Intro.\n1. A walks.\n2. B runs."
    assert [b.text for b in (split_beats(lines, 2) or (None, []))[1]] == [
        "1. A walks.",
        "2. B runs.",
    ]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("INT. KITCHEN - DAY\nA cooks.\nEXT. YARD - NIGHT\nB digs.", 2),
        ("In the kitchen A cooks. CUT TO the yard, where B digs.", 2),
        ("Scene one: the kitchen. A cooks.\nScene two: the yard. B digs.", 2),
        ("Opening words.\n\nA cooks in the kitchen.\n\nB digs in the yard.", 2),
        ("Opening. First, A cooks in the kitchen. Then B digs in the yard.", 2),
    ],
)
def test_scenes_split_by_the_conventions_directors_use(text: str, count: int) -> None:
    split = split_beats(text, count)
    assert split is not None and len(split[1]) == count


def test_a_brief_that_cannot_be_split_says_how_to_fix_it() -> None:
    reading = read_brief("A long paragraph with no scene marks at all.", 3)
    assert "number them" in reading.problems[0]


BRIEF = (
    'At dusk on the quay, JONAS "JO" BRANDT (grey eyes, a red beard, an oilskin coat) mends '
    "nets. His sister Ilse, who has green eyes and a blonde bob and wears a blue jumper, "
    "brings supper.\n"
    "1. On the quay Ilse gives Jo a tin lantern.\n"
    "2. Jo rows out past the lighthouse while Ilse waves.\n"
    "3. Back on the quay at night, Jo holds the tin lantern up for Ilse."
)


def test_nicknames_looks_and_whose_they_are() -> None:
    reading = read_brief(BRIEF, 3)
    people = {p.name: p for p in reading.people}
    assert set(people) == {"Jonas Brandt", "Ilse"}
    assert "Jo" in people["Jonas Brandt"].aliases
    assert people["Jonas Brandt"].looks == {
        "eye_color": ["grey"],
        "hair": ["red beard"],
        "wardrobe": ["oilskin coat"],
    }
    assert people["Ilse"].looks["eye_color"] == ["green"]
    assert people["Ilse"].looks["wardrobe"] == ["blue jumper"]


def test_scenes_places_times_casts_and_props() -> None:
    reading = read_brief(BRIEF, 3)
    first, second, third = reading.beats
    assert first.places[0] == "quay" and first.time_of_day == "dusk"
    assert set(first.cast) == {"Jonas Brandt", "Ilse"}
    assert [(p.prop, p.holder) for p in first.new_props] == [("tin lantern", "Jonas Brandt")]
    assert second.time_of_day == "dusk"  # carried over from the scene before
    assert third.places[0] == "quay" and third.time_of_day == "night"
    assert not second.new_props and not third.new_props


def test_a_scene_without_a_place_goes_on_where_the_last_one_was() -> None:
    text = (
        "1. In the attic Mara (brown eyes, short hair, a grey coat) finds a map.\n2. Mara reads it."
    )
    reading = read_brief(text, 2)
    assert reading.beats[1].places == ["attic"]


def test_a_continuity_note_names_the_holder_and_the_first_scene() -> None:
    text = (
        "NELL (blue eyes, black curls, a yellow mac) and OTTO (brown eyes, white hair, a tweed "
        "suit).\nScenes: 1. In the shed Otto finds a brass compass. 2. In the garden Otto "
        "gives Nell the compass. 3. In the lane Nell walks with the compass.\n"
        "Continuity: from scene 2 on, Nell carries the brass compass."
    )
    reading = read_brief(text, 3)
    assert [(p.prop, p.holder, p.from_scene) for p in reading.props] == [
        ("brass compass", "Nell", 2)
    ]


def test_someone_acting_on_an_object_does_not_make_the_buyer_its_holder() -> None:
    text = (
        "KIT (grey eyes, red hair, a green coat) and Ada (blue eyes, a grey bun, a black "
        "dress).\n1. At the stall Kit buys tea while Ada shields the paper lantern.\n"
        "2. On the bridge Ada lifts the paper lantern."
    )
    reading = read_brief(text, 2)
    assert [(p.prop, p.holder) for p in reading.props] == [("paper lantern", "Ada")]


def test_a_scene_that_refers_to_someone_it_does_not_name_goes_to_a_person() -> None:
    text = (
        "MARA (green eyes, black hair, a yellow coat) and TOMAS (grey eyes, white hair, a navy "
        "coat).\n1. On the pier Mara waits for Tomas.\n2. On the deck Tomas joins her at last."
    )
    reading = read_brief(text, 2)
    assert any("refers to someone it does not name ('her')" in p for p in reading.problems)
    possessive = text.replace("Tomas joins her at last", "Tomas shows her ticket")
    assert not [p for p in read_brief(possessive, 2).problems if "refers to" in p]


CAST = "Vale (grey eyes, a black bob, a green coat) and Mo (brown eyes, red hair, a blue apron).\n"


@pytest.mark.parametrize(
    "scenes",
    [
        "Open on the pier, Vale fishing. Smash to the bakery, Mo kneading. We end back on the "
        "pier, Vale alone.",
        "Vale fishes on the pier. Then Mo kneads in the bakery. Hours later Vale is alone on "
        "the pier.",
        "Shot 1 - the pier. Vale fishes.\nShot 2 - the bakery. Mo kneads.\nShot 3 - the pier. "
        "Vale alone.",
        "so first it's the pier, Vale fishing. then it's the bakery and Mo kneads. and then "
        "back on the pier, Vale alone.",
        "At dawn Vale fishes on the pier. By noon Mo kneads in the bakery. That evening Vale "
        "sits alone on the pier.",
    ],
)
def test_scenes_marked_in_running_prose_are_told_apart(scenes: str) -> None:
    reading = read_brief(CAST + scenes, 3)
    assert not [p for p in reading.problems if "scenes apart" in p]
    assert [b.places[:1] for b in reading.beats] == [["pier"], ["bakery"], ["pier"]]
    assert [b.cast for b in reading.beats] == [["Vale"], ["Mo"], ["Vale"]]


def test_a_setting_no_word_list_knows_is_taken_in_the_briefs_own_words() -> None:
    text = CAST + (
        "Open on Vale inside Nan's caravan at dawn. Smash to the delivery van parked in the "
        "lane, where Mo sleeps. Evening, the canal towpath: Vale walks alone."
    )
    reading = read_brief(text, 3)
    assert [b.places[:1] for b in reading.beats] == [
        ["nan's caravan"],
        ["delivery van"],
        ["canal towpath"],
    ]
    assert not [p for p in reading.problems if "place" in p]


def test_a_scene_that_goes_on_in_the_same_place_keeps_it() -> None:
    text = CAST + "1. In the kitchen Vale cooks.\n2. Then Vale sits on the step.\n"
    reading = read_brief(text, 2)
    assert [b.places for b in reading.beats] == [["kitchen"], ["kitchen"]]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("at four in the morning, still pitch dark", "night"),
        ("mid-morning", "day"),
        ("at 6pm", "dusk"),
        ("just after eleven at night", "night"),
        ("the next morning at first light", "dawn"),
        ("long after dark", "night"),
    ],
)
def test_times_of_day_in_any_phrasing(when: str, expected: str) -> None:
    reading = read_brief(CAST + f"1. In the kitchen, {when}, Vale cooks.\n2. Mo eats.", 2)
    assert reading.beats[0].time_of_day == expected


def test_a_pronoun_for_the_only_person_in_the_scene_is_resolved() -> None:
    text = CAST + (
        "1. In the kitchen Mo cooks.\n"
        "2. On the pier everyone has gone except Vale; the dog lies beside her.\n"
        "3. On the rocks Vale is alone and the waves nearly take her."
    )
    assert not [p for p in read_brief(text, 3).problems if "refers to" in p]
    someone_else = text.replace("the waves nearly take her", "she waves to him")
    assert any("refers to someone" in p for p in read_brief(someone_else, 3).problems)


def test_looks_given_in_a_casting_note_after_the_scenes() -> None:
    text = (
        "1. In the kitchen Vale cooks while Mo eats.\n2. On the pier Vale waits.\n\n"
        "Casting: Vale has grey eyes, a black bob and a green coat. Mo, brown eyes, red hair, "
        "a blue apron."
    )
    reading = read_brief(text, 2)
    assert {p.name: p.looks["eye_color"] for p in reading.people} == {
        "Vale": ["grey"],
        "Mo": ["brown"],
    }
    assert [b.cast for b in reading.beats] == [["Vale", "Mo"], ["Vale"]]


def test_a_name_after_on_or_in_is_a_place_and_a_possessive_is_a_person() -> None:
    text = (
        "Agnes Moor keeps the lighthouse on Skerry Point: grey eyes, white hair, an oilskin "
        "coat. Pip has blue eyes, sandy curls and a wool jumper.\n"
        "1. In the lamp room Agnes trims the wick.\n2. In Agnes's kitchen Pip eats."
    )
    reading = read_brief(text, 2)
    assert sorted(p.name for p in reading.people) == ["Agnes Moor", "Pip"]
    assert reading.beats[1].cast == ["Agnes Moor", "Pip"]
