"""Approvals teach the claims extraction: opt-in few-shot examples from approved claims."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from examples.claims.datasets import load_set
from examples.claims.learned import LearnFromApprovals, as_pair
from examples.claims.learning import halves, measure
from examples.claims.models import ClaimTask
from examples.claims.pipeline import pipe
from examples.claims.prompts import EXAMPLE_PAIRS

import seamline as sl
from seamline.events import ContextRead
from seamline.models.base import ModelRequest
from seamline.testing import ScriptedModel

DEV = load_set("dev")


def answer(task: ClaimTask) -> dict[str, Any]:
    reading = task.expected.claim.model_dump(mode="json", exclude={"currency"})
    return {**reading, "description": "what happened"}


def oracle(requests: list[ModelRequest]) -> ScriptedModel:
    def read(request: ModelRequest) -> dict[str, Any]:
        requests.append(request)
        # The document under extraction is the prompt's; an example's is in `examples`.
        return answer(next(t for t in DEV if t.doc.text in request.prompt))

    return ScriptedModel(read, name="oracle")


async def test_by_default_the_static_examples_and_no_read(tmp_path: Path) -> None:
    requests: list[ModelRequest] = []
    result = await pipe.run(
        {"doc": DEV[0].doc}, model=oracle(requests), store=f"sqlite:///{tmp_path}/runs.db"
    )
    assert [r.examples for r in requests] == [tuple(EXAMPLE_PAIRS)]
    assert not [e for e in result.events if isinstance(e, ContextRead)]


async def test_approved_decisions_teach_the_extraction_of_the_next_runs(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/runs.db"
    requests: list[ModelRequest] = []
    model = oracle(requests)
    args = argparse.Namespace(
        set="dev", limit=6, k=2, model=model, concurrency=1, store=store, json=False
    )
    result = await measure(args)
    teach, test = halves(DEV[:6])
    # Every decision of the first half was right and approved: three readings written.
    assert result["examples_written"] == {
        "written": 3,
        "right": 3,
        "from_approved_decisions": 3,
        "from_edited_escalations": 0,
    }
    static, learned = result["arms"]["static"], result["arms"]["examples"]
    assert (static["first_pass"], learned["first_pass"]) == (3, 3)
    assert (static["examples_read_per_task"], learned["examples_read_per_task"]) == (0, 2)
    assert result["reviewer"]["kind"] == "simulated"
    # The examples arm's prompts show two approved first-half documents, never its own.
    shown = [r for r in requests if any(t.doc.text in r.prompt for t in test)][-3:]
    for request in shown:
        texts = [user for user, _ in request.examples]
        assert len(texts) == 2
        assert all(any(t.doc.text in text for t in teach) for text in texts)
    assert pipe.learn_from_approvals  # put back


async def test_an_example_that_no_longer_validates_is_skipped() -> None:
    bad = sl.Example(
        step="claim",
        inputs={"doc": {"text": "x"}},
        artifact={"claimant": "A B"},
        decision="approve",
        run_id="r",
        approval_id="r.1",
    )
    assert as_pair(bad) is None
    good = bad.model_copy(
        update={"artifact": answer(DEV[0]), "inputs": {"doc": DEV[0].doc.model_dump()}}
    )
    pair = as_pair(good)
    assert pair is not None and DEV[0].doc.text in pair[0]
    assert LearnFromApprovals().examples == 2
