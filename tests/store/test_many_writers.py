"""Several OS processes writing to one store at once lose nothing and reorder nothing."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from sample_runs import as_json, six_step_run

from seamline.events import RunStatus
from seamline.store import open_store

WORKERS = 4
RUNS = 200
WORKER = Path(__file__).with_name("many_writers_worker.py")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared/runs.db"  # created by the racing workers
    url: str = request.getfixturevalue(
        "postgres_url"
    )  # empty: the workers race to create the tables
    return url


@pytest.mark.slow
async def test_many_processes_write_one_store(shared_url: str) -> None:
    start = time.perf_counter()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            shared_url,
            str(w),
            str(RUNS),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for w in range(WORKERS)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)
    elapsed = time.perf_counter() - start
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()
        print(out.decode().strip())
    print(f"{WORKERS} processes x {RUNS} runs: {elapsed:.2f}s")

    store = await open_store(shared_url)
    try:
        summaries = await store.runs()
        assert len(summaries) == WORKERS * RUNS
        assert {s.status for s in summaries} == {RunStatus.SUCCEEDED}
        for w in range(WORKERS):
            for n in range(RUNS):
                expected = [e for batch in six_step_run(n) for e in batch]
                assert as_json(await store.load(f"w{w}-r{n}")) == as_json(expected)
    finally:
        await store.close()
