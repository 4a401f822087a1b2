"""Run stores, opened by URL: `memory://`, `sqlite:///path.db`, `postgresql://...`.

Stores register by URL scheme: `register_store("redis", opener)` adds one, and a package
can offer one through the `seamline.stores` entry point group (the name is the scheme,
the value an async `opener(url) -> RunStore`), found the first time its scheme is used.
An opener that takes an `access` keyword is told how the store is opened (`Access`):
"create" to run pipelines, "write" to change runs that exist, "read" to read them.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

from seamline.exceptions import ConfigError
from seamline.store.base import Access, ApprovalRecord, PendingApproval, RunStore, RunSummary
from seamline.store.memory import MemoryStore

__all__ = [
    "Access",
    "ApprovalRecord",
    "MemoryStore",
    "PendingApproval",
    "RunStore",
    "RunSummary",
    "open_store",
    "register_store",
]

Opener = Callable[..., Awaitable[RunStore]]

_named_memory: dict[str, MemoryStore] = {}


async def _memory(url: str, *, access: Access = "create") -> RunStore:
    """`memory://` is a new empty store each time; `memory://name` is one store per name,
    shared within this process (so a run and its later resume find the same log)."""
    if url == "memory://":
        return MemoryStore(url)
    return _named_memory.setdefault(url, MemoryStore(url))


async def _sqlite(url: str, *, access: Access = "create") -> RunStore:
    from seamline.store.sqlite import SQLiteStore

    return await SQLiteStore.open(url, access=access)


async def _postgres(url: str, *, access: Access = "create") -> RunStore:
    from seamline.store.postgres import PostgresStore

    return await PostgresStore.open(url, access=access)


_openers: dict[str, Opener] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


_takes_access: dict[Any, bool] = {_memory: True, _sqlite: True, _postgres: True}


def register_store(scheme: str, opener: Opener) -> None:
    """Open URLs `scheme://...` with `await opener(url)` (`opener(url, access=...)` if it
    takes that keyword)."""
    _openers[scheme] = opener


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else ""


async def open_store(url: str | RunStore, *, access: Access = "create") -> RunStore:
    """Open the store at `url` (or return a store object as is).

    Args:
        access: "create" (the default: running pipelines) makes the store if it does
            not exist; "write" (resuming, deciding) needs it to exist; "read" needs it
            to exist and writes nothing (an SQLite file is opened read-only).

    Raises:
        ConfigError: the URL names no known kind of store, or is malformed.
        StoreError: the store cannot be opened as asked; the message says why.
    """
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
    takes = _takes_access.get(opener)
    if takes is None:
        try:
            parameters = inspect.signature(opener).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        takes = _takes_access[opener] = "access" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )
    return await (opener(url, access=access) if takes else opener(url))
