"""Documents, the passages a search returns, and the approved examples a step can learn from.

A document is text with an id, in a collection. Its version is a hash of its content:
adding the same text again changes nothing, adding a changed text makes a new version
(the old one stays, for the runs that read it). Text, markdown, JSON, CSV and any
Pydantic artifact become documents; files are read by `load_paths`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from seamline.exceptions import ConfigError

MARKDOWN = "text/markdown"
JSON = "application/json"
CSV = "text/csv"
TEXT = "text/plain"
_SUFFIXES = {
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".json": JSON,
    ".csv": CSV,
    ".txt": TEXT,
    ".text": TEXT,
    ".rst": TEXT,
}
_ID = re.compile(r"^[^\x00-\x1f]{1,512}$")
# Collection names: a path-like name that reads well in a URL and a shell.
COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")
Scalar = str | int | float | bool
Where = Mapping[str, Scalar | Sequence[Scalar]]


def check_collection(name: str) -> str:
    if not isinstance(name, str) or not COLLECTION_NAME.match(name):
        raise ConfigError(
            f"collection name {name!r}: use 1-128 letters, digits and _ . : / - "
            "(starting with a letter or digit), e.g. 'style-guide' or 'examples/claims/claim'"
        )
    return name


class Document(BaseModel):
    """One document of a collection.

    Attributes:
        id: unique within its collection; a new text under the same id is a new version.
        text: the content that is chunked and searched.
        media_type: text/markdown (chunked by headings), application/json, text/csv
            (chunked by rows, each with the header), or text/plain.
        title, source: shown with the passages (source: a path, URL or run id).
        metadata: JSON values a search can filter on (`where={"kind": "policy"}`).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    media_type: str = TEXT
    title: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def version(self) -> str:
        """The content hash: 16 hex digits of SHA-256 over the text, type and metadata."""
        digest = hashlib.sha256()
        digest.update(self.media_type.encode())
        digest.update(b"\x00")
        digest.update(json.dumps(self.metadata, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\x00")
        digest.update(self.text.encode())
        return digest.hexdigest()[:16]


def make_document(
    id: str,
    content: str | BaseModel | Mapping[str, Any] | Sequence[Any],
    *,
    media_type: str | None = None,
    title: str | None = None,
    source: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Document:
    """A document from text, a Pydantic artifact, or JSON-ready data.

    Artifacts and JSON data are stored as indented JSON (media type application/json).
    """
    if not isinstance(id, str) or not _ID.match(id):
        raise ConfigError(f"document id {id!r}: use a non-empty string without control characters")
    if isinstance(content, str):
        text, kind = content, media_type or TEXT
    else:
        data = to_jsonable_python(content)
        text, kind = json.dumps(data, indent=2, ensure_ascii=False), media_type or JSON
    try:
        meta = to_jsonable_python(dict(metadata or {}))
    except Exception as e:
        raise ConfigError(f"document {id!r}: metadata must be JSON values ({e})") from None
    return Document(id=id, text=text, media_type=kind, title=title, source=source, metadata=meta)


def load_paths(paths: Sequence[str | Path], *, root: Path | None = None) -> Iterator[Document]:
    """Documents from files and directories (recursively: .md, .txt, .json, .jsonl, .csv).

    A file's id is its path relative to `root` (default: the current directory, or the
    directory given); a .jsonl file gives one document per line, with id `path#N` or
    `path#<the line's "id">`.

    Raises:
        ConfigError: a path that does not exist, or a file that cannot be read as text.
    """
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ConfigError(f"{given}: no such file or directory")
        if path.is_dir():
            base = root or path
            files = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) is not None)
            for file in files:
                yield from _load_file(file, base)
        else:
            yield from _load_file(path, root or Path.cwd())


def _kind(path: Path) -> str | None:
    if path.suffix.lower() == ".jsonl":
        return "jsonl"
    return _SUFFIXES.get(path.suffix.lower())


def _doc_id(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _load_file(path: Path, base: Path) -> Iterator[Document]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path}: not UTF-8 text; convert it (e.g. iconv -t utf-8) or leave it out"
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror})") from None
    doc_id, kind = _doc_id(path, base), _kind(path) or TEXT
    source = path.as_posix()
    if kind == "jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise ConfigError(
                    f"{path}:{n}: not JSON ({e.msg}); fix the line or remove it"
                ) from None
            key = data.get("id") if isinstance(data, dict) else None
            yield make_document(
                f"{doc_id}#{key if key is not None else n}", data, source=f"{source}:{n}"
            )
        return
    if kind == JSON:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if kind == CSV:
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as e:
            raise ConfigError(f"{path}: not valid CSV ({e})") from None
        if not rows:
            return
    yield make_document(
        doc_id, text, media_type=kind, title=_title(text, kind) or path.name, source=source
    )


def _title(text: str, kind: str) -> str | None:
    if kind == MARKDOWN:
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


class Passage(BaseModel):
    """A chunk a search returned: what a step read, with where it came from.

    Attributes:
        collection, document, version: the document and the version (content hash) read.
        chunk: the chunk's position in that version, from 0.
        text: the chunk's text (with the heading path above it, for markdown).
        score: the fused retrieval score; higher is better, comparable within one search.
        source, title, heading: where the document came from, and the section.
        metadata: the document's metadata.
    """

    model_config = ConfigDict(frozen=True)

    collection: str
    document: str
    version: str
    chunk: int
    text: str
    score: float
    source: str | None = None
    title: str | None = None
    heading: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Example(BaseModel):
    """An approved (or edited) artifact, with the inputs it was made from: a few-shot example.

    Attributes:
        step: the step that made it.
        inputs: what the step read (parameter name -> JSON), when the example was written.
        artifact: the artifact a person approved, or their edit of it.
        decision: "approve" or "edit".
        reviewer: who decided (a simulated reviewer says so in its name).
        run_id, approval_id: where it came from.
        taught_by: None when a person decided on this step's artifact; else the
            downstream step whose approval vouched for it (see `seamline.context.learn`).
        score: how near its inputs are to the query; higher is nearer.
    """

    model_config = ConfigDict(frozen=True)

    step: str
    inputs: dict[str, Any]
    artifact: Any
    decision: str
    reviewer: str | None = None
    run_id: str
    approval_id: str
    taught_by: str | None = None
    score: float = 0.0

    def as_pair(self) -> tuple[str, str]:
        """(user text, assistant JSON): the shape `ctx.generate(..., examples=...)` takes."""
        return inputs_text(self.inputs), json.dumps(self.artifact, ensure_ascii=False)


def inputs_text(inputs: Mapping[str, Any]) -> str:
    """The text an example is found by: each input as `name: JSON`, one per line."""
    return "\n".join(
        f"{name}: {json.dumps(to_jsonable_python(value), ensure_ascii=False)}"
        for name, value in inputs.items()
    )
