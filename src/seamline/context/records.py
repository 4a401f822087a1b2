"""The context store's records: what its methods return, and the small values they share."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seamline.context.chunking import Chunk
from seamline.context.documents import Document, Where
from seamline.exceptions import ConfigError

_WHERE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_TERM = re.compile(r"\w+", re.UNICODE)
_INT64 = range(-(2**63), 2**63)  # what SQLite can bind; a wider int cannot be matched there


@dataclass(frozen=True, slots=True)
class CollectionRow:
    id: int
    name: str
    embedder: str | None
    dim: int | None
    revision: int


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """What `seamline context list` shows of a collection."""

    name: str
    documents: int  # live at the current revision
    chunks: int
    revision: int
    embedder: str | None
    updated_at: float | None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a document: its content hash and the revisions it is live in."""

    document: str
    version: str
    added_revision: int
    removed_revision: int | None
    added_at: float


@dataclass(frozen=True, slots=True)
class AddResult:
    """What an `add` or `remove` changed."""

    collection: str
    revision: int  # the collection's revision after it (unchanged if nothing changed)
    added: int  # documents with a new version
    unchanged: int  # documents whose content was already the live version
    removed: int
    chunks: int  # chunks written


@dataclass(slots=True)
class NewVersion:
    document: Document
    chunks: list[Chunk]
    vectors: Any  # float32[len(chunks), dim], or None for keyword-only collections


def check_where(where: Where | None) -> dict[str, list[Any]]:
    """`where` as key -> allowed values. Raises `ConfigError` on a key or value that
    cannot be matched."""
    out: dict[str, list[Any]] = {}
    for key, value in (where or {}).items():
        if not isinstance(key, str) or not _WHERE_KEY.match(key):
            raise ConfigError(f"where key {key!r}: use a metadata field name (letters, digits, _)")
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        for v in values:
            if not isinstance(v, str | int | float | bool):
                raise ConfigError(
                    f"where[{key!r}] = {v!r}: match a string, number or boolean (or a list of them)"
                )
            if isinstance(v, int) and v not in _INT64:
                raise ConfigError(
                    f"where[{key!r}] = {v!r}: integers must fit in 64 bits (-2**63 to 2**63 - 1)"
                )
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"where[{key!r}] = {v!r}: match a finite number")
        out[key] = values
    return out


def matches(metadata: Mapping[str, Any], where: Mapping[str, list[Any]]) -> bool:
    """Whether `metadata` passes `where` (from `check_where`): each key's value is a scalar
    equal to one of the allowed values, as JSON compares them: a list or object value
    matches nothing (not even its JSON text), a boolean only a boolean (True is not 1),
    a number any equal number (1 is 1.0). The SQL of every store says the same."""
    return all(any(_same(metadata.get(key), v) for v in values) for key, values in where.items())


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, list | dict) or value is None:
        return False
    return isinstance(value, bool) == isinstance(wanted, bool) and value == wanted


def query_terms(query: str) -> list[str]:
    """The query's words, lowercased, each once, in order."""
    seen: dict[str, None] = {}
    for term in _TERM.findall(query.lower()):
        seen.setdefault(term, None)
    return list(seen)


def dump_metadata(metadata: Mapping[str, Any]) -> str:
    return json.dumps(metadata, sort_keys=True, ensure_ascii=False)


def now() -> float:
    return time.time()
