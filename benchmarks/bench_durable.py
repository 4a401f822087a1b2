"""Durable runs through the engine: what each store adds per step, what runs cost on
disk, how PostgreSQL scales over worker processes, and 10,000 runs waiting on approval.

    python benchmarks/bench_durable.py [--runs 2000] [--postgres URL] [--only 1b]

`--only 1b` runs section 1b alone (SQLite FULL against its floor), `--only 1` sections 1
and 1b.

1. The six-step pipeline with small artifacts, run sequentially against memory://,
   SQLite (synchronous=NORMAL, then FULL) and PostgreSQL: µs per step over the
   in-memory store (goal for SQLite NORMAL: at most 60).
   1b. SQLite synchronous=FULL against its floor: a hand-written loop that commits one
   row of the same size per step to a plain sqlite3 connection (WAL, synchronous=FULL,
   the store's page size), the least an fsynced log can cost per step; the two
   interleaved run by run, total times compared (goal: at most 1.3x). A bare
   write+fsync loop is shown for reference, and the loop with the run's start committed
   before its first step (seven commits per six-step run, as the store makes: 7/6 =
   1.17x the six-commit floor before any other work).
2. Store size per 1,000 runs (goal: at most 0.5 MB).
3. PostgreSQL: runs/s with 1 and 4 worker processes sharing one database.
4. 10,000 runs waiting on approval: this process's memory before and after (the runs
   live in the store), and the time `seamline approvals` takes to list them (goal < 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pydantic import BaseModel

import seamline as sl
from seamline.store import RunStore, open_store

STEPS = ("claim", "policy", "coverage", "estimate", "decision", "letter")


class Claim(BaseModel):
    claimant: str
    amount: float
    policy_id: str


def pipeline(approval: bool = False) -> sl.Pipeline:
    pipe = sl.Pipeline("durable-bench", inputs={"doc": Claim})
    previous = "doc"
    for name in STEPS:
        pipe.step(_step(name, previous))
        previous = name
    if approval:
        pipe.approval("letter")
    return pipe


def _step(name: str, reads: str):  # type: ignore[no-untyped-def]
    import inspect

    async def step(prev: Claim) -> Claim:
        return Claim(claimant=prev.claimant, amount=prev.amount + 1, policy_id=prev.policy_id)

    step.__name__ = name
    step.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(reads, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Claim)]
    )
    step.__annotations__ = {reads: Claim, "return": Claim}
    return step


DOC = {"doc": Claim(claimant="Ana Ruiz", amount=15750.0, policy_id="PX-2231")}


async def per_step(pipe: sl.Pipeline, store: RunStore, runs: int, repeats: int = 3) -> float:
    """Median over repeats of (seconds per run / 6)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(runs):
            await pipe.run(DOC, store=store)
        samples.append((time.perf_counter() - start) / runs / len(STEPS))
    return statistics.median(samples)


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def stores(runs: int, postgres: str | None, tmp: Path) -> None:
    pipe = pipeline()
    memory = await open_store("memory://bench")
    await pipe.run(DOC, store=memory)
    base = await per_step(pipe, memory, runs)
    print(f"1. six-step pipeline, small artifacts, {runs} runs sequentially, per step:")
    print(f"   memory://                {base * 1e6:7.1f} µs")
    for label, query in (("sqlite (NORMAL)", ""), ("sqlite (FULL)", "?synchronous=full")):
        path = tmp / f"{uuid.uuid4().hex}.db"
        store = await open_store(f"sqlite:///{path}{query}")
        await pipe.run(DOC, store=store)
        t = await per_step(pipe, store, runs)
        print(
            f"   {label:24} {t * 1e6:7.1f} µs   over memory {(t - base) * 1e6:6.1f} µs"
            + ("   (goal <= 60)" if "NORMAL" in label else "")
        )
        await store.close()
        if "NORMAL" in label:
            size = await _size_per_thousand(pipe, tmp)
            print(f"2. SQLite store size: {size / 1e6:.3f} MB per 1,000 runs (goal <= 0.5 MB)")
    await full_sync_against_floor(pipe, max(runs, 200), tmp)
    if postgres:
        store = await open_store(postgres)
        await pipe.run(DOC, store=store)
        t = await per_step(pipe, store, max(runs // 4, 50))
        print(f"   {'postgresql':24} {t * 1e6:7.1f} µs   over memory {(t - base) * 1e6:6.1f} µs")
        await store.close()


async def full_sync_against_floor(pipe: sl.Pipeline, runs: int, tmp: Path) -> float:
    """Per step: the engine on sqlite?synchronous=full, and a hand-written fsync loop.

    Interleaved run by run (one run of the pipeline, then as many floor commits as it has
    steps): a shared disk's fsyncs change speed from one second to the next, and both sides
    must meet the same disk.
    """
    from seamline.store.sqlite_file import _PAGE_SIZE

    store = await open_store(f"sqlite:///{tmp / 'full.db'}?synchronous=full")
    await pipe.run(DOC, store=store)
    floor_db = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    floor_db.execute(f"PRAGMA page_size = {_PAGE_SIZE:d}")
    floor_db.execute("PRAGMA journal_mode = WAL")
    floor_db.execute("PRAGMA synchronous = FULL")
    floor_db.execute(
        "CREATE TABLE log (run INTEGER, seq INTEGER, data BLOB, PRIMARY KEY (run, seq))"
    )
    floor_db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT UNIQUE)")
    row = b"x" * 120  # about what one step's compact, deflated events take
    fd = os.open(tmp / "floor.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    ours = floor = floor_started = raw = 0.0
    for r in range(runs):
        start = time.perf_counter()
        await pipe.run(DOC, store=store)
        ours += time.perf_counter() - start
        start = time.perf_counter()
        for n in range(len(STEPS)):
            floor_db.execute("INSERT INTO log VALUES (?, ?, ?)", (r, n, row))
        floor += time.perf_counter() - start
        # The same with the run's start committed first, as a durable run must (a run
        # killed in its first step is resumed, not lost): seven commits per run.
        start = time.perf_counter()
        floor_db.execute("INSERT INTO runs VALUES (?, ?)", (r, uuid.uuid4().hex))
        for n in range(len(STEPS)):
            floor_db.execute("INSERT INTO log VALUES (?, ?, ?)", (r, -1 - n, row))
        floor_started += time.perf_counter() - start
        start = time.perf_counter()
        for _ in STEPS:
            os.write(fd, row)
            os.fsync(fd)
        raw += time.perf_counter() - start
    os.close(fd)
    floor_db.close()
    await store.close()
    steps = runs * len(STEPS)
    ratio = ours / floor
    print(
        f"   1b. sqlite (FULL) {ours / steps * 1e6:7.1f} µs per step against a hand-written "
        f"fsynced SQLite loop {floor / steps * 1e6:7.1f} µs: {ratio:.2f}x (goal <= 1.3); "
        f"write+fsync alone {raw / steps * 1e6:.1f} µs"
    )
    print(
        f"       against the same loop that also commits the run's start first (7 commits "
        f"per run): {floor_started / steps * 1e6:7.1f} µs per step, {ours / floor_started:.2f}x"
    )
    return ratio


async def _size_per_thousand(pipe: sl.Pipeline, tmp: Path) -> int:
    path = tmp / "size.db"
    store = await open_store(f"sqlite:///{path}")
    for _ in range(1000):
        await pipe.run(DOC, store=store)
    await store.close()  # checkpoints the WAL into the main file
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()  # the last connection to close removes the WAL: measure the store alone
    return file_size(path)


def _worker(
    url: str,
    runs: int,
    ready: multiprocessing.synchronize.Event,
    go: multiprocessing.synchronize.Event,
) -> None:  # type: ignore[name-defined]
    async def main() -> None:
        store = await open_store(url)
        pipe = pipeline()
        ready.set()
        go.wait()
        for _ in range(runs):
            await pipe.run(DOC, store=store)
        await store.close()

    asyncio.run(main())


def postgres_workers(url: str, runs_per_worker: int) -> None:
    print("3. PostgreSQL, worker processes sharing one database:")
    ctx = multiprocessing.get_context("spawn")
    for workers in (1, 4):
        go = ctx.Event()
        readies = [ctx.Event() for _ in range(workers)]
        procs = [ctx.Process(target=_worker, args=(url, runs_per_worker, r, go)) for r in readies]
        for p in procs:
            p.start()
        for r in readies:
            r.wait()
        start = time.perf_counter()
        go.set()
        for p in procs:
            p.join()
        rate = workers * runs_per_worker / (time.perf_counter() - start)
        print(f"   {workers} worker(s): {rate:7.0f} runs/s ({rate * len(STEPS):.0f} steps/s)")


async def waiting(count: int, tmp: Path) -> None:
    path = tmp / "waiting.db"
    url = f"sqlite:///{path}"
    store = await open_store(url)
    pipe = pipeline(approval=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for _ in range(count):
        await pipe.run(DOC, store=store)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pending = await store.pending_approvals()
    await store.close()
    print(
        f"4. {count} runs waiting on approval: {len(pending)} pending in the store; "
        f"this process's peak RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after"
    )
    start = time.perf_counter()
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "seamline", "approvals", "--store", url, "--json", "--limit", "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    whole = time.perf_counter() - start
    listed = out.stdout.count('"approval_id"')
    start = time.perf_counter()
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", "import seamline.cli"], check=True
    )
    startup = time.perf_counter() - start
    print(
        f"   `seamline approvals --json --limit 0` listed {listed} in {whole:.2f} s "
        f"({whole - startup:.2f} s beyond the {startup:.2f} s of starting Python and importing) (goal < 1 s)"
    )


async def main(runs: int, postgres: str | None, quick: bool, only: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if only == "1b":
            await full_sync_against_floor(pipeline(), runs, Path(tmp))
            return
        await stores(runs, postgres, Path(tmp))
        if only == "1":
            return
        if postgres:
            postgres_workers(postgres, 50 if quick else 250)
        await waiting(1000 if quick else 10_000, Path(tmp))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("SEAMLINE_TEST_POSTGRES_URL"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("1", "1b"), help="run only these sections")
    args = parser.parse_args()
    asyncio.run(main(200 if args.quick else args.runs, args.postgres, args.quick, args.only))
