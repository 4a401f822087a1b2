"""Documents: content-hash versions, artifacts as JSON, loading files with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from seamline.context import load_paths, make_document
from seamline.context.documents import JSON, MARKDOWN, Example, check_collection
from seamline.exceptions import ConfigError


class Character(BaseModel):
    name: str
    eye_color: str


def test_the_version_is_the_content_hash() -> None:
    a = make_document("a", "text")
    assert a.version == make_document("a", "text").version
    assert a.version != make_document("a", "text!").version
    assert a.version != make_document("a", "text", metadata={"k": 1}).version
    assert len(a.version) == 16


def test_an_artifact_becomes_a_json_document() -> None:
    doc = make_document("mara", Character(name="Mara Quinn", eye_color="green"))
    assert doc.media_type == JSON
    assert json.loads(doc.text) == {"name": "Mara Quinn", "eye_color": "green"}


def test_load_paths_reads_directories_jsonl_and_names_ids_by_path(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("# Guide\n\nBe plain.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.jsonl").write_text('{"id": "n1", "text": "a"}\n\n{"text": "b"}\n')
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    docs = {d.id: d for d in load_paths([tmp_path])}
    assert set(docs) == {"guide.md", "sub/notes.jsonl#n1", "sub/notes.jsonl#3"}
    assert docs["guide.md"].media_type == MARKDOWN and docs["guide.md"].title == "Guide"


def test_bad_inputs_get_errors_that_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        list(load_paths([tmp_path / "missing.md"]))
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: not JSON"):
        list(load_paths([tmp_path / "bad.jsonl"]))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        list(load_paths([tmp_path / "latin1.txt"]))
    with pytest.raises(ConfigError, match="collection name"):
        check_collection("has space")
    with pytest.raises(ConfigError, match="document id"):
        make_document("", "x")


def test_an_example_is_a_few_shot_pair() -> None:
    ex = Example(
        step="claim",
        inputs={"doc": {"text": "Ana claims $1,200"}},
        artifact={"amount": 1200.0},
        decision="edit",
        run_id="r1",
        approval_id="r1.7",
    )
    user, assistant = ex.as_pair()
    assert user == 'doc: {"text": "Ana claims $1,200"}'
    assert json.loads(assistant) == {"amount": 1200.0}
