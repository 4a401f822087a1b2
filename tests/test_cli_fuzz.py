"""Whatever a file or a store holds, every command that reads it ends with a message and
an exit code (0, 1 or 2), never a traceback.

Random bytes and random JSON that looks like what the command expects are fed to each
command that reads a file (`run --input`, `approve --edit`, `seamline.toml`), and stores
damaged at random places are fed to every command that reads a store.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.test_cli import PIPELINE
from typer.testing import CliRunner

from seamline.cli import app

pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# JSON shaped like what the commands read: objects with the names they look for.
looks_valid = st.fixed_dictionaries(
    {},
    optional={
        "doc": json_values | st.fixed_dictionaries({"text": json_values}),
        "words": json_values,
        "text": json_values,
    },
)
contents = st.binary(max_size=200) | json_values.map(json.dumps) | looks_valid.map(json.dumps)


def invoke(*args: str) -> int:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"seamline {' '.join(args)} raised {result.exception!r}\n{result.output}"
        )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    return result.exit_code


@contextlib.contextmanager
def in_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="module")
def prepared() -> Iterator[dict[str, Any]]:
    """A directory with a pipeline, a store holding one waiting run, and its approval."""
    root = Path(tempfile.mkdtemp(prefix="seamline-fuzz-"))
    (root / "pipeline.py").write_text(PIPELINE)
    (root / "seamline.toml").write_text('[pipelines]\nsummaries = "pipeline.py:pipe"\n')
    (root / "input.json").write_text(json.dumps({"doc": {"text": "a b c"}}))
    with in_directory(root):
        result = CliRunner().invoke(
            app, ["run", "pipeline.py:pipe", "--input", "input.json", "--json"]
        )
        run_id = json.loads(result.output)["run_id"]
        pending = json.loads(CliRunner().invoke(app, ["approvals", "--json"]).output)
    try:
        yield {"root": root, "run_id": run_id, "approval_id": pending[0]["approval_id"]}
    finally:
        shutil.rmtree(root)


@contextlib.contextmanager
def copy_of(prepared: dict[str, Any]) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="seamline-fuzz-case-"))
    try:
        shutil.copytree(prepared["root"], work, dirs_exist_ok=True)
        with in_directory(work):
            yield work
    finally:
        shutil.rmtree(work)


@SETTINGS
@given(content=contents)
def test_run_reads_any_input_file(prepared: dict[str, Any], content: str | bytes) -> None:
    with copy_of(prepared) as work:
        given_file = work / "given.json"
        given_file.write_bytes(content if isinstance(content, bytes) else content.encode())
        invoke("run", "pipeline.py:pipe", "--input", "given.json", "--json")


@SETTINGS
@given(content=contents)
def test_approve_reads_any_edit_file(prepared: dict[str, Any], content: str | bytes) -> None:
    with copy_of(prepared) as work:
        (work / "edit.json").write_bytes(
            content if isinstance(content, bytes) else content.encode()
        )
        invoke("approve", prepared["approval_id"], "--edit", "edit.json", "--json")


@SETTINGS
@given(content=st.binary(max_size=200) | st.text(max_size=200))
def test_resume_reads_any_seamline_toml(prepared: dict[str, Any], content: str | bytes) -> None:
    with copy_of(prepared) as work:
        (work / "seamline.toml").write_bytes(
            content if isinstance(content, bytes) else content.encode()
        )
        invoke("resume", prepared["run_id"], "--json")


READERS = (
    ["runs"],
    ["show", "{run_id}", "--json"],
    ["approvals"],
    ["replay", "{run_id}"],
    ["feedback", "export", "-o", "out.jsonl"],
)


@SETTINGS
@given(
    damage=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
        min_size=1,
        max_size=4,
    )
)
# Found by CI: an undecodable byte in a text column makes the sqlite3 module raise an
# OperationalError of its own, without `sqlite_errorcode`.
@example(damage=[(0.208984375, b"\x80")])
def test_every_reader_survives_a_damaged_store(
    prepared: dict[str, Any], damage: list[tuple[float, bytes]]
) -> None:
    with copy_of(prepared) as work:
        store = work / ".seamline" / "runs.db"
        data = bytearray(store.read_bytes())
        for where, junk in damage:
            at = int(where * len(data))
            data[at : at + len(junk)] = junk
        store.write_bytes(bytes(data))
        for args in READERS:
            invoke(*(a.format(run_id=prepared["run_id"]) for a in args))


@SETTINGS
@given(content=st.binary(max_size=300))
def test_every_reader_survives_a_file_that_is_no_store(
    prepared: dict[str, Any], content: bytes
) -> None:
    with copy_of(prepared) as work:
        (work / "junk.db").write_bytes(content)
        for args in READERS:
            assert (
                invoke(*(a.format(run_id="r") for a in args), "--store", "sqlite:///junk.db") != 0
            )
