"""The context store's records: what its methods return, and the small values they share."""

from __future__ import annotations

import json
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
        out[key] = values
    return out


def matches(metadata: Mapping[str, Any], where: Mapping[str, list[Any]]) -> bool:
    return all(metadata.get(key) in values for key, values in where.items())


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
