"""The film and content datasets are consistent with their own models, rules and checks
(the claims example has its own: test_claims_data.py).

For each example: the data parses into the artifact types; the expected
artifacts pass every gate check (the checks do not reject the truth); and a
corrupted artifact fails them (the checks catch what a weak model gets wrong).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from examples.content import checks as content_checks
from examples.content import make_data as content_make_data
from examples.content import prompts as content_prompts
from examples.content import rules as content_rules
from examples.content.models import (
    ContentTask,
    Draft,
    Paragraph,
    ResearchSummary,
    SourceNote,
    SourceNotes,
)
from examples.film import checks as film_checks
from examples.film import make_data as film_make_data
from examples.film import prompts as film_prompts
from examples.film.continuity import review, scene_cards
from examples.film.editing import assemble
from examples.film.models import FilmBrief, FilmTask, Frame

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def call(fn: Any, **artifacts: Any) -> Any:
    """Call a check the way a gate does: with the artifacts its parameters name."""
    names = inspect.signature(fn).parameters
    return fn(**{name: artifacts[name] for name in names})


# ============================================================================ film


FILM_TASKS = [
    FilmTask.model_validate_json(line)
    for line in (EXAMPLES / "film" / "briefs.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_film_briefs_parse_and_are_reproducible(tmp_path: Path) -> None:
    assert 3 <= len(FILM_TASKS) <= 5
    film_make_data.main(tmp_path)
    assert (tmp_path / "briefs.jsonl").read_bytes() == (
        EXAMPLES / "film" / "briefs.jsonl"
    ).read_bytes()


@pytest.mark.parametrize("task", FILM_TASKS, ids=lambda t: t.id)
def test_reference_scene_graph_is_grounded_in_the_brief(task: FilmTask) -> None:
    for check in film_checks.SCENE_GRAPH_CHECKS:
        verdict = call(check, scene_graph=task.expected.scene_graph, brief=task.brief)
        assert verdict is True, f"{check.__name__}: {verdict}"


@pytest.mark.parametrize("task", FILM_TASKS, ids=lambda t: t.id)
def test_reference_storyboard_passes_the_critic(task: FilmTask) -> None:
    graph, frames, brief = task.expected.scene_graph, task.expected.frames, task.brief
    assert review(frames, graph, brief).issues == []
    for check in film_checks.FRAME_CHECKS:
        assert call(check, frames=frames, scene_graph=graph, brief=brief) is True, check.__name__
    for frame, card in zip(frames, scene_cards(graph, brief), strict=True):
        for check in film_checks.FRAME_ITEM_CHECKS:
            verdict = call(check, frames=frame, scenes=card, scene_graph=graph, brief=brief)
            assert verdict is True, f"{check.__name__}: {verdict}"
    cut_list = assemble(frames, brief)
    assert film_checks.cut_list_fits_brief(cut_list, brief) is True
    assert cut_list.total_duration_sec == sum(f.duration_sec for f in frames)


def _codes(frames: list[Frame], task: FilmTask) -> set[str]:
    return {i.code for i in review(frames, task.expected.scene_graph, task.brief).issues}


@pytest.mark.parametrize("task", FILM_TASKS, ids=lambda t: t.id)
def test_critic_catches_continuity_errors(task: FilmTask) -> None:
    graph = task.expected.scene_graph

    def frames() -> list[Frame]:
        return [f.model_copy(deep=True) for f in task.expected.frames]

    wrong_eyes = frames()
    wrong_eyes[-1].characters[0].eye_color = "violet"
    assert _codes(wrong_eyes, task) == {"eye_color_mismatch"}
    reason = film_checks.characters_match_sheet(wrong_eyes, graph, task.brief)
    assert "eye_color_mismatch" in reason and "violet" in reason
    card = scene_cards(graph, task.brief)[-1]
    assert film_checks.frame_characters_match_sheet(wrong_eyes[-1], card, graph) is not True

    wrong_coat = frames()
    wrong_coat[0].characters[0].wardrobe = "purple tuxedo"
    assert _codes(wrong_coat, task) == {"wardrobe_mismatch"}

    stranger = frames()
    stranger[0].characters.append(stranger[0].characters[0].model_copy(update={"name": "Zed"}))
    assert "unknown_character" in _codes(stranger, task)

    nobody = frames()
    nobody[0].characters = []
    assert "missing_character" in _codes(nobody, task)

    elsewhere = frames()
    elsewhere[0].setting = "the moon"
    assert _codes(elsewhere, task) == {"unknown_setting"}

    no_prop = frames()
    prop = graph.props[0]
    index = max(prop.from_scene, next(s.index for s in graph.scenes if prop.holder in s.characters))
    frame = next(f for f in no_prop if f.scene_index == index)
    holder = next(c for c in frame.characters if c.name == prop.holder)
    holder.props = []
    frame.description = "A quiet moment."
    assert _codes(no_prop, task) == {"prop_missing"}

    too_long = frames()
    too_long[0].duration_sec = 60
    assert _codes(too_long, task) == {"duration_out_of_range", "total_duration_exceeded"}

    missing = frames()[1:]
    assert _codes(missing, task) == {"missing_frame"}

    wrong_light = frames()
    time_of_day = next(s for s in graph.settings if s.name == wrong_light[0].setting).time_of_day
    wrong_light[0].lighting = "night" if time_of_day != "night" else "daylight"
    assert _codes(wrong_light, task) == {"lighting_mismatch"}


@pytest.mark.parametrize("task", FILM_TASKS, ids=lambda t: t.id)
def test_scene_graph_grounding_catches_invented_details(task: FilmTask) -> None:
    graph = task.expected.scene_graph
    invented = graph.model_copy(deep=True)
    invented.characters[0].eye_color = "violet"
    assert "violet" in film_checks.characters_in_brief(invented, task.brief)
    short = graph.model_copy(update={"scenes": graph.scenes[:-1]})
    assert film_checks.scene_count_matches_brief(short, task.brief) is not True
    lost = graph.model_copy(deep=True)
    lost.scenes[0].setting = "nowhere"
    assert "unknown setting" in film_checks.scenes_use_known_names(lost)


FILM_DEV = [
    json.loads(line)
    for line in (EXAMPLES / "film" / "dev_briefs.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_film_examples_do_not_leak_into_the_briefs() -> None:
    """The few-shot words the leak check looks for are in no brief, generated or hand-written."""
    corpus = "\n".join(
        [*(t.brief.text for t in FILM_TASKS), *(t["brief"]["text"] for t in FILM_DEV)]
    )
    words = set(re.findall(r"[a-z]+", corpus.lower()))
    assert not film_prompts.EXAMPLE_WORDS & words
    for prompt, _ in (*film_prompts.LOOK_EXAMPLES, *film_prompts.STAGING_EXAMPLES):
        assert {"odile", "bram"} <= set(re.findall(r"[a-z]+", prompt.lower()))


def test_film_dev_set_is_written_as_directors_write() -> None:
    """At least 12 briefs; nicknames, revisited settings, props that persist, looks once."""
    assert len(FILM_DEV) >= 12
    assert len({t["id"] for t in FILM_DEV}) == len(FILM_DEV)
    revisited = props = 0
    for task in FILM_DEV:
        brief = FilmBrief.model_validate(task["brief"])
        graph = task["expected"]["scene_graph"]
        assert len(graph["scenes"]) == brief.scene_count, task["id"]
        assert task["expected"]["continuity"] == {"passed": True}
        settings = [s["setting"] for s in graph["scenes"]]
        revisited += len(settings) > len(set(settings))
        props += bool(graph["props"])
        for c in graph["characters"]:  # each look is written once, not restated per scene
            assert brief.text.lower().count(c["eye_color"].lower()) >= 1, (task["id"], c)
    assert revisited >= 8 and props >= 10
    nicknames = sum('"' in t["brief"]["text"] or " to " in t["brief"]["text"] for t in FILM_DEV)
    assert nicknames >= 4


def test_film_dev_briefs_use_several_ways_of_marking_scenes() -> None:
    texts = [t["brief"]["text"] for t in FILM_DEV]
    assert sum("\nINT." in x or x.startswith("INT.") or "\nEXT." in x for x in texts) >= 2
    assert sum("CUT TO" in x for x in texts) >= 1
    assert sum("Scene one" in x for x in texts) >= 1
    assert sum("\n\n" in x for x in texts) >= 2
    assert sum(bool(re.search(r"^1\. ", x, re.M)) for x in texts) >= 3


# ============================================================================ content


CONTENT_TASKS = [
    ContentTask.model_validate_json(line)
    for line in (EXAMPLES / "content" / "briefs.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_content_briefs_parse_and_are_reproducible(tmp_path: Path) -> None:
    assert 3 <= len(CONTENT_TASKS) <= 5
    content_make_data.main(tmp_path)
    expected = (EXAMPLES / "content" / "briefs.jsonl").read_bytes()
    assert (tmp_path / "briefs.jsonl").read_bytes() == expected


def test_style_guide_parses() -> None:
    guide = content_rules.style_guide()
    assert "revolutionary" in guide.banned_words
    assert guide.max_sentence_words == 30
    assert guide.disclosure == content_make_data.DISCLOSURE


@pytest.mark.parametrize("task", CONTENT_TASKS, ids=lambda t: t.id)
def test_reference_research_and_draft_pass_every_check(task: ContentTask) -> None:
    artifacts = {
        "brief": task.brief,
        "notes": task.notes,
        "research": task.expected.research,
        "draft": task.expected.draft,
        "style": content_rules.style_guide(),
    }
    for check in (*content_checks.RESEARCH_CHECKS, *content_checks.DRAFT_CHECKS):
        verdict = call(check, **artifacts)
        assert verdict is True, f"{check.__name__}: {verdict}"
    report = content_rules.verify(
        task.expected.draft, task.expected.research, task.notes, task.brief
    )
    assert report.passed, report.issues
    assert content_checks.verification_passed(report) is True
    publication = content_rules.publish(task.expected.draft, task.expected.research, task.notes)
    assert publication.markdown.startswith(f"# {task.expected.draft.title}")
    assert publication.sources


def _with_paragraph(draft: Draft, index: int, text: str) -> Draft:
    paragraphs = [p.model_copy() for p in draft.paragraphs]
    paragraphs[index] = paragraphs[index].model_copy(update={"text": text})
    return draft.model_copy(update={"paragraphs": paragraphs})


@pytest.mark.parametrize("task", CONTENT_TASKS, ids=lambda t: t.id)
def test_research_grounding_catches_invented_facts(task: ContentTask) -> None:
    research, notes = task.expected.research, task.notes
    first = research.claims[0]

    def with_first(**changes: Any) -> ResearchSummary:
        return ResearchSummary(claims=[first.model_copy(update=changes), *research.claims[1:]])

    assert (
        call(
            content_checks.claims_cite_known_notes, research=with_first(source_id="n9"), notes=notes
        )
        is not True
    )
    paraphrased = with_first(quote=first.quote.replace(" ", "  ").upper() + " indeed")
    assert call(content_checks.quotes_are_verbatim, research=paraphrased, notes=notes) is not True
    # Case and spacing are not paraphrase.
    respaced = with_first(quote=first.quote.replace(" ", "  ").upper())
    assert call(content_checks.quotes_are_verbatim, research=respaced, notes=notes) is True
    inflated = with_first(statement=first.statement + " Up 97 percent.")
    reason = call(content_checks.statement_numbers_in_quote, research=inflated, notes=notes)
    assert "97" in reason


@pytest.mark.parametrize("task", CONTENT_TASKS, ids=lambda t: t.id)
def test_draft_checks_catch_ungrounded_and_off_brand_text(task: ContentTask) -> None:
    draft, research, brief = task.expected.draft, task.expected.research, task.brief
    style = content_rules.style_guide()
    first = draft.paragraphs[0].text

    invented = _with_paragraph(draft, 0, first + " Costs fell 37 percent.")
    assert "37" in content_checks.numbers_grounded(invented, research, style)
    hype = _with_paragraph(draft, 0, "A revolutionary result. " + first)
    assert "revolutionary" in content_checks.no_banned_words(hype, brief, style)
    rambling = _with_paragraph(draft, 0, " ".join(["word"] * 31) + ".")
    assert content_checks.sentences_short_enough(rambling, brief, style) is not True
    undisclosed = draft.model_copy(update={"paragraphs": draft.paragraphs[:-1]})
    assert content_checks.has_disclosure(undisclosed, brief, style) is not True
    uncited = draft.model_copy(
        update={
            "paragraphs": [
                draft.paragraphs[0].model_copy(update={"claim_ids": []}),
                *draft.paragraphs[1:],
            ]
        }
    )
    assert "uncited_paragraph" in content_checks.paragraphs_cite_claims(uncited, research, style)
    phantom = draft.model_copy(
        update={
            "paragraphs": [
                draft.paragraphs[0].model_copy(update={"claim_ids": ["c99"]}),
                *draft.paragraphs[1:],
            ]
        }
    )
    assert "unknown_claim" in content_checks.paragraphs_cite_claims(phantom, research, style)
    padded = draft.model_copy(
        update={
            "paragraphs": [
                Paragraph(text="More words. " * brief.max_words, claim_ids=["c1"]),
                *draft.paragraphs,
            ]
        }
    )
    assert content_checks.within_word_limit(padded, brief, style) is not True


def test_numbers_ignore_thousands_separators() -> None:
    assert content_rules.numbers("2,700 staff, 1.4 percent, 61, in 2023.") == {
        "2700",
        "1.4",
        "61",
        "2023",
    }


CONTENT_DEV = [
    json.loads(line)
    for line in (EXAMPLES / "content" / "dev_briefs.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_content_examples_do_not_leak_into_the_notes() -> None:
    examples = " ".join(
        a for _, a in (*content_prompts.SELECT_EXAMPLES, *content_prompts.PARAGRAPH_EXAMPLES)
    )
    examples += " ".join(p for p, _ in content_prompts.SELECT_EXAMPLES)
    example_numbers = content_rules.numbers(examples) - {"0", "1", "2", "3"}
    all_notes = [t.notes.notes for t in CONTENT_TASKS] + [
        [SourceNote.model_validate(n) for n in t["notes"]["notes"]] for t in CONTENT_DEV
    ]
    for notes in all_notes:
        text = " ".join(n.text for n in notes)
        assert not example_numbers & content_rules.numbers(text)
        assert not content_prompts.EXAMPLE_WORDS & set(re.findall(r"[a-z]+", text.lower()))


def test_content_dev_set_has_outdated_conflicting_and_irrelevant_notes() -> None:
    assert len(CONTENT_DEV) >= 10
    audiences = {t["brief"]["audience"] for t in CONTENT_DEV}
    limits = {t["brief"]["max_words"] for t in CONTENT_DEV}
    assert len(audiences) >= 8 and len(limits) >= 5
    for task in CONTENT_DEV:
        notes = SourceNotes.model_validate(task["notes"])
        expected = task["expected"]["publication"]
        assert expected["figures"]["exclude"], task["id"]  # an outdated or misleading figure
        assert expected["sources"]["exclude"], task["id"]  # an irrelevant note
        titles = {n.title for n in notes.notes}
        assert set(expected["sources"]["exclude"]) <= titles
        figures = set().union(*(content_rules.numbers(n.text) for n in notes.notes))
        for figure in expected["figures"]["include"] + expected["figures"]["exclude"]:
            assert content_rules.numbers(figure) <= figures, (task["id"], figure)
