"""What only the PostgreSQL store does: schema checks, concurrent migrations, URLs."""

from __future__ import annotations

import asyncio
import socket

import psycopg
import pytest
from psycopg import sql

from seamline.events import RunStarted
from seamline.exceptions import SchemaMismatch, StoreError
from seamline.store import open_store
from seamline.store.postgres import SCHEMA_VERSION, PostgresStore, _redacted

pytestmark = pytest.mark.postgres


def tables(url: str) -> dict[str, int]:
    """Every table in the public schema, with its row count."""
    with psycopg.connect(url) as conn:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        counts = {}
        for name in names:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[name] = row[0]
    return counts


async def test_open_store_dispatches(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        assert isinstance(store, PostgresStore)
    finally:
        await store.close()
    assert set(tables(postgres_url)) == {
        "seamline_meta",
        "runs",
        "events",
        "approvals",
        "processes",
    }


async def test_concurrent_first_opens_migrate_once(postgres_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(6)))
    try:
        await stores[0].append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
        assert len(await stores[5].load("run-1")) == 1
    finally:
        for store in stores:
            await store.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT key, value FROM seamline_meta").fetchall() == [
            ("schema_version", str(SCHEMA_VERSION))
        ]


async def test_a_newer_store_is_refused_and_untouched(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    await store.close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE seamline_meta SET value = '99'")
    before = tables(postgres_url)

    with pytest.raises(SchemaMismatch, match=f"schema version 99.*up to {SCHEMA_VERSION}"):
        await PostgresStore.open(postgres_url)

    assert tables(postgres_url) == before


async def test_foreign_tables_of_the_same_name_are_refused_and_untouched(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE runs (id serial PRIMARY KEY, note text)")
        conn.execute("INSERT INTO runs (note) VALUES ('mine')")

    with pytest.raises(SchemaMismatch, match=r"runs.*not a seamline store"):
        await open_store(postgres_url)

    assert tables(postgres_url) == {"runs": 1}


async def test_an_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://someone:s3cret@127.0.0.1:{port}/db"
    with pytest.raises(StoreError, match="cannot connect") as info:
        await PostgresStore.open(url, connect_timeout=1)
    assert "s3cret" not in str(info.value)


def test_passwords_are_redacted() -> None:
    assert _redacted("postgresql://u:p%40ss@h:5/db?x=1") == "postgresql://u:***@h:5/db?x=1"
    assert _redacted("postgresql://u@h/db") == "postgresql://u@h/db"


async def test_a_nul_character_is_refused_with_a_clear_error(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        with pytest.raises(StoreError, match=r"NUL character.*Nothing was written"):
            await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={"x": "a\x00"})])
        with pytest.raises(StoreError, match="no run"):
            await store.load("run-1")
    finally:
        await store.close()
