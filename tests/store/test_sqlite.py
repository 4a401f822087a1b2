"""What only the SQLite store does: URLs, files, schema checks, waiting for other writers."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_runs import STEPS, Claim, as_json, every_event, six_step_run

from seamline.events import (
    ApprovalDecided,
    Event,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    StepErrored,
    StepFinished,
    StepStarted,
)
from seamline.exceptions import ConfigError, RunCorrupted, SchemaMismatch, StoreError
from seamline.store import _sql, open_store
from seamline.store.sqlite import SCHEMA_VERSION, SQLiteStore

T0 = 1_760_000_000.0


def url(path: Path, query: str = "") -> str:
    return f"sqlite:///{path}" + (f"?{query}" if query else "")


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


async def test_open_store_dispatches_and_creates_parent_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_store("sqlite:///nested/dir/runs.db")
    try:
        assert isinstance(store, SQLiteStore)
        await store.append("r", [RunStarted(seq=0, pipeline="p", inputs={})])
    finally:
        await store.close()
    assert (tmp_path / "nested" / "dir" / "runs.db").is_file()

    absolute = await open_store(f"sqlite:///{tmp_path}/abs.db")  # sqlite:////tmp/...
    await absolute.close()
    assert (tmp_path / "abs.db").is_file()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("sqlite://host/runs.db", "bad SQLite store URL"),
        ("sqlite:///", "no file name"),
        ("sqlite:///runs.db?synchronous=sometimes", "synchronous must be one of normal, full"),
        ("sqlite:///runs.db?busy_timeout=soon", "busy_timeout must be a number"),
        ("sqlite:///runs.db?cache=shared", "unknown option cache"),
    ],
)
async def test_bad_urls_are_config_errors(bad: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        await SQLiteStore.open(bad)


@pytest.mark.parametrize(("query", "level"), [("", 1), ("synchronous=full", 2)])
async def test_wal_and_synchronous(tmp_path: Path, query: str, level: int) -> None:
    store = await SQLiteStore.open(url(tmp_path / "runs.db", query))
    try:
        for batch in six_step_run(1):
            await store.append("run-1", batch)
        assert store._conn.execute("PRAGMA synchronous").fetchone() == (level,)
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "runs.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT count(*) FROM log").fetchone() == (6,)  # a row per batch
    raw.close()


async def test_a_newer_store_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    await store.close()
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE seamline_meta SET value = '99' WHERE key = 'schema_version'")
    raw.close()
    before = fingerprint(path)

    with pytest.raises(SchemaMismatch, match=f"schema version 99.*up to {SCHEMA_VERSION}"):
        await SQLiteStore.open(url(path))

    assert fingerprint(path) == before
    assert os.listdir(tmp_path) == ["runs.db"]


async def test_another_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        raw.execute("INSERT INTO users (name) VALUES ('ada')")
    raw.close()
    before = fingerprint(path)

    with pytest.raises(SchemaMismatch, match=r"not a seamline store.*users"):
        await open_store(url(path))

    assert fingerprint(path) == before
    assert sorted(os.listdir(tmp_path)) == ["app.db"]


@pytest.mark.parametrize("content", [b"hello, not a database\n" * 100, b"\x00\xff" * 4096])
async def test_a_file_that_is_not_sqlite_is_refused_and_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = fingerprint(path)

    with pytest.raises(SchemaMismatch, match="not a seamline store"):
        await open_store(url(path))

    assert fingerprint(path) == before


async def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.touch()
    store = await open_store(url(path))
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    await store.close()


async def test_a_locked_database_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        event = StepStarted(seq=1, step="a", attempt=1)
        append = asyncio.create_task(store.append("run-1", [event]))
        await asyncio.sleep(0.2)
        assert not append.done()  # waiting for the lock...
        assert ticks >= 10  # ...without blocking the event loop
        other.execute("ROLLBACK")
        await asyncio.wait_for(append, 5)
        assert len(await store.load("run-1")) == 2
    finally:
        ticker.cancel()
        other.close()
        await store.close()


async def test_a_lock_held_past_the_busy_timeout_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path, "busy_timeout=0.1"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked"):
            await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    finally:
        other.execute("ROLLBACK")
        other.close()
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    await store.close()


async def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    store = await SQLiteStore.open(url(tmp_path / "runs.db"))
    await store.close()
    await store.close()  # closing twice is fine
    with pytest.raises(StoreError, match="closed"):
        await store.runs()


async def test_the_wal_is_checkpointed_as_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seamline.store import sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "_CHECKPOINT_EVERY", 20)
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    try:
        for n in range(100):  # 600 appends of a few 4 KB pages each: ~8 MB unchecked
            for batch in six_step_run(n):
                await store.append(f"run-{n}", batch)
        assert path.with_name("runs.db-wal").stat().st_size < 1_000_000
        assert len(await store.runs()) == 100
    finally:
        await store.close()
    assert not path.with_name("runs.db-wal").exists()  # the last close folds it in


async def test_a_cancelled_call_keeps_the_connection_until_its_thread_is_done(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        waiting = asyncio.create_task(
            store.append("run-1", [StepStarted(seq=1, step="a", attempt=1)])
        )
        await asyncio.sleep(0.1)  # now on a worker thread, waiting for the lock
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        later = asyncio.create_task(
            store.append("run-2", [RunStarted(seq=0, pipeline="p", inputs={})])
        )
        await asyncio.sleep(0.05)
        assert not later.done()  # queued behind the thread, not interleaved with it
    finally:
        other.execute("ROLLBACK")
        other.close()
    await asyncio.wait_for(later, 5)
    # The cancelled append went through once the lock was free: cancelling a write in
    # flight does not undo it (the caller re-reads the log to know).
    assert len(await store.load("run-1")) == 2
    assert len(await store.load("run-2")) == 1
    await store.close()


async def test_full_sync_appends_stay_on_the_loop_unless_commits_are_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from seamline.store import sqlite as sqlite_store

    store = await SQLiteStore.open(url(tmp_path / "runs.db", "synchronous=full"))
    threads: list[str] = []
    append = store._append

    def recording(batch: _sql.Batch) -> None:
        threads.append(threading.current_thread().name)
        append(batch)

    monkeypatch.setattr(store, "_append", recording)
    monkeypatch.setattr(sqlite_store, "_SLOW_COMMIT", 10.0)  # every commit is "fast"
    try:
        for batch in six_step_run(0):
            await store.append("run-0", batch)
        assert set(threads) == {threading.current_thread().name}  # no hop
        assert len(store._recent_commits) > 0

        threads.clear()
        monkeypatch.setattr(sqlite_store, "_SLOW_COMMIT", 0.0)  # every commit is now "slow"
        for batch in six_step_run(1):
            await store.append("run-1", batch)
        assert threading.current_thread().name not in threads  # each on a worker thread
        assert len(await store.load("run-1")) == sum(len(b) for b in six_step_run(1))
    finally:
        await store.close()


async def test_a_directory_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "runs.db").mkdir()
    with pytest.raises(StoreError, match="cannot") as info:
        await open_store(url(tmp_path / "runs.db"))
    assert not isinstance(info.value, SchemaMismatch)


# -- the log's encoding: a row per batch, compact, deflated; schema 1 stores -----------


def log_rows(path: Path) -> list[tuple[int, int, int | None, bytes | str]]:
    raw = sqlite3.connect(path)
    try:
        rows: list[tuple[int, int, int | None, bytes | str]] = raw.execute(
            "SELECT run, seq, codec, data FROM log ORDER BY run, seq"
        ).fetchall()
    finally:
        raw.close()
    return rows


def items(codec: int | None, data: bytes | str) -> list[list[object]]:
    """A row's items, for a row without a dictionary."""
    if codec == 0:
        assert isinstance(data, bytes)
        data = zlib.decompress(data, -15)
    assert codec in (None, 0)
    decoded: list[list[object]] = json.loads(data)
    return decoded


def executor_run(n: int, t0: float = 1_760_000_000.0) -> list[list[Event]]:
    """A six-step run in the executor's 6 batches, events 0.3 ms apart."""
    events: list[Event] = [
        RunStarted(seq=0, at=t0, pipeline="claims", inputs={"doc": {"text": f"claim {n}"}})
    ]
    for step in STEPS:
        seq = len(events)
        artifact = Claim(claimant="Ada Lovelace", amount=n + 0.5, policy_id="P-77")
        events.append(StepStarted(seq=seq, at=t0 + seq * 3e-4, step=step, attempt=1))
        events.append(
            StepFinished(
                seq=seq + 1, at=t0 + (seq + 1) * 3e-4, step=step, attempt=1, artifact=artifact
            )
        )
    events.append(RunFinished(seq=13, at=t0 + 13 * 3e-4, status=RunStatus.SUCCEEDED))
    cuts = [0, 3, 5, 7, 9, 11, 14]  # the last step's batch ends the run
    return [events[a:b] for a, b in itertools.pairwise(cuts)]


def to_the_ms(events: list[Event]) -> list[tuple[int, str, dict[str, object]]]:
    return [
        (seq, kind, {**p, "at": round(e.at * 1000) / 1000})
        for e, (seq, kind, p) in zip(events, as_json(events), strict=True)
    ]


async def test_a_row_per_batch_deflated_with_the_pipelines_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    try:
        for n in range(3):
            for batch in executor_run(n, T0 + n):
                await store.append(f"run-{n}", batch)
        for n in range(3):
            expected = [e for batch in executor_run(n, T0 + n) for e in batch]
            assert as_json(await store.load(f"run-{n}")) == to_the_ms(expected)
    finally:
        await store.close()
    rows = log_rows(path)
    assert len(rows) == 3 * 6
    # Run 1 wrote plain JSON rows; its success made the dictionary the others deflate with.
    assert {codec for run, _, codec, _ in rows if run == 1} <= {None, 0}
    assert {codec for run, _, codec, _ in rows if run > 1} == {1}
    assert sum(len(data) for run, _, _, data in rows if run == 3) < 100  # bytes, 14 events
    # Each step's StepStarted is folded into its StepFinished: one item per step.
    assert items(rows[1][2], rows[1][3]) == [
        [
            13,
            1,
            0,
            "policy",
            1,
            {"claimant": "Ada Lovelace", "amount": 0.5, "policy_id": "P-77", "notes": []},
        ]
    ]


async def test_another_process_uses_the_dictionary_once_it_exists(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    first, second = await SQLiteStore.open(url(path)), await SQLiteStore.open(url(path))
    try:
        for batch in executor_run(0):
            await first.append("run-0", batch)  # makes the dictionary
        for batch in executor_run(1, T0 + 1):
            await second.append("run-1", batch)  # finds it when the run starts
        again = await SQLiteStore.open(url(path))
        try:
            for n in (0, 1):
                expected = [e for batch in executor_run(n, T0 + n) for e in batch]
                assert as_json(await again.load(f"run-{n}")) == to_the_ms(expected)
                assert as_json(await first.load(f"run-{n}")) == to_the_ms(expected)
        finally:
            await again.close()
    finally:
        await first.close()
        await second.close()
    assert {codec for run, _, codec, _ in log_rows(path) if run == 2} == {1}
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT id, pipeline FROM dictionaries").fetchall() == [(1, "claims")]
    raw.close()


async def test_times_are_kept_to_the_millisecond(tmp_path: Path) -> None:
    store = await SQLiteStore.open(url(tmp_path / "runs.db"))
    t0 = 1_760_000_000.123456
    events: list[Event] = [
        RunStarted(seq=0, at=t0, pipeline="p", inputs={}),
        StepStarted(seq=1, at=t0 + 0.0004, step="a", attempt=1),
        StepStarted(seq=2, at=t0 - 2.5006, step="b", attempt=1),  # clocks go back too
        StepStarted(seq=3, at=t0 + 86_400.0009, step="c", attempt=1),
    ]
    try:
        await store.append("run-1", events[:2])
        await store.append("run-1", events[2:])
        loaded = await store.load("run-1")
        (summary,) = await store.runs()
    finally:
        await store.close()
    assert [e.at for e in loaded] == [round(e.at * 1000) / 1000 for e in events]
    assert summary.created_at == t0  # the run index keeps its times exactly


async def test_a_step_folds_only_into_its_own_outcome(tmp_path: Path) -> None:
    store = await SQLiteStore.open(url(tmp_path / "runs.db"))
    t = T0
    batches: list[list[Event]] = [
        [
            RunStarted(seq=0, at=t, pipeline="p", inputs={}),
            StepStarted(seq=1, at=t, step="a", attempt=1, index=2),
            StepFinished(seq=2, at=t + 1, step="a", attempt=1, artifact=[1], index=2),
        ],
        [
            StepStarted(seq=3, at=t + 2, step="a", attempt=2),
            StepErrored(seq=4, at=t + 3, step="a", attempt=2, error="boom", kind="exception"),
            StepStarted(seq=5, at=t + 4, step="a", attempt=3, model="m"),  # not folded:
            StepFinished(seq=6, at=t + 5, step="a", attempt=3, artifact=None),  # a model
            StepStarted(seq=7, at=t + 6, step="b", attempt=1, index=1),
            StepFinished(seq=8, at=t + 7, step="b", attempt=1, artifact={}),  # another index
            StepStarted(seq=9, at=t + 8, step="c", attempt=1),
            StepFinished(seq=10, at=t + 9, step="c", attempt=2, artifact=0),  # another attempt
            StepStarted(seq=11, at=t + 10, step="d", attempt=1),  # last: nothing follows
        ],
    ]
    try:
        for batch in batches:
            await store.append("run-1", batch)
        expected = [e for batch in batches for e in batch]
        assert as_json(await store.load("run-1")) == as_json(expected)
    finally:
        await store.close()
    codes = [item[0] for _, _, c, data in log_rows(tmp_path / "runs.db") for item in items(c, data)]
    assert codes == [1, 13, 14, 2, 3, 2, 3, 2, 3, 2]


def test_the_codebook_covers_every_event_kind() -> None:
    assert _sql.codebook_gaps() == [], "add the new fields at the end of their codebook entry"


async def test_an_unknown_field_is_kept_in_the_generic_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(_sql._BY_KIND, "StepErrored")  # as if a field were added to it
    store = await SQLiteStore.open(url(tmp_path / "runs.db"))
    events: list[Event] = [
        RunStarted(seq=0, at=T0, pipeline="p", inputs={}),
        StepStarted(seq=1, at=T0, step="a", attempt=1),
        StepErrored(seq=2, at=T0, step="a", attempt=1, error="boom", kind="timeout", index=4),
    ]
    try:
        await store.append("run-1", events)
        assert as_json(await store.load("run-1")) == as_json(events)
    finally:
        await store.close()
    (row,) = log_rows(tmp_path / "runs.db")
    assert [item[0] for item in items(row[2], row[3])] == [1, 2, 0]


async def test_large_rows_are_deflated_without_a_dictionary(tmp_path: Path) -> None:
    store = await SQLiteStore.open(url(tmp_path / "runs.db"))
    events: list[Event] = [RunStarted(seq=0, at=T0, pipeline="p", inputs={"text": "abc " * 500})]
    try:
        await store.append("run-1", events)
        assert as_json(await store.load("run-1")) == as_json(events)
    finally:
        await store.close()
    ((_, _, codec, data),) = log_rows(tmp_path / "runs.db")
    assert codec == 0 and len(data) < 200


def v1_store(path: Path, runs: dict[str, list[Event]], approvals: list[tuple[str, str]]) -> None:
    """A store as seamline with schema 1 wrote it: a row per event, JSON payloads."""
    from seamline.store.migrations import SQLITE

    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("BEGIN")
    raw.execute("CREATE TABLE seamline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in SQLITE[0].statements:
        raw.execute(statement)
    raw.execute("INSERT INTO seamline_meta VALUES ('schema_version', '1')")
    for run_id, events in runs.items():
        started = events[0]
        assert isinstance(started, RunStarted)
        (run,) = raw.execute(
            "INSERT INTO runs (run_id, pipeline, status, created_at, updated_at, error, next_seq)"
            " VALUES (?, ?, 'waiting', ?, ?, NULL, ?) RETURNING id",
            (run_id, started.pipeline, started.at, events[-1].at, len(events)),
        ).fetchone()
        for event in events:
            row = _sql.encode_row(event)
            raw.execute(
                "INSERT INTO events (run, seq, kind, at, payload) VALUES (?, ?, ?, ?, ?)",
                (run, row.seq, row.kind, row.at, row.payload),
            )
    for approval_id, run_id in approvals:
        raw.execute(
            "INSERT INTO approvals (approval_id, run, step, idx, reason, requested_at)"
            " SELECT ?, id, 'claim', NULL, 'approval', created_at FROM runs WHERE run_id = ?",
            (approval_id, run_id),
        )
    raw.execute("COMMIT")
    raw.close()


async def test_a_schema_1_store_is_migrated_and_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    old = every_event(1_760_000_000.123456)[:11]  # up to the wait for an approval
    assert isinstance(old[-1], RunFinished)
    run_2: list[Event] = [RunStarted(seq=0, at=T0, pipeline="q", inputs={})]
    v1_store(path, {"run-1": old, "run-2": run_2}, [("appr-1", "run-1"), ("a-9", "run-2")])

    store = await SQLiteStore.open(url(path))
    try:
        loaded = await store.load("run-1")
        assert as_json(loaded) == as_json(old)
        assert [e.at for e in loaded] == [e.at for e in old]  # exactly, as schema 1 kept them
        assert [s.run_id for s in await store.runs()] == ["run-1", "run-2"]
        assert [p.approval_id for p in await store.pending_approvals()] == ["a-9", "appr-1"]
        # The run goes on in the new encoding.
        more: list[Event] = [
            RunResumed(seq=11, at=T0 + 200, pid=1),
            ApprovalDecided(seq=12, at=T0 + 201, approval_id="appr-1", decision="approve"),
            StepStarted(seq=13, at=T0 + 202, step="claim", attempt=3),
        ]
        await store.append("run-1", more)
        assert as_json(await store.load("run-1")) == as_json(old + more)
        assert [p.approval_id for p in await store.pending_approvals()] == ["a-9"]
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    tables = {
        name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert raw.execute("SELECT value FROM seamline_meta").fetchone() == (str(SCHEMA_VERSION),)
    raw.close()
    assert "events" not in tables and {"log", "dictionaries"} <= tables
    again = await SQLiteStore.open(url(path))
    try:
        assert as_json(await again.load("run-1")) == as_json(old + more)
    finally:
        await again.close()


async def test_a_failed_run_gives_no_dictionary_a_waiting_one_does(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))

    def dictionaries() -> list[tuple[int, str]]:
        raw = sqlite3.connect(path)
        try:
            found: list[tuple[int, str]] = raw.execute(
                "SELECT id, pipeline FROM dictionaries"
            ).fetchall()
        finally:
            raw.close()
        return found

    try:
        failed: list[list[Event]] = [
            *executor_run(0)[:2],
            [RunFinished(seq=5, at=T0 + 1, status=RunStatus.FAILED, error="boom")],
        ]
        for batch in failed:
            await store.append("run-0", batch)
        assert dictionaries() == []
        waiting: list[list[Event]] = [
            *executor_run(1, T0 + 1)[:3],
            [RunFinished(seq=7, at=T0 + 2, status=RunStatus.WAITING)],
        ]
        for batch in waiting:
            await store.append("run-1", batch)
        assert dictionaries() == [(1, "claims")]
        for batch in executor_run(2, T0 + 2):
            await store.append("run-2", batch)
        expected = [e for batch in executor_run(2, T0 + 2) for e in batch]
        assert as_json(await store.load("run-2")) == to_the_ms(expected)
    finally:
        await store.close()
    assert {codec for run, _, codec, _ in log_rows(path) if run == 3} == {1}


def v2_store(path: Path, runs: dict[str, list[list[Event]]]) -> None:
    """A store as seamline with schema 2 wrote it: rows keyed by their first seq, and
    the next seq counted in `runs`."""
    from seamline.store.migrations import SQLITE

    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("BEGIN")
    raw.execute("CREATE TABLE seamline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for migration in SQLITE[:2]:
        for statement in migration.statements:
            raw.execute(statement)
    raw.execute("DROP TABLE events")
    raw.execute("INSERT INTO seamline_meta VALUES ('schema_version', '2')")
    for run_id, batches in runs.items():
        started = batches[0][0]
        assert isinstance(started, RunStarted)
        (run,) = raw.execute(
            "INSERT INTO runs (run_id, pipeline, status, created_at, updated_at, error, next_seq)"
            " VALUES (?, ?, 'running', ?, ?, NULL, ?) RETURNING id",
            (run_id, started.pipeline, started.at, started.at, sum(map(len, batches))),
        ).fetchone()
        for batch in batches:
            raw.execute(
                "INSERT INTO log (run, seq, codec, data) VALUES (?, ?, NULL, ?)",
                (run, batch[0].seq, _sql.pack(batch, _sql.to_ms(started.at)).decode()),
            )
    raw.execute("COMMIT")
    raw.close()


async def test_a_schema_2_store_is_migrated_and_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    run_0, run_1 = executor_run(0), executor_run(1, T0 + 1)
    v2_store(path, {"run-0": run_0[:3], "run-1": run_1[:1]})

    store = await SQLiteStore.open(url(path))
    try:
        for run_id, batches in (("run-0", run_0), ("run-1", run_1)):
            done = 3 if run_id == "run-0" else 1
            before = [e for batch in batches[:done] for e in batch]
            assert as_json(await store.load(run_id)) == to_the_ms(before)
            with pytest.raises(StoreError, match=f"expected seq {len(before)}"):
                await store.append(run_id, batches[done][1:])  # a seq the counter did not give
            for batch in batches[done:]:  # the runs go on
                await store.append(run_id, batch)
            everything = [e for batch in batches for e in batch]
            assert as_json(await store.load(run_id)) == to_the_ms(everything)
    finally:
        await store.close()
    # Each row is keyed by its last event's seq now, and `runs` counts nothing.
    assert [seq for run, seq, _, _ in log_rows(path) if run == 1] == [2, 4, 6, 8, 10, 13]
    raw = sqlite3.connect(path)
    try:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(runs)")}
    finally:
        raw.close()
    assert "next_seq" not in columns


async def test_an_sqlite_too_old_for_the_store_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(ConfigError, match=r"needs SQLite 3\.35\.0 or newer.*uses 3\.31\.1"):
        await SQLiteStore.open(url(tmp_path / "runs.db"))
    assert not (tmp_path / "runs.db").exists()


# -- integrity: a damaged row names its run and seqs; the rest stays readable ------------


async def _two_runs(path: Path) -> None:
    store = await SQLiteStore.open(url(path))
    try:
        await store.append(
            "marked", [RunStarted(seq=0, at=T0, pipeline="p", inputs={"x": "MARKER-4711"})]
        )
        for batch in six_step_run(1, T0 + 1):
            await store.append("other", batch)
    finally:
        await store.close()  # the WAL goes into the main file


async def test_a_flipped_bit_in_the_file_is_reported_as_corruption(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    await _two_runs(path)
    data = bytearray(path.read_bytes())
    at = data.index(b"MARKER-4711")
    data[at] ^= 0x01  # "M" becomes "L": still valid JSON, and wrong
    path.write_bytes(bytes(data))

    store = await open_store(url(path), access="read")
    try:
        with pytest.raises(RunCorrupted) as info:
            await store.load("marked")
        assert info.value.run_id == "marked" and info.value.seq == 0
        assert "run 'marked'" in str(info.value) and "damaged at seq 0" in str(info.value)
        assert "fail their checksum" in str(info.value)
        # The rest of the store reads as before.
        assert {r.run_id for r in await store.runs()} == {"marked", "other"}
        assert len(await store.load("other")) == 14
    finally:
        await store.close()


async def test_a_damaged_dictionary_is_reported_by_the_runs_that_use_it(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await SQLiteStore.open(url(path))
    try:
        for n in range(3):
            for batch in executor_run(n, T0 + n):
                await store.append(f"run-{n}", batch)
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE dictionaries SET data = CAST(upper(data) AS BLOB)")
        conn.commit()
    finally:
        conn.close()
    store = await open_store(url(path), access="read")
    try:
        assert len(await store.load("run-0")) == 14  # written before the dictionary
        with pytest.raises(RunCorrupted, match=r"run 'run-1'.*dictionary 1 .*fails its checksum"):
            await store.load("run-1")
    finally:
        await store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(row=json_values | st.lists(st.lists(json_values, max_size=6), min_size=1, max_size=3))
def test_any_row_with_a_valid_checksum_decodes_or_is_reported(tmp_path: Path, row: object) -> None:
    """What a row holds is never trusted: well-formed JSON that is not a batch of events
    (or bytes that are not JSON) is a `RunCorrupted`, never another exception."""
    path = tmp_path / "fuzz.db"
    if not path.exists():
        asyncio.run(_two_runs(path))
    text = json.dumps(row).encode()
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "UPDATE log SET codec = NULL, data = ?, crc = ? WHERE run = 1",
            (text.decode(), zlib.crc32(text)),
        )
        conn.commit()
    finally:
        conn.close()

    async def load() -> None:
        store = await open_store(url(path), access="read")
        try:
            try:
                await store.load("marked")
            except RunCorrupted as e:
                assert e.run_id == "marked" and "seq 0" in str(e)
            assert len(await store.load("other")) == 14
        finally:
            await store.close()

    asyncio.run(load())
