"""The example pipelines, wired to the engine and run on a scripted model.

A scripted "oracle" answers each model call with the dataset's expected artifact,
so a run must reach its human approval with the expected decision; a first answer
with a typical small-model error must be caught by the gate, and the retry's prompt
must carry the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from examples.claims.models import Claim, ClaimTask
from examples.claims.pipeline import pipe as claims_pipe
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


CLAIMS = [ClaimTask.model_validate_json(line) for line in _lines(EXAMPLES / "claims/claims.jsonl")]
FILMS = [FilmTask.model_validate_json(line) for line in _lines(EXAMPLES / "film/briefs.jsonl")]
CONTENT = [
    ContentTask.model_validate_json(line) for line in _lines(EXAMPLES / "content/briefs.jsonl")
]


def test_example_pipelines_validate() -> None:
    assert claims_pipe.validate().order == ("claim", "policy_check", "assessment", "decision")
    assert film_pipe.validate().order == (
        "scene_graph",
        "scenes",
        "frames",
        "continuity",
        "assembly",
    )
    assert content_pipe.validate().order == ("research", "draft", "verification", "publication")


@pytest.mark.parametrize(
    "task",
    [
        next(t for t in CLAIMS if t.expected.decision.outcome == o)
        for o in ("approve", "deny", "refer")
    ],
    ids=lambda t: t.id,
)
async def test_claims_pipeline_reaches_approval_with_the_expected_decision(task: ClaimTask) -> None:
    model = ScriptedModel({Claim: [task.expected.claim]})
    result = await claims_pipe.run({"doc": task.doc}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert result.artifacts["decision"] == task.expected.decision
    assert [a.step for a in result.pending_approvals] == ["decision"]


async def test_claims_gate_catches_a_misread_amount_and_feeds_the_reason_back() -> None:
    task = CLAIMS[0]
    truth = task.expected.claim
    misread = truth.model_copy(update={"amount": round(truth.amount / 1000, 2)})
    # The retry asks for a GroundedClaim: each grounded field narrowed to the document's values.
    model = ScriptedModel({Claim: [misread], "GroundedClaim": [truth.model_dump(mode="json")]})
    result = await claims_pipe.run({"doc": task.doc}, model=model)
    assert result.status is sl.RunStatus.WAITING
    assert result.artifacts["claim"] == truth
    retry = model.requests[1]
    assert f"amount {misread.amount:,.2f} not found in the document" in retry.prompt
    assert f"{truth.amount:,.2f}" in retry.prompt  # the reason names what the document says
    # ...and the schema only lets the model choose an amount the document writes.
    choices = retry.output_schema["properties"]["amount"]
    assert truth.amount in choices.get("enum", [choices.get("const")])
    assert misread.amount not in choices.get("enum", [choices.get("const")])


async def test_claims_gate_escalates_a_claim_reference_copied_as_the_policy_id() -> None:
    task = next(t for t in CLAIMS if "CLM-" in t.doc.text)
    reference = next(w.strip(".,)") for w in task.doc.text.split() if w.startswith("CLM-"))
    wrong = task.expected.claim.model_copy(update={"policy_id": reference})
    grounded = wrong.model_dump(mode="json")  # the reference is in the document: a valid choice
    model = ScriptedModel({Claim: [wrong], "GroundedClaim": [grounded, grounded]})
    result = await claims_pipe.run({"doc": task.doc}, model=model)
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    assert len(model.requests) == 3  # the first attempt and two retries, then a person


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
