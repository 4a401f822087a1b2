"""Run stores, opened by URL: `memory://`, `sqlite:///path.db`, `postgresql://...`.

Stores register by URL scheme: `register_store("redis", opener)` adds one, and a package
can offer one through the `seamline.stores` entry point group (the name is the scheme,
the value an async `opener(url) -> RunStore`), found the first time its scheme is used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points

from seamline.exceptions import ConfigError
from seamline.store.base import ApprovalRecord, PendingApproval, RunStore, RunSummary
from seamline.store.memory import MemoryStore

__all__ = [
    "ApprovalRecord",
    "MemoryStore",
    "PendingApproval",
    "RunStore",
    "RunSummary",
    "open_store",
    "register_store",
]

Opener = Callable[[str], Awaitable[RunStore]]

_named_memory: dict[str, MemoryStore] = {}


async def _memory(url: str) -> RunStore:
    """`memory://` is a new empty store each time; `memory://name` is one store per name,
    shared within this process (so a run and its later resume find the same log)."""
    if url == "memory://":
        return MemoryStore(url)
    return _named_memory.setdefault(url, MemoryStore(url))


async def _sqlite(url: str) -> RunStore:
    from seamline.store.sqlite import SQLiteStore

    return await SQLiteStore.open(url)


async def _postgres(url: str) -> RunStore:
    from seamline.store.postgres import PostgresStore

    return await PostgresStore.open(url)


_openers: dict[str, Opener] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def register_store(scheme: str, opener: Opener) -> None:
    """Open URLs `scheme://...` with `await opener(url)`."""
    _openers[scheme] = opener


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else ""


async def open_store(url: str | RunStore) -> RunStore:
    """Open the store at `url` (or return a store object as is)."""
    if not isinstance(url, str):
        return url
    scheme = _scheme(url)
    opener = _openers.get(scheme)
    if opener is None and scheme:
        for entry in entry_points(group="seamline.stores"):
            if entry.name == scheme:
                opener = _openers[scheme] = entry.load()
                break
    if opener is None:
        known = ", ".join(f"{s}://" for s in sorted(_openers))
        raise ConfigError(
            f"unknown store URL {url!r}: use memory://, sqlite:///path/to/runs.db or "
            f"postgresql://user@host/dbname (schemes known here: {known})"
        )
    return await opener(url)
