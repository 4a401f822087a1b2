"""Context-store fixtures: one `context_url` over SQLite and PostgreSQL (a real server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from seamline.context import ContextStore, open_context

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def context_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    url: str = request.getfixturevalue("postgres_url")
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
