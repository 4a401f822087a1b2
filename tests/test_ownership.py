"""One driver per run, across processes: a run killed mid-step and resumed by two processes
at once is continued by exactly one (the other gets `RunBusy`); a run killed at any moment
is listed afterwards (as interrupted) and resumes to the outcome it would have had; a store
error surfaces as itself and leaves the run resumable. Real processes (forked), real
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import Event, StepErrored, StepFinished
from seamline.store import MemoryStore, open_store

fork = multiprocessing.get_context("fork")


class Doc(BaseModel):
    text: str


class Part(BaseModel):
    n: int


class Effects:
    """Side effects of step code, one fsynced line each, so a killed process loses none."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def note(self, line: str) -> None:
        with self.path.open("a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []


def pipeline(effects: Effects, hang: Path | None = None, slow: float = 0.0) -> sl.Pipeline:
    """first -> slow (hangs while `hang` exists; else sleeps `slow`) -> parts (map of 3,
    gated: item 1's first attempt fails) -> last."""
    pipe = sl.Pipeline("owned", inputs={"doc": Doc})

    @pipe.step
    async def first(doc: Doc, ctx: sl.StepContext) -> Doc:
        effects.note(f"start {ctx.idempotency_key}")
        await asyncio.sleep(0.003)
        effects.note(f"end {ctx.idempotency_key}")
        return Doc(text=doc.text + " 1")

    @pipe.step
    async def slow_step(first: Doc, ctx: sl.StepContext) -> list[Part]:
        effects.note(f"start {ctx.idempotency_key}")
        # Polls a file another process removes: no asyncio.Event reaches across processes.
        while hang is not None and hang.exists():  # noqa: ASYNC110, ASYNC240
            await asyncio.sleep(0.01)
        await asyncio.sleep(slow)
        effects.note(f"end {ctx.idempotency_key}")
        return [Part(n=i) for i in range(3)]

    @pipe.step(map="slow_step")
    async def parts(slow_step: Part, ctx: sl.StepContext) -> Part:
        effects.note(f"start {ctx.idempotency_key}")
        await asyncio.sleep(0.002)
        effects.note(f"end {ctx.idempotency_key}")
        return Part(n=slow_step.n * 10 + ctx.attempt)

    @pipe.step
    async def last(parts: list[Part], ctx: sl.StepContext) -> Doc:
        effects.note(f"start {ctx.idempotency_key}")
        await asyncio.sleep(0.002)
        effects.note(f"end {ctx.idempotency_key}")
        return Doc(text=",".join(str(p.n) for p in parts))

    pipe.gate(
        "parts",
        sl.check("item 1 needs a second take", lambda parts: parts.n != 11),
        on_fail=sl.retry(1),
    )
    return pipe


EXPECTED = Doc(text="1,12,21")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _run_in_child(url: str, run_id: str, effects: Effects, hang: Path | None) -> None:
    pipe = pipeline(effects, hang)
    asyncio.run(pipe.run({"doc": Doc(text="doc")}, store=url, run_id=run_id))


def _resume_in_child(
    url: str, run_id: str, effects: Effects, start: Any, results: Any, hang: Path
) -> None:
    pipe = pipeline(effects, hang)

    async def go() -> str:
        try:
            result = await pipe.resume(run_id, store=url)
        except sl.RunBusy as e:
            return f"busy: {e}"
        return str(result.status)

    start.wait()
    results.put(asyncio.run(go()))


def _wait_for(effects: Effects, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in line for line in effects.lines()):
            return
        time.sleep(0.005)
    raise AssertionError(f"{text!r} never appeared")


async def _summary(url: str, run_id: str) -> sl.RunStatus:
    store = await open_store(url)
    try:
        found = await store.run(run_id)
        assert found is not None
        return found.status
    finally:
        await store.close()


async def _artifact(url: str, run_id: str) -> Doc:
    store = await open_store(url)
    try:
        result = await pipeline(Effects(Path(os.devnull))).resume(run_id, store=store)
        return result["last"]  # type: ignore[no-any-return]
    finally:
        await store.close()


@pytest.mark.slow
def test_two_processes_resuming_one_killed_run_one_proceeds_the_other_is_busy(
    store_url: str, tmp_path: Path
) -> None:
    trials = 50
    outcomes: Counter[str] = Counter()
    for trial in range(trials):
        run_id = f"race-{trial}"
        effects = Effects(tmp_path / f"effects-{trial}.log")
        hang = tmp_path / f"hang-{trial}"
        hang.touch()
        child = fork.Process(target=_run_in_child, args=(store_url, run_id, effects, hang))
        child.start()
        _wait_for(effects, f"start {run_id}/slow_step/1")
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        # The owner is dead: the run is listed as interrupted at once, not running forever.
        assert asyncio.run(_summary(store_url, run_id)) is sl.RunStatus.INTERRUPTED

        # Both resume at once; whoever wins holds the in-flight step until the other has
        # answered, so the two surely overlap.
        start, results = fork.Event(), fork.Queue()
        resumers = [
            fork.Process(
                target=_resume_in_child, args=(store_url, run_id, effects, start, results, hang)
            )
            for _ in range(2)
        ]
        for p in resumers:
            p.start()
        start.set()
        got = [results.get(timeout=60)]
        hang.unlink()
        got.append(results.get(timeout=60))
        for p in resumers:
            p.join(timeout=60)
        got.sort()
        assert got[0].startswith("busy: run ") and "is being driven by process" in got[0], got
        assert got[1] == "succeeded", got
        outcomes[got[1]] += 1
        # The in-flight step ran once more, under its own key; nothing completed ran twice.
        runs = Counter(line for line in effects.lines() if line.startswith("start"))
        assert runs[f"start {run_id}/slow_step/1"] == 2
        assert all(n == 1 for line, n in runs.items() if "slow_step" not in line), runs
        assert asyncio.run(_summary(store_url, run_id)) is sl.RunStatus.SUCCEEDED
        assert asyncio.run(_artifact(store_url, run_id)) == EXPECTED
    assert outcomes == {"succeeded": trials}


@pytest.mark.slow
def test_a_run_killed_at_any_moment_is_listed_and_resumes_to_its_outcome(
    store_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20261201)
    # How long an uninterrupted run takes here, to kill within it (and in its first step).
    effects = Effects(tmp_path / "timing.log")
    started = time.perf_counter()
    child = fork.Process(target=_run_in_child, args=(store_url, "timing", effects, None))
    child.start()
    child.join()
    took = time.perf_counter() - started
    assert asyncio.run(_artifact(store_url, "timing")) == EXPECTED

    for trial in range(100):
        run_id = f"kill-{trial}"
        effects = Effects(tmp_path / f"kill-{trial}.log")
        child = fork.Process(target=_run_in_child, args=(store_url, run_id, effects, None))
        child.start()
        if trial % 4 == 0:  # a quarter of the trials: inside the first step
            _wait_for(effects, f"start {run_id}/first/1")
        else:
            time.sleep(rng.uniform(0, took))
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        status = asyncio.run(_status_or_none(store_url, run_id))
        if status is None:
            # Killed before its RunStarted was written: nothing of it ran.
            assert not effects.lines(), f"trial {trial}: steps ran for a run the store lost"
            continue
        assert status in (sl.RunStatus.INTERRUPTED, sl.RunStatus.SUCCEEDED), (trial, status)
        completed = asyncio.run(_completed(store_url, run_id))
        assert asyncio.run(_artifact_with(store_url, run_id, effects)) == EXPECTED
        runs = Counter(line.split()[1] for line in effects.lines() if line.startswith("start"))
        # An attempt the log holds as completed was not run again; one in flight at the
        # kill ran again under its own key (so at most twice).
        assert all(runs[key] == 1 for key in completed), (trial, runs, completed)
        assert all(n <= 2 for n in runs.values()), (trial, runs)


async def _completed(url: str, run_id: str) -> set[str]:
    """The idempotency keys of the attempts the run's log holds as ended."""
    store = await open_store(url)
    try:
        keys = set()
        for e in await store.load(run_id):
            if isinstance(e, StepFinished | StepErrored):
                item = "" if e.index is None else f"[{e.index}]"
                keys.add(f"{run_id}/{e.step}{item}/{e.attempt}")
        return keys
    finally:
        await store.close()


async def _status_or_none(url: str, run_id: str) -> sl.RunStatus | None:
    store = await open_store(url)
    try:
        found = await store.run(run_id)
        return found.status if found is not None else None
    finally:
        await store.close()


async def _artifact_with(url: str, run_id: str, effects: Effects) -> Doc:
    store = await open_store(url)
    try:
        result = await pipeline(effects).resume(run_id, store=store)
        return result["last"]  # type: ignore[no-any-return]
    finally:
        await store.close()


# -- a store that fails -----------------------------------------------------------------------


class FailingStore(MemoryStore):
    """Fails the `fail_on`-th append with `error`, like a disk that fills up."""

    def __init__(self, fail_on: int, error: Exception) -> None:
        super().__init__()
        self.appends = 0
        self.fail_on = fail_on
        self.error = error

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        self.appends += 1
        if self.appends == self.fail_on:
            raise self.error
        await super().append(run_id, events)


async def test_a_store_error_surfaces_as_itself_and_the_run_can_be_resumed(tmp_path: Path) -> None:
    disk_full = sl.StoreError("database or disk is full")
    store = FailingStore(3, disk_full)
    effects = Effects(tmp_path / "effects.log")
    pipe = pipeline(effects)
    with pytest.raises(sl.StoreError) as caught:
        await pipe.run({"doc": Doc(text="doc")}, store=store, run_id="full")
    assert caught.value is disk_full  # not a misleading "expected seq N" conflict
    (summary,) = await store.runs()
    assert summary.status is sl.RunStatus.INTERRUPTED  # resumable, not failed for good
    assert len(await store.load("full")) > 1  # what was written before stays

    result = await pipe.resume("full", store=store)
    assert result.status is sl.RunStatus.SUCCEEDED and result["last"] == EXPECTED
    ends = Counter(line for line in effects.lines() if line.startswith("end"))
    assert ends["end full/first/1"] == 1  # completed before the error: not run again


@pytest.mark.postgres
async def test_a_nul_character_on_postgres_is_the_stores_own_message(postgres_url: str) -> None:
    pipe = sl.Pipeline("nul", inputs={"doc": Doc})

    @pipe.step
    async def echo(doc: Doc) -> Doc:
        return Doc(text=doc.text + "\x00")

    with pytest.raises(sl.StoreError, match="NUL character"):
        await pipe.run({"doc": Doc(text="a")}, store=postgres_url, run_id="nul-1")
    assert await _summary(postgres_url, "nul-1") is sl.RunStatus.INTERRUPTED


def test_an_in_process_second_driver_is_busy_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    effects = Effects(tmp_path / "effects.log")
    hang = tmp_path / "hang"
    hang.touch()

    async def go() -> None:
        child = fork.Process(target=_run_in_child, args=(url, "twice", effects, hang))
        child.start()
        await asyncio.to_thread(_wait_for, effects, "start twice/slow_step/1")
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        hang.unlink()
        store = await open_store(url)
        try:
            slow = pipeline(effects, slow=0.3)
            first = asyncio.create_task(slow.resume("twice", store=store))
            await asyncio.sleep(0.05)
            with pytest.raises(sl.RunBusy, match="another task of this process"):
                await slow.resume("twice", store=store)
            assert (await first).status is sl.RunStatus.SUCCEEDED
        finally:
            await store.close()

    asyncio.run(go())
