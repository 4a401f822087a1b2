"""A killed process loses no completed step: SIGKILL mid-step, then another process
(`seamline resume`) finishes the run, on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import Event
from seamline.store import MemoryStore

WORKER = Path(__file__).with_name("durability_worker.py")


def _wait_for(path: Path, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.mark.slow
def test_sigkill_mid_step_then_resume_in_another_process(
    durable_store: str, tmp_path: Path
) -> None:
    side_effects = tmp_path / "side_effects.log"
    env = {**os.environ, "SIDE_EFFECTS": str(side_effects), "HANG_ONCE": str(tmp_path / "hung")}
    run_id = "durable-run-1"
    child = subprocess.Popen(
        [sys.executable, str(WORKER), "run", durable_store, run_id], env=env, cwd=tmp_path
    )
    try:
        _wait_for(side_effects, "slow started")
        time.sleep(0.2)  # let the completed steps' batches land, as they would in real life
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    # Its process is gone: it is listed as interrupted, not as running forever.
    listed = subprocess.run(
        [sys.executable, "-m", "seamline", "runs", "--json", "--store", durable_store],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert [(r["run_id"], r["status"]) for r in json.loads(listed.stdout)] == [
        (run_id, "interrupted")
    ], listed.stderr

    # A new process resumes every interrupted run through the CLI, with the pipeline the
    # person has configured for the run's pipeline name (never the code the store names).
    (tmp_path / "seamline.toml").write_text(f'[pipelines]\ndurable = "{WORKER}:pipe"\n')
    resumed = subprocess.run(
        [sys.executable, "-m", "seamline", "resume", "--interrupted", "--store", durable_store],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {run_id} resumed: succeeded" in resumed.stdout

    lines = side_effects.read_text().splitlines()
    assert lines == [
        f"first done {run_id}/first/1",
        f"second done {run_id}/second/1",
        f"slow started {run_id}/slow/1",  # killed here
        f"slow started {run_id}/slow/1",  # in flight: run again with the same key
        f"slow done {run_id}/slow/1",
        f"last done {run_id}/last/1",
    ]

    import asyncio

    async def final() -> sl.RunStatus:
        store = await sl.open_store(durable_store)
        try:
            (summary,) = [r for r in await store.runs() if r.run_id == run_id]
            return summary.status
        finally:
            await store.close()

    assert asyncio.run(final()) is sl.RunStatus.SUCCEEDED


class BatchRecorder(MemoryStore):
    """The in-memory store, noting the event kinds of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        self.batches.append([type(e).__name__ for e in events])
        await super().append(run_id, events)


class Note(BaseModel):
    text: str


def _note_step(name: str, reads: str) -> Any:
    async def step(**upstream: Note) -> Note:
        return Note(text=name)

    step.__name__ = name
    step.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(reads, inspect.Parameter.KEYWORD_ONLY, annotation=Note)]
    )
    step.__annotations__ = {reads: Note, "return": Note}
    return step


async def test_each_step_is_written_before_the_next_starts_the_last_with_the_runs_end() -> None:
    pipe = sl.Pipeline("chain", inputs={"doc": Note})
    for name, reads in (("a", "doc"), ("b", "a"), ("c", "b")):
        pipe.step(_note_step(name, reads))
    store = BatchRecorder()
    await pipe.run({"doc": Note(text="x")}, store=store)
    attempt = ["StepStarted", "StepFinished"]
    # The run is in the store before its first step starts, so a kill never loses it.
    assert store.batches == [["RunStarted"], attempt, attempt, [*attempt, "RunFinished"]]


async def test_with_branches_every_step_is_written_when_it_completes() -> None:
    # When one branch ends, another may still be running: nothing waits for the end.
    pipe = sl.Pipeline("fan-out", inputs={"doc": Note})
    for name in ("left", "right"):
        pipe.step(_note_step(name, "doc"))
    store = BatchRecorder()
    await pipe.run({"doc": Note(text="x")}, store=store)
    attempt = ["StepStarted", "StepFinished"]
    assert store.batches == [["RunStarted"], attempt, attempt, ["RunFinished"]]
