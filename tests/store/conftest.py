"""Fixtures for the store tests: one `store` fixture over memory, SQLite and PostgreSQL.

PostgreSQL comes from `postgres_url` (tests/postgres_fixtures.py): the server at
$SEAMLINE_TEST_POSTGRES_URL, a database of the session's own, emptied for each test;
skipped without the variable, except under CI, where it fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sample_runs import Connect

from seamline.store import RunStore, open_store

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
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
