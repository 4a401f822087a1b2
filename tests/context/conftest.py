"""Context-store fixtures: one `context_url` over SQLite, PostgreSQL and pgvector.

PostgreSQL is a real server ($SEAMLINE_TEST_POSTGRES_URL, tests/postgres_fixtures.py),
where the store takes its fallback path (vectors scored in memory). pgvector is
$SEAMLINE_TEST_PGVECTOR_URL, the PGlite server of tests/context/pgvector/server.mjs,
where the store finds the `vector` extension and searches in the database. PGlite is one
PostgreSQL backend whose connections share a session, taking turns (server.mjs): what it
proves is the SQL and the ranking, not locking or concurrency (the PostgreSQL runs do).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from postgres_fixtures import in_ci
from seamline.context import ContextStore, open_context

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("pgvector", marks=pytest.mark.pgvector),
]


@pytest.fixture(params=BACKENDS)
def context_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


# server.mjs creates it: the fixture below empties only a database that has it.
PGLITE_MARKER = "seamline_pglite.marker"


@pytest.fixture
def pgvector_url() -> str:
    """The PGlite server's one database, emptied, with the vector extension created.

    It drops schema public, so it refuses a server without server.mjs's marker table: a
    URL naming a real database fails the test instead of emptying that database."""
    import psycopg

    url = os.environ.get("SEAMLINE_TEST_PGVECTOR_URL")
    if not url:
        message = (
            "SEAMLINE_TEST_PGVECTOR_URL is not set; start a server with "
            "npm ci --prefix tests/context/pgvector && node tests/context/pgvector/server.mjs"
            " (it prints the URL)"
        )
        if in_ci():
            pytest.fail(message + " (CI must run the pgvector tests)", pytrace=False)
        pytest.skip(message)
    with psycopg.connect(url, autocommit=True) as conn:
        (marker,) = conn.execute("SELECT to_regclass(%s)", (PGLITE_MARKER,)).fetchone()
        if marker is None:
            pytest.fail(
                f"SEAMLINE_TEST_PGVECTOR_URL={url} is not the PGlite server of "
                f"tests/context/pgvector/server.mjs (no table {PGLITE_MARKER}); these tests "
                "drop schema public, so they run only there",
                pytrace=False,
            )
        conn.execute("DROP SCHEMA public CASCADE")  # drops the extension too
        conn.execute("CREATE SCHEMA public")
        conn.execute("CREATE EXTENSION vector")
    return url


@pytest.fixture
async def keyword_store(context_url: str) -> AsyncIterator[ContextStore]:
    """A store without an embedder: keyword search only (fast, no model)."""
    store = await open_context(context_url, embedder=None)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def hybrid_store(context_url: str) -> AsyncIterator[ContextStore]:
    """A store with the embedded MiniLM (the real one: it runs offline)."""
    store = await open_context(context_url, embedder="local")
    try:
        yield store
    finally:
        await store.close()
