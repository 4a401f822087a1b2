"""Opening an SQLite store's file: to create, to write, to read; options; schema 4 to 5."""

from __future__ import annotations

import os
import sqlite3
import zlib
from pathlib import Path

import pytest
from sample_runs import as_json, six_step_run

from seamline.events import RunStarted
from seamline.exceptions import ConfigError, RunCorrupted, StoreError
from seamline.store import open_store
from seamline.store.sqlite import SCHEMA_VERSION, SQLiteStore

T0 = 1_760_000_000.0


def url(path: Path, query: str = "") -> str:
    return f"sqlite:///{path}" + (f"?{query}" if query else "")


async def write_runs(path: Path, *run_ids: str) -> None:
    store = await SQLiteStore.open(url(path))
    try:
        for n, run_id in enumerate(run_ids):
            for batch in six_step_run(n, T0 + n):
                await store.append(run_id, batch)
    finally:
        await store.close()


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("access", ["read", "write"])
async def test_a_missing_store_is_refused_and_nothing_is_created(
    tmp_path: Path, access: str
) -> None:
    missing = tmp_path / "typo" / "runs.db"
    with pytest.raises(StoreError, match=r"no store at .*typo/runs.db does not exist.*--store"):
        await open_store(url(missing), access=access)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


async def test_reading_writes_nothing_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    await write_runs(path, "run-1")
    before = files(tmp_path)

    store = await open_store(url(path), access="read")
    try:
        assert [r.run_id for r in await store.runs()] == ["run-1"]
        assert as_json(await store.load("run-1")) == as_json(
            [e for b in six_step_run(0, T0) for e in b]
        )
        with pytest.raises(StoreError, match="readonly"):
            await store.append("run-2", [RunStarted(seq=0, pipeline="p", inputs={})])
    finally:
        await store.close()
    after = files(tmp_path)
    assert after["runs.db"] == before["runs.db"]
    assert [r.run_id for r in await _runs(path)] == ["run-1"]


async def _runs(path: Path) -> list:  # type: ignore[type-arg]
    store = await open_store(url(path), access="read")
    try:
        return await store.runs()
    finally:
        await store.close()


async def test_an_empty_file_is_not_a_store_to_read(tmp_path: Path) -> None:
    (tmp_path / "runs.db").write_bytes(b"")
    with pytest.raises(StoreError, match="empty file, not a seamline store"):
        await open_store(url(tmp_path / "runs.db"), access="read")
    assert (tmp_path / "runs.db").read_bytes() == b""


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("busy_timeout=nan", r"busy_timeout must be a number of seconds, 0 or more.*'nan'"),
        ("busy_timeout=inf", r"busy_timeout must be a number.*'inf'"),
        ("busy_timeout=-1", r"busy_timeout must be a number.*'-1'"),
        ("lease=nan", "lease"),
    ],
)
async def test_numbers_that_are_not_are_config_errors(
    tmp_path: Path, query: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        await open_store(url(tmp_path / "runs.db", query))
    assert os.listdir(tmp_path) == []


def downgrade_to_schema_4(path: Path) -> None:
    """What a store written by the seamline before checksums looks like."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("ALTER TABLE log DROP COLUMN crc")
        conn.execute("ALTER TABLE dictionaries DROP COLUMN crc")
        conn.execute("UPDATE seamline_meta SET value = '4' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()


async def test_a_schema_4_store_is_read_as_it_is_and_migrated_by_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    await write_runs(path, "run-1", "run-2", "run-3")  # run-1 makes a dictionary
    downgrade_to_schema_4(path)
    before = path.read_bytes()

    reader = await open_store(url(path), access="read")
    try:
        assert as_json(await reader.load("run-3")) == as_json(
            [e for b in six_step_run(2, T0 + 2) for e in b]
        )
    finally:
        await reader.close()
    assert path.read_bytes() == before

    writer = await open_store(url(path), access="write")
    await writer.close()
    conn = sqlite3.connect(path)
    try:
        (version,) = conn.execute("SELECT value FROM seamline_meta").fetchone()
        rows = conn.execute("SELECT CAST(data AS BLOB), crc FROM log").fetchall()
        dictionaries = conn.execute("SELECT data, crc FROM dictionaries").fetchall()
    finally:
        conn.close()
    assert int(version) == SCHEMA_VERSION == 5
    assert rows and all(zlib.crc32(data) == crc for data, crc in rows)
    assert dictionaries and all(zlib.crc32(data) == crc for data, crc in dictionaries)

    # From now on a damaged row is caught.
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "UPDATE log SET crc = crc + 1 "
            "WHERE run = 2 AND seq = (SELECT min(seq) FROM log WHERE run = 2)"
        )
        conn.commit()
    finally:
        conn.close()
    store = await open_store(url(path), access="read")
    try:
        with pytest.raises(
            RunCorrupted, match=r"run 'run-2' .* is damaged at seqs 0-\d+: its stored bytes fail"
        ):
            await store.load("run-2")
    finally:
        await store.close()


async def test_an_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    # A file where the store's directory should be: nothing can be created under it.
    (tmp_path / "dir").write_text("not a directory")
    with pytest.raises(StoreError, match=r"cannot create the store .*making .*dir failed"):
        await open_store(url(tmp_path / "dir" / "runs.db"))
