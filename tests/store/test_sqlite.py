"""What only the SQLite store does: URLs, files, schema checks, waiting for other writers."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest
from sample_runs import six_step_run

from seamline.events import RunStarted, StepStarted
from seamline.exceptions import ConfigError, SchemaMismatch, StoreError
from seamline.store import open_store
from seamline.store.sqlite import SCHEMA_VERSION, SQLiteStore


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
        assert raw.execute("SELECT count(*) FROM events").fetchone() == (14,)
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


async def test_a_directory_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "runs.db").mkdir()
    with pytest.raises(StoreError, match="cannot") as info:
        await open_store(url(tmp_path / "runs.db"))
    assert not isinstance(info.value, SchemaMismatch)
