"""What only the PostgreSQL store does: schema checks, concurrent migrations, URLs."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from seamline.events import RunFinished, RunStarted, RunStatus
from seamline.exceptions import RunCorrupted, SchemaMismatch, StoreError
from seamline.redact import redact_url
from seamline.store import open_store
from seamline.store.postgres import SCHEMA_VERSION, PostgresStore

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
    assert redact_url("postgresql://u:p%40ss@h:5/db?x=1") == "postgresql://u:***@h:5/db?x=1"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert (
        redact_url("postgresql://u@h/db?sslmode=require&password=s3cret")
        == "postgresql://u@h/db?sslmode=require&password=***"
    )


async def test_a_nul_character_is_refused_with_a_clear_error(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        with pytest.raises(StoreError, match=r"NUL character.*Nothing was written"):
            await store.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={"x": "a\x00"})])
        with pytest.raises(StoreError, match="no run"):
            await store.load("run-1")
    finally:
        await store.close()


# -- opening to read, and refusals that do not wait ---------------------------------------


async def test_reading_an_empty_database_is_refused_and_creates_nothing(postgres_url: str) -> None:
    with pytest.raises(StoreError, match=r"no seamline store in .*no seamline tables.*--store"):
        await open_store(postgres_url, access="read")
    assert tables(postgres_url) == {}


async def test_reading_refuses_writes(postgres_url: str) -> None:
    writer = await PostgresStore.open(postgres_url)
    await writer.append("run-1", [RunStarted(seq=0, pipeline="p", inputs={})])
    await writer.close()
    reader = await open_store(postgres_url, access="read")
    try:
        assert [r.run_id for r in await reader.runs()] == ["run-1"]
        with pytest.raises(StoreError, match="read-only transaction"):
            await reader.append("run-2", [RunStarted(seq=0, pipeline="p", inputs={})])
    finally:
        await reader.close()
    assert tables(postgres_url)["runs"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"path": "/no_such_database_here"},
            r'database "no_such_database_here" does not exist.*createdb',
        ),
        ({"user": "no_such_role"}, r'role "no_such_role" does not exist.*fix the user name'),
    ],
)
async def test_a_permanent_refusal_fails_at_once(
    postgres_url: str, change: dict[str, str], message: str
) -> None:
    parts = urlsplit(postgres_url)
    if "user" in change:
        parts = parts._replace(netloc=f"{change['user']}:pw-4711@{parts.hostname}:{parts.port}")
    else:
        parts = parts._replace(path=change["path"])
    url = urlunsplit(parts)
    with pytest.raises(StoreError, match=message) as info:
        await PostgresStore.open(url, connect_timeout=30)
    # From the first refusal, not from waiting out the 30 s connect timeout.
    assert "within 30s" not in str(info.value)
    assert "pw-4711" not in str(info.value)


def test_refusals_are_told_apart_from_passing_trouble() -> None:
    from seamline.store.postgres import _TRANSIENT, _hint

    assert "password" in _hint('FATAL:  password authentication failed for user "ana"')
    for passing in ("the database system is starting up", "Connection refused"):
        assert any(word in passing.lower() for word in _TRANSIENT)


# -- integrity: every event row has a digest the server checks on reading -----------------


async def _with_two_runs(url: str) -> None:
    store = await PostgresStore.open(url)
    try:
        await store.append("kept", [RunStarted(seq=0, pipeline="p", inputs={"x": "fine"})])
        await store.append(
            "damaged",
            [
                RunStarted(seq=0, pipeline="p", inputs={"x": "a"}),
                RunFinished(seq=1, status=RunStatus.SUCCEEDED),
            ],
        )
    finally:
        await store.close()


async def test_a_changed_row_is_reported_as_corruption(postgres_url: str) -> None:
    await _with_two_runs(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{status}', '\"failed\"') "
            "WHERE seq = 1 AND run = (SELECT id FROM runs WHERE run_id = 'damaged')"
        )
    store = await open_store(postgres_url, access="read")
    try:
        with pytest.raises(RunCorrupted) as info:
            await store.load("damaged")
        assert info.value.seq == 1
        assert "run 'damaged'" in str(info.value) and "does not match its digest" in str(info.value)
        assert len(await store.load("kept")) == 1
        assert {r.run_id for r in await store.runs()} == {"kept", "damaged"}
    finally:
        await store.close()


async def test_a_schema_2_store_is_read_as_it_is_and_migrated_by_a_writer(
    postgres_url: str,
) -> None:
    await _with_two_runs(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE events DROP COLUMN digest")
        conn.execute("UPDATE seamline_meta SET value = '2'")
    reader = await open_store(postgres_url, access="read")
    try:
        assert len(await reader.load("damaged")) == 2
    finally:
        await reader.close()
    writer = await open_store(postgres_url, access="write")
    try:
        assert len(await writer.load("damaged")) == 2  # every row has its digest now
    finally:
        await writer.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE digest IS NULL").fetchone() == (0,)
        assert conn.execute("SELECT value FROM seamline_meta").fetchone() == (str(SCHEMA_VERSION),)


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(["pipeline", "inputs", "options", "status", "x"]),
        # JSONB cannot hold NUL (the store refuses it: test_a_nul_character_...): no row has it.
        st.none()
        | st.integers()
        | st.text(st.characters(blacklist_characters="\x00"), max_size=5)
        | st.lists(st.integers(), max_size=2),
        max_size=4,
    )
)
def test_any_payload_with_a_valid_digest_decodes_or_is_reported(
    postgres_url: str, payload: dict[str, object]
) -> None:
    import json

    from seamline.store.migrations.postgres import digest_of

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('events')").fetchone() == (None,):
            asyncio.run(_with_two_runs(postgres_url))
        conn.execute(
            "UPDATE events SET payload = %s::jsonb WHERE seq = 0 AND "
            "run = (SELECT id FROM runs WHERE run_id = 'damaged')",
            (json.dumps(payload),),
        )
        conn.execute("UPDATE events SET digest = " + digest_of("seq", "at", "kind", "payload"))

    async def load() -> None:
        store = await open_store(postgres_url, access="read")
        try:
            try:
                await store.load("damaged")
            except RunCorrupted as e:
                assert e.run_id == "damaged" and e.seq == 0
            assert len(await store.load("kept")) == 1
        finally:
            await store.close()

    asyncio.run(load())
