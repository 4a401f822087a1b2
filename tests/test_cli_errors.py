"""A person's mistakes, and an attacker's store, meet a message and an exit code.

Each test drives the command line as a user would, against a real SQLite store, and
checks what they see (the message, the exit code) and that nothing in the store changed.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from tests.test_cli import PIPELINE
from typer.testing import CliRunner

from seamline.cli import app

STORE = ".seamline/runs.db"
# Importing the pipeline's file leaves a mark: a command that must not run its code
# can be seen not to.
MARKED = PIPELINE + "\nwith open('imported.log', 'a') as marks:\n    marks.write('x')\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pipeline.py").write_text(MARKED)
    (tmp_path / "input.json").write_text(json.dumps({"doc": {"text": "the quick brown fox"}}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEAMLINE_STORE", raising=False)
    monkeypatch.delenv("SEAMLINE_CONFIG", raising=False)
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    # A user's mistake is a message, never a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def dump(path: Path = Path(STORE)) -> list[str]:
    """Everything in a SQLite store, to compare before and after a command."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return list(conn.iterdump())


def waiting_run(workdir: Path) -> tuple[str, str]:
    """A run waiting for its approval: (run id, approval id)."""
    code, out = cli("run", "pipeline.py:pipe", "--input", "input.json", "--json")
    assert code == 0, out
    (pending,) = json.loads(cli("approvals", "--json")[1])
    return pending["run_id"], pending["approval_id"]


def imports(workdir: Path) -> int:
    marks = workdir / "imported.log"
    return len(marks.read_text()) if marks.exists() else 0


# ---------------------------------------------------------------------------------------------
# No code from the store


@pytest.mark.parametrize("command", ["approve", "reject", "resume", "replay"])
def test_a_stored_run_never_says_which_code_to_run(workdir: Path, command: str) -> None:
    run_id, approval_id = waiting_run(workdir)
    before, imported = dump(), imports(workdir)
    target = run_id if command in ("resume", "replay") else approval_id
    extra = ["--reason", "no"] if command == "reject" else []

    code, out = cli(command, target, *extra)

    assert code == 1
    assert "belongs to pipeline 'summaries'" in out and "not configured here" in out
    assert "--pipeline path/to/pipeline.py:pipe" in out
    assert imports(workdir) == imported  # the file the run was started from was not run
    assert dump() == before


def test_the_registry_is_found_from_a_parent_directory(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.seamline.pipelines]\nsummaries = "pipeline.py:pipe"\n'
    )
    _, approval_id = waiting_run(workdir)
    (workdir / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(workdir / "deep" / "er")

    code, out = cli("approve", approval_id, "--store", f"sqlite:///{workdir / STORE}")

    assert code == 0, out
    assert "resumed: succeeded" in out


def test_a_pipeline_of_another_name_is_refused_before_anything_changes(workdir: Path) -> None:
    (workdir / "billing.py").write_text(
        textwrap.dedent(
            """
            import seamline as sl
            from pydantic import BaseModel

            class Doc(BaseModel):
                text: str

            pipe = sl.Pipeline("billing", inputs={"doc": Doc})

            @pipe.step
            def summary(doc: Doc) -> Doc:
                return doc
            """
        )
    )
    _, approval_id = waiting_run(workdir)
    before = dump()

    code, out = cli("approve", approval_id, "--pipeline", "billing.py:pipe")

    assert code == 1
    assert "belongs to pipeline 'summaries', and --pipeline billing.py:pipe is 'billing'" in out
    assert "nothing in the store was changed" in out
    assert dump() == before


def test_a_registered_pipeline_whose_graph_changed_is_noted(workdir: Path) -> None:
    (workdir / "seamline.toml").write_text('[pipelines]\nsummaries = "pipeline.py:pipe"\n')
    _, approval_id = waiting_run(workdir)
    (workdir / "pipeline.py").write_text(MARKED.replace('pipe.approval("summary")', ""))

    result = CliRunner().invoke(app, ["approve", approval_id])

    assert "changed since run" in result.output


# ---------------------------------------------------------------------------------------------
# Files the person names


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "--input given.json: no such file"),
        ("[1, 2]", "--input given.json holds a JSON list; it must hold an object"),
        ("{nope", "--input given.json is not valid JSON: Expecting property name"),
        (b"\xff\xfe{", "--input given.json is not UTF-8 text"),
    ],
)
def test_a_bad_input_file_is_named_and_no_store_is_made(
    workdir: Path, content: str | bytes | None, message: str
) -> None:
    given = workdir / "given.json"
    if isinstance(content, bytes):
        given.write_bytes(content)
    elif content is not None:
        given.write_text(content)

    code, out = cli("run", "pipeline.py:pipe", "--input", "given.json")

    assert code == 1 and message in out
    assert not (workdir / STORE).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "--edit edit.json: no such file"), ("{nope", "--edit edit.json is not valid JSON")],
)
def test_a_bad_edit_file_is_named_and_the_approval_stays_pending(
    workdir: Path, content: str | None, message: str
) -> None:
    (workdir / "seamline.toml").write_text('[pipelines]\nsummaries = "pipeline.py:pipe"\n')
    _, approval_id = waiting_run(workdir)
    if content is not None:
        (workdir / "edit.json").write_text(content)
    before = dump()

    code, out = cli("approve", approval_id, "--edit", "edit.json")

    assert code == 1 and message in out
    assert dump() == before


def test_module_form_runs_from_the_working_directory(workdir: Path) -> None:
    code, out = cli("run", "pipeline:pipe", "--input", "input.json", "--json")
    assert code == 0, out
    assert json.loads(out)["status"] == "waiting"


def test_a_target_without_a_pipeline_lists_what_the_file_has(workdir: Path) -> None:
    code, out = cli("run", "pipeline.py:nope", "--input", "input.json")
    assert code == 1 and "nope" in out and "pipe" in out


# ---------------------------------------------------------------------------------------------
# Stores


@pytest.mark.parametrize(
    "args", [["runs"], ["show", "some-run"], ["approvals"], ["feedback", "export", "-o", "f.jsonl"]]
)
def test_read_commands_refuse_a_store_that_does_not_exist_and_create_nothing(
    workdir: Path, args: list[str]
) -> None:
    code, out = cli(*args, "--store", "sqlite:///mistyped/runs.db")
    assert code == 1
    assert "no store at sqlite:///mistyped/runs.db" in out
    assert not (workdir / "mistyped").exists()


def test_read_commands_write_nothing_to_the_store(workdir: Path) -> None:
    run_id, _ = waiting_run(workdir)
    folder = workdir / ".seamline"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for args in (["runs"], ["show", run_id], ["approvals"], ["runs", "--json"]):
        assert cli(*args)[0] == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_non_finite_busy_timeout_is_a_clear_error(workdir: Path) -> None:
    waiting_run(workdir)
    code, out = cli("runs", "--store", f"sqlite:///{STORE}?busy_timeout=nan")
    assert code == 1 and "busy_timeout must be a number of seconds" in out


def test_a_store_in_an_unwritable_place_is_a_clear_error(workdir: Path) -> None:
    (workdir / "afile").write_text("not a directory")
    code, out = cli(
        "run", "pipeline.py:pipe", "--input", "input.json", "--store", "sqlite:///afile/runs.db"
    )
    assert code == 1 and "afile" in out and "Traceback" not in out


# ---------------------------------------------------------------------------------------------
# Messages that say what happened


def test_resuming_a_failed_run_says_why_it_failed(workdir: Path) -> None:
    (workdir / "boom.py").write_text(
        textwrap.dedent(
            """
            import seamline as sl
            from pydantic import BaseModel

            class Doc(BaseModel):
                text: str

            pipe = sl.Pipeline("boom", inputs={"doc": Doc})

            @pipe.step(attempts=1)
            def summary(doc: Doc) -> Doc:
                raise ValueError("the ledger is closed")
            """
        )
    )
    code, out = cli("run", "boom.py:pipe", "--input", "input.json", "--json")
    assert code == 1
    run_id = json.loads(out)["run_id"]
    before = dump()

    code, out = cli("resume", run_id, "--pipeline", "boom.py:pipe")

    assert code == 1
    assert f"run {run_id} is already failed" in out and "the ledger is closed" in out
    assert dump() == before


def test_resuming_a_finished_run_says_there_is_nothing_to_do(workdir: Path) -> None:
    (workdir / "seamline.toml").write_text('[pipelines]\nsummaries = "pipeline.py:pipe"\n')
    run_id, approval_id = waiting_run(workdir)
    assert cli("approve", approval_id)[0] == 0

    code, out = cli("resume", run_id)

    assert code == 0
    assert f"run {run_id} is already succeeded; there is nothing to continue" in out


def test_hints_name_the_store_that_was_used(workdir: Path) -> None:
    code, out = cli(
        "run", "pipeline.py:pipe", "--input", "input.json", "--store", "sqlite:///elsewhere.db"
    )
    assert code == 0
    assert "seamline show" in out and "--store sqlite:///elsewhere.db" in out
    assert "seamline approvals --store sqlite:///elsewhere.db" in out


def test_hints_never_show_a_store_password(workdir: Path) -> None:
    from seamline.cli._common import store_hint

    assert (
        store_hint("postgresql://app:hunter22@db/runs") == " --store postgresql://app:***@db/runs"
    )


# ---------------------------------------------------------------------------------------------
# The command line itself


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "--status", "sleeping"],
        ["run", "pipeline.py:pipe", "--input", "input.json", "--gates", "maybe"],
        ["approvals", "--limit", "-1"],
        ["runs", "--no-such-option"],
    ],
)
def test_a_mistake_in_the_command_line_exits_2(workdir: Path, args: list[str]) -> None:
    code, _ = cli(*args)
    assert code == 2
    assert not (workdir / STORE).exists()


def test_version(workdir: Path) -> None:
    from importlib.metadata import version

    code, out = cli("--version")
    assert code == 0 and out == f"seamline {version('seamline')}"


def test_approvals_are_paged_newest_first(workdir: Path) -> None:
    for _ in range(3):
        assert cli("run", "pipeline.py:pipe", "--input", "input.json", "--json")[0] == 0
    ids = [p["approval_id"] for p in json.loads(cli("approvals", "--json", "--limit", "0")[1])]
    assert len(ids) == 3

    code, out = cli("approvals", "--json", "--limit", "2")

    assert code == 0
    assert [p["approval_id"] for p in json.loads(out)] == ids[:2]
    runs = [r["run_id"] for r in json.loads(cli("runs", "--json")[1])]
    assert [i.rsplit(".", 1)[0] for i in ids] == runs  # newest first, as runs are


def test_tables_fit_80_columns_and_never_cut_an_id(workdir: Path) -> None:
    run_id, approval_id = waiting_run(workdir)
    for args, wanted in ((["runs"], run_id), (["approvals"], approval_id)):
        result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
        assert result.exit_code == 0
        assert all(len(line) <= 80 for line in result.output.splitlines())
        assert wanted in result.output


def test_show_prints_a_long_artifact_whole(workdir: Path) -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    (workdir / "long.json").write_text(json.dumps({"doc": {"text": text}}))
    code, out = cli("run", "pipeline.py:pipe", "--input", "long.json", "--json")
    run_id = json.loads(out)["run_id"]

    code, out = cli("show", run_id)

    assert code == 0 and "word2999" in out
