"""The film and content pipelines, wired to the engine and run on a scripted model (the
claims pipeline has its own: test_claims_pipeline.py).

A scripted "oracle" answers each model call with the dataset's expected artifact,
so a run must reach its human approval with the expected decision; a first answer
with a typical small-model error must be caught by the gate, and the retry's prompt
must carry the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from examples.content.models import ContentTask, Draft, ResearchSummary
from examples.content.pipeline import pipe as content_pipe
from examples.film.models import FilmTask, Frame, SceneGraph
from examples.film.pipeline import pipe as film_pipe

import seamline as sl
from seamline.models.base import ModelRequest
from seamline.testing import ScriptedModel

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


FILMS = [FilmTask.model_validate_json(line) for line in _lines(EXAMPLES / "film/briefs.jsonl")]
CONTENT = [
    ContentTask.model_validate_json(line) for line in _lines(EXAMPLES / "content/briefs.jsonl")
]


def test_example_pipelines_validate() -> None:
    assert film_pipe.validate().order == (
        "scene_graph",
        "scenes",
        "frames",
        "continuity",
        "assembly",
    )
    assert content_pipe.validate().order == ("research", "draft", "verification", "publication")


@pytest.mark.parametrize("task", FILMS[:2], ids=lambda t: t.id)
async def test_film_pipeline_reaches_director_approval(task: FilmTask) -> None:
    by_scene = {f.scene_index: f for f in task.expected.frames}

    def frame(request: ModelRequest) -> Frame:
        index = int(request.prompt.split(":", 1)[0].removeprefix("Scene "))
        return by_scene[index]

    model = ScriptedModel({SceneGraph: [task.expected.scene_graph], Frame: frame})
    result = await film_pipe.run({"brief": task.brief}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert result.artifacts["continuity"].passed
    cut_list = result.artifacts["assembly"]
    assert [c.scene_index for c in cut_list.cuts] == sorted(by_scene)
    assert cut_list.total_duration_sec == sum(f.duration_sec for f in task.expected.frames)


async def test_film_gate_retries_one_frame_with_an_eye_color_mismatch() -> None:
    task = FILMS[0]
    by_scene = {f.scene_index: f for f in task.expected.frames}
    wrong = by_scene[1].model_copy(deep=True)
    wrong.characters[0].eye_color = "violet"
    calls: dict[int, int] = {}

    def frame(request: ModelRequest) -> Frame:
        index = int(request.prompt.split(":", 1)[0].removeprefix("Scene "))
        calls[index] = calls.get(index, 0) + 1
        return wrong if index == 1 and calls[index] == 1 else by_scene[index]

    model = ScriptedModel({SceneGraph: [task.expected.scene_graph], Frame: frame})
    result = await film_pipe.run({"brief": task.brief}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert calls == {i: (2 if i == 1 else 1) for i in by_scene}
    retried = [r.prompt for r in model.requests if r.prompt.startswith("Scene 1:")][1]
    assert "eye_color_mismatch" in retried


@pytest.mark.parametrize("task", CONTENT[:2], ids=lambda t: t.id)
async def test_content_pipeline_reaches_publish_approval(task: ContentTask) -> None:
    model = ScriptedModel({ResearchSummary: [task.expected.research], Draft: [task.expected.draft]})
    result = await content_pipe.run({"brief": task.brief, "notes": task.notes}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert result.artifacts["verification"].passed
    assert result.artifacts["publication"].title == task.expected.draft.title


async def test_content_gate_catches_an_invented_number() -> None:
    task = CONTENT[0]
    draft = task.expected.draft
    first = draft.paragraphs[0]
    invented = draft.model_copy(
        update={
            "paragraphs": [
                first.model_copy(update={"text": first.text + " Bills fell 37 percent."}),
                *draft.paragraphs[1:],
            ]
        }
    )
    model = ScriptedModel({ResearchSummary: [task.expected.research], Draft: [invented, draft]})
    result = await content_pipe.run({"brief": task.brief, "notes": task.notes}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert "37 not in its cited claims" in model.requests[-1].prompt
