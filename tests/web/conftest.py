"""Fixtures for the web UI's tests (the server itself: served.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from seamline.store import RunStore, open_store


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[RunStore]:
    store = await open_store(f"sqlite:///{tmp_path}/runs.db")
    yield store
    await store.close()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def any_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[RunStore]:
    """Each of the three stores: the UI reads them all through the one protocol."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/runs.db"
    else:
        url = request.getfixturevalue("postgres_url")
    store = await open_store(url)
    yield store
    await store.close()
