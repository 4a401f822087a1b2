"""Run stores, opened by URL: `memory://`, `sqlite:///path.db`, `postgresql://...`."""

from __future__ import annotations

from seamline.exceptions import ConfigError
from seamline.store.base import PendingApproval, RunStore, RunSummary
from seamline.store.memory import MemoryStore

__all__ = ["MemoryStore", "PendingApproval", "RunStore", "RunSummary", "open_store"]


_named_memory: dict[str, MemoryStore] = {}


async def open_store(url: str | RunStore) -> RunStore:
    """Open the store at `url` (or return a store object as is).

    `memory://` is a new empty store each time; `memory://name` is one store per name,
    shared within this process (so a run and its later resume find the same log).
    """
    if not isinstance(url, str):
        return url
    if url.startswith("memory://"):
        if url == "memory://":
            return MemoryStore(url)
        return _named_memory.setdefault(url, MemoryStore(url))
    if url.startswith("sqlite:///"):
        from seamline.store.sqlite import SQLiteStore

        return await SQLiteStore.open(url)
    if url.startswith(("postgresql://", "postgres://")):
        from seamline.store.postgres import PostgresStore

        return await PostgresStore.open(url)
    raise ConfigError(
        f"unknown store URL {url!r}: use memory://, sqlite:///path/to/runs.db "
        "or postgresql://user@host/dbname"
    )
