"""Fixtures for the store tests: one `store` fixture over memory, SQLite and PostgreSQL.

PostgreSQL tests use the server at $SEAMLINE_TEST_POSTGRES_URL (`.ci/postgres.sh start`
prints one). Each session creates its own database there and drops it afterwards; each
test starts from an empty schema. Without the variable those tests are skipped, except
under CI, where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sample_runs import Connect

from seamline.store import RunStore, open_store

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("SEAMLINE_TEST_POSTGRES_URL")
    if not url:
        message = (
            "SEAMLINE_TEST_POSTGRES_URL is not set; start a server with "
            'export SEAMLINE_TEST_POSTGRES_URL="$(.ci/postgres.sh start)"'
        )
        if _in_ci():
            pytest.fail(message + " (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A database of this session's own, dropped at the end."""
    import psycopg
    from psycopg import sql

    name = f"seamline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(postgres_server)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's database, emptied: every test starts without tables."""
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_database


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: os.PathLike[str], request: pytest.FixtureRequest) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"  # tmp_path is absolute: sqlite:////tmp/...
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def connect(store_url: str) -> AsyncIterator[Connect]:
    """Opens another handle on the test's store, as another process would.

    For memory:// there is only one store, so every call returns the same one.
    """
    opened: list[RunStore] = []

    async def _connect() -> RunStore:
        if opened and store_url.startswith("memory://"):
            return opened[0]
        store = await open_store(store_url)
        opened.append(store)
        return store

    yield _connect
    for store in opened:
        await store.close()


@pytest.fixture
async def store(connect: Connect) -> RunStore:
    return await connect()
