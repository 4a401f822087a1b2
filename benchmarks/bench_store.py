"""What a durable run log costs: time per step and bytes per run, for every store.

    python benchmarks/bench_store.py [--runs 500] [--postgres URL]

(a) Time to append six-step runs the way the executor does (6 appends, 14 events per
    run: RunStarted with the first step's StepStarted and StepFinished, then each
    step's StepStarted and StepFinished, RunFinished with the last step's), per store,
    as microseconds per step and as the overhead per step over memory://: from the
    mean (total time / steps) and from the median append (robust to a busy machine).
    `sqlite (normal, thread)` is the SQLite store forced through a worker thread on
    every call, the alternative to calling SQLite on the event loop's thread.
    `postgres (no commit wait)` sets synchronous_commit=off: the difference is the
    server's WAL fsync per commit.
(b) Store size per 1,000 such runs: the SQLite file after a WAL checkpoint (and
    after a VACUUM), and the PostgreSQL tables (heap, TOAST and indexes).

PostgreSQL is measured when a URL is given (--postgres, or $SEAMLINE_TEST_POSTGRES_URL);
the benchmark works in a schema of its own and drops it afterwards. The machine's
other load shows in these numbers: each figure is the best of --repeat rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel

from seamline.events import (
    Event,
    RunFinished,
    RunStarted,
    RunStatus,
    StepFinished,
    StepStarted,
)
from seamline.store import MemoryStore, RunStore, _sql
from seamline.store.sqlite import SQLiteStore

STEPS = ("claim", "policy", "coverage", "estimate", "decision", "letter")


class Artifact(BaseModel):
    """A small artifact: what a typical extraction step hands on."""

    claimant: str
    amount: float
    policy_id: str


def six_step_run(n: int) -> list[list[Event]]:
    """One run's 6 batches, as the executor appends them, events ~0.3 ms apart."""
    t = 1_760_000_000.0 + n * 0.01
    events: list[Event] = [
        RunStarted(seq=0, at=t, pipeline="claims", inputs={"doc": {"text": f"claim {n}"}})
    ]
    for step in STEPS:
        artifact = Artifact(claimant=f"claimant {n}", amount=100.0 + n, policy_id=f"P-{n}")
        seq = len(events)
        events.append(StepStarted(seq=seq, at=t + seq * 3e-4, step=step, attempt=1))
        events.append(
            StepFinished(
                seq=seq + 1, at=t + (seq + 1) * 3e-4, step=step, attempt=1, artifact=artifact
            )
        )
    events.append(
        RunFinished(seq=len(events), at=t + len(events) * 3e-4, status=RunStatus.SUCCEEDED)
    )
    # RunStarted with the first step, then a step per batch, RunFinished with the last.
    cuts = [0, 3, 5, 7, 9, 11, 14]
    return [events[a:b] for a, b in itertools.pairwise(cuts)]


async def write_runs(store: RunStore, runs: list[list[list[Event]]]) -> list[float]:
    """Append every run; returns each append's latency in seconds."""
    latencies = []
    for batches in runs:
        run_id = uuid.uuid4().hex
        for batch in batches:
            start = time.perf_counter()
            await store.append(run_id, batch)
            latencies.append(time.perf_counter() - start)
    return latencies


Opener = Callable[[], Awaitable[RunStore]]


async def time_store(open_store: Opener, runs: int, repeat: int) -> tuple[float, float, float]:
    """Seconds per run, median and p99 append latency: each the best of `repeat` rounds."""
    best: tuple[float, float, float] | None = None
    for r in range(repeat):
        work = [six_step_run(r * runs + n) for n in range(runs)]
        store = await open_store()
        try:
            await write_runs(store, [six_step_run(-1 - n) for n in range(20)])  # warm up
            start = time.perf_counter()
            latencies = await write_runs(store, work)
            per_run = (time.perf_counter() - start) / runs
        finally:
            await store.close()
        latencies.sort()
        result = (per_run, statistics.median(latencies), latencies[int(len(latencies) * 0.99)])
        best = (
            result
            if best is None
            else (min(best[0], result[0]), min(best[1], result[1]), min(best[2], result[2]))
        )
    assert best is not None
    return best


async def sqlite_size(path: Path, runs: int) -> tuple[int, int, dict[str, int]]:
    store = await SQLiteStore.open(f"sqlite:///{path}")
    try:
        await write_runs(store, [six_step_run(n) for n in range(runs)])
    finally:
        await store.close()
    return checkpointed_size(path)


def checkpointed_size(path: Path) -> tuple[int, int, dict[str, int]]:
    """The file's size once the WAL is folded in, then after a VACUUM, and each table's
    and index's share (after the VACUUM)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = os.path.getsize(path)
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            parts = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        except sqlite3.OperationalError:  # built without dbstat
            parts = {}
    finally:
        conn.close()
    return size, os.path.getsize(path), parts


async def postgres_size(url: str, runs: int) -> int:
    from seamline.store.postgres import PostgresStore

    store = await PostgresStore.open(url)
    try:
        await write_runs(store, [six_step_run(n) for n in range(runs)])
        async with store._pool.connection() as conn:
            await conn.execute("VACUUM ANALYZE runs")
            await conn.execute("VACUUM ANALYZE events")
            cur = await conn.execute(
                "SELECT sum(pg_total_relation_size(t::regclass))::bigint "
                "FROM unnest(array['runs', 'events', 'approvals']) AS t"
            )
            row = await cur.fetchone()
    finally:
        await store.close()
    assert row is not None
    size: int = row[0]
    return size


def with_options(url: str, *options: str) -> str:
    """The URL with server settings (`-cname=value`) added to its libpq `options`."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = " ".join([query.get("options", ""), *options]).strip()
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="runs per timing round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best one counts")
    parser.add_argument("--size-runs", type=int, default=1000, help="runs for the size figure")
    parser.add_argument("--postgres", default=os.environ.get("SEAMLINE_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="seamline-bench-"))
    counter = iter(range(1_000_000))

    def sqlite_opener(query: str = "", inline: bool = True) -> Opener:
        async def _open() -> RunStore:
            store = await SQLiteStore.open(f"sqlite:///{tmp}/t{next(counter)}.db{query}")
            store._inline_writes = inline and store._inline_writes
            return store

        return _open

    async def memory() -> RunStore:
        return MemoryStore()

    openers: dict[str, Opener] = {
        "memory": memory,
        "sqlite (normal)": sqlite_opener(),
        "sqlite (normal, thread)": sqlite_opener(inline=False),
        "sqlite (full)": sqlite_opener("?synchronous=full"),
    }
    schema = f"seamline_bench_{uuid.uuid4().hex[:8]}"
    pg_url = None
    if args.postgres:
        import psycopg
        from psycopg import sql

        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        pg_url = with_options(args.postgres, f"-csearch_path={schema}")
        relaxed_url = with_options(pg_url, "-csynchronous_commit=off")

        def postgres(url: str) -> Opener:
            async def _open() -> RunStore:
                from seamline.store.postgres import PostgresStore

                return await PostgresStore.open(url)

            return _open

        openers["postgres"] = postgres(pg_url)
        openers["postgres (no commit wait)"] = postgres(relaxed_url)

    try:
        appends = len(six_step_run(0))
        print(
            f"(a) {args.runs} six-step runs per round, {appends} appends / 14 events per run, "
            f"best of {args.repeat}\n"
        )
        print(
            f"{'':<26}{'mean':>10}{'':>10}{'median':>10}{'':>10}{'append':>10}\n"
            f"{'store':<26}{'µs/step':>10}{'+memory':>10}{'µs/step':>10}{'+memory':>10}"
            f"{'p99 µs':>10}"
        )
        floor: tuple[float, float] | None = None
        for name, opener in openers.items():
            per_run, p50, p99 = await time_store(opener, args.runs, args.repeat)
            mean_step = per_run / len(STEPS)
            median_step = p50 * appends / len(STEPS)
            if floor is None:
                floor = (mean_step, median_step)
            print(
                f"{name:<26}{mean_step * 1e6:>10.1f}{(mean_step - floor[0]) * 1e6:>10.1f}"
                f"{median_step * 1e6:>10.1f}{(median_step - floor[1]) * 1e6:>10.1f}"
                f"{p99 * 1e6:>10.0f}"
            )

        print(f"\n(b) size of {args.size_runs} runs ({args.size_runs * 14} events)\n")
        run = six_step_run(0)
        payload = sum(len(_sql.encode_row(e).payload) for batch in run for e in batch)
        print(f"{'JSON per event, alone':<28}{payload * args.size_runs / 1e6:>8.3f} MB")
        if hasattr(_sql, "pack"):
            packed = sum(len(_sql.pack(batch, _sql.to_ms(run[0][0].at))) for batch in run)
            print(f"{'packed batches, alone':<28}{packed * args.size_runs / 1e6:>8.3f} MB")
        size, vacuumed, parts = await sqlite_size(tmp / "size.db", args.size_runs)
        for label, nbytes in (("sqlite file", size), ("sqlite file, vacuumed", vacuumed)):
            print(f"{label:<28}{nbytes / 1e6:>8.3f} MB  ({nbytes / args.size_runs:.0f} B/run)")
        for part, nbytes in sorted(parts.items(), key=lambda kv: -kv[1]):
            if nbytes > 4096:
                print(f"  {part:<26}{nbytes / 1e6:>8.3f} MB")
        if pg_url is not None:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            pg_size = await postgres_size(pg_url, args.size_runs)
            print(f"{'postgres tables':<28}{pg_size / 1e6:>8.2f} MB")
    finally:
        if pg_url is not None:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        shutil.rmtree(tmp)


if __name__ == "__main__":
    asyncio.run(main())
