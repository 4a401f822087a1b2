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
