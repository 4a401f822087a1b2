"""What cannot run on Temporal is refused when `pipe.run` is called, before anything is
sent anywhere, with the reason; a Temporal run is never resumed by a local process."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from tests.engines.temporal.pipelines import Doc, many

import seamline as sl
from seamline.events import RunStarted
from seamline.exceptions import IncompatibleRun, PipelineError
from seamline.store import open_store
from seamline.testing import ScriptedModel

ENGINE = "temporal://127.0.0.1:1?task_queue=nowhere"  # never reached: refused first
INPUTS = {"doc": Doc(words=["a"])}


def test_a_run_needs_a_store_the_workers_share(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="needs store="):
        many.run(INPUTS, engine=ENGINE)
    with pytest.raises(PipelineError, match="a memory:// store lives in one process"):
        many.run(INPUTS, engine=ENGINE, store="memory://x")


def test_deps_cannot_travel_to_the_workers(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="deps= cannot travel to the workers"):
        many.run(INPUTS, engine=ENGINE, store=f"sqlite:///{tmp_path}/r.db", deps=object())


def test_a_model_object_must_be_one_a_worker_can_find(tmp_path: Path) -> None:
    class Out(BaseModel):
        x: int

    stray = ScriptedModel([Out(x=1)], name="stray")
    with pytest.raises(PipelineError, match="'stray' is not registered on the pipeline"):
        many.run(INPUTS, engine=ENGINE, store=f"sqlite:///{tmp_path}/r.db", model=stray)


def test_a_bad_engine_url_is_named_at_once(tmp_path: Path) -> None:
    with pytest.raises(sl.ConfigError, match="is not a temporal:// URL"):
        many.run(INPUTS, engine="temporal-ish://x", store=f"sqlite:///{tmp_path}/r.db")


async def test_a_temporal_run_is_not_resumed_here(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    store = await open_store(url)
    try:
        plan = many.validate()
        options = many._options(plan, "on", None, many.budget)
        started = RunStarted(
            seq=0,
            pipeline="many",
            inputs={"doc": {"words": ["a"]}},
            options={**options, "engine": "temporal://127.0.0.1:7233?namespace=default"},
        )
        await store.append("r1", [started])
        with pytest.raises(IncompatibleRun, match="whose workflow drives it"):
            await many.resume("r1", store=store)
    finally:
        await store.close()
