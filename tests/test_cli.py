"""The command line, driven as a user would, against a real SQLite store."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seamline.cli import app

PIPELINE = textwrap.dedent(
    """
    from pydantic import BaseModel
    import seamline as sl


    class Doc(BaseModel):
        text: str


    class Summary(BaseModel):
        words: int
        text: str


    pipe = sl.Pipeline("summaries", inputs={"doc": Doc})


    @pipe.step
    def summary(doc: Doc, ctx: sl.StepContext) -> Summary:
        words = doc.text.split()
        # The first attempt drops a word; the gate catches it and the retry is right.
        if ctx.attempt == 1 and len(words) > 2:
            words = words[:-1]
        return Summary(words=len(words), text=" ".join(words))


    @pipe.step
    def published(summary: Summary) -> Summary:
        return summary


    pipe.gate(
        "summary",
        sl.check("keeps every word", lambda summary, doc: summary.words == len(doc.text.split())),
        on_fail=sl.retry(1),
    )
    pipe.approval("summary")
    """
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    # The pipelines this person trusts: commands that continue a stored run load them.
    (tmp_path / "seamline.toml").write_text('[pipelines]\nsummaries = "pipeline.py:pipe"\n')
    (tmp_path / "input.json").write_text(json.dumps({"doc": {"text": "the quick brown fox"}}))
    (tmp_path / "tasks.jsonl").write_text(
        "\n".join(json.dumps({"doc": {"text": t}}) for t in ["a b c", "one two", "x y z w"]) + "\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEAMLINE_STORE", f"sqlite:///{tmp_path}/runs.db")
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.output


def flat(out: str) -> str:
    """Output with rich's boxes and line wrapping undone, to look for a message in."""
    return " ".join(out.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def test_run_then_approve_then_inspect(workdir: Path) -> None:
    code, out = cli("run", "pipeline.py:pipe", "--input", "input.json", "--json")
    assert code == 0, out
    run = json.loads(out)
    assert run["status"] == "waiting" and run["artifacts"]["summary"]["words"] == 4

    code, out = cli("approvals", "--json")
    (pending,) = json.loads(out)
    assert pending["step"] == "summary" and pending["run_id"] == run["run_id"]

    code, out = cli("approve", pending["approval_id"], "--reviewer", "ana")
    assert code == 0, out
    assert f"run {run['run_id']} resumed: succeeded" in out

    code, out = cli("runs", "--status", "succeeded", "--json")
    assert [r["run_id"] for r in json.loads(out)] == [run["run_id"]]

    code, out = cli("show", run["run_id"])
    assert code == 0
    assert "gate failed → retry: keeps every word" in out
    assert "approve by ana" in out and "run succeeded" in out

    code, out = cli("replay", run["run_id"])
    assert code == 0 and "every request as recorded" in out


def test_reject_routes_back_and_feedback_export_counts_it(workdir: Path) -> None:
    cli("run", "pipeline.py:pipe", "--input", "input.json", "--json")
    (pending,) = json.loads(cli("approvals", "--json")[1])
    code, out = cli("reject", pending["approval_id"], "--reason", "too terse", "--reviewer", "bo")
    assert code == 0, out
    assert "resumed: waiting" in out  # redone, and waiting for a new approval
    (again,) = json.loads(cli("approvals", "--json")[1])
    assert again["approval_id"] != pending["approval_id"]

    code, out = cli("feedback", "export", "-o", "decisions.jsonl", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["rows"] == 1
    (row,) = [json.loads(line) for line in (workdir / "decisions.jsonl").read_text().splitlines()]
    assert row["decision"] == "reject" and row["reason"] == "too terse" and row["reviewer"] == "bo"
    assert row["gate_passed"] is True and row["human_agrees"] is False
    assert summary["agreement"] == {"summary": {"decisions": 1, "agree": 0, "rate": 0.0}}


def test_deciding_twice_exits_non_zero_and_says_why(workdir: Path) -> None:
    cli("run", "pipeline.py:pipe", "--input", "input.json", "--json")
    (pending,) = json.loads(cli("approvals", "--json")[1])
    assert cli("approve", pending["approval_id"])[0] == 0
    code, out = cli("approve", pending["approval_id"])
    assert code == 1 and "is not pending" in out


def test_eval_reports_shadow_against_gated_and_enforces_a_floor(workdir: Path) -> None:
    code, out = cli(
        "eval",
        "pipeline.py:pipe",
        "--dataset",
        "tasks.jsonl",
        "--name",
        "v1",
        "--html",
        "report.html",
        "--json",
    )
    assert code == 0, out
    report = json.loads(out)
    assert set(report["modes"]) >= {"shadow", "on"}
    assert "<svg" in (workdir / "report.html").read_text()
    # Runs wait at the approval, so no task passes: a floor on the gated rate fails.
    code, out = cli(
        "eval",
        "pipeline.py:pipe",
        "--dataset",
        "tasks.jsonl",
        "--name",
        "v1",
        "--min-pass-rate",
        "0.5",
    )
    assert code == 1 and "below --min-pass-rate" in out


def test_compare_two_stored_evals(workdir: Path) -> None:
    assert (
        cli("eval", "pipeline.py:pipe", "--dataset", "tasks.jsonl", "--name", "a", "--json")[0] == 0
    )
    assert (
        cli("eval", "pipeline.py:pipe", "--dataset", "tasks.jsonl", "--name", "b", "--json")[0] == 0
    )
    code, out = cli("eval", "--compare", "a", "b", "--json")
    assert code == 0, out
    rows = {r["metric"]: r for r in json.loads(out)}
    assert rows["first-pass yield: summary"]["a"] == rows["first-pass yield: summary"]["b"]
    assert rows["first-pass yield: summary"]["significant"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nowhere.py:pipe", "--input", "input.json"], "no file 'nowhere.py'"),
        (
            ["run", "pipeline.py:nope", "--input", "input.json"],
            "no Pipeline named 'nope'; it has ['pipe']",
        ),
        (
            ["run", "pipeline.py:pipe", "--input", "input.json", "--gates", "maybe"],
            "'maybe' is not one of 'on', 'shadow', 'off'",
        ),
        (["runs", "--status", "sleeping"], "'sleeping' is not one of 'running'"),
        (["show", "no-such-run"], "no store at sqlite:///"),
        (["worker", "pipeline.py:pipe"], "give the Temporal to work for: --temporal"),
        (
            ["worker", "pipeline.py:pipe", "--temporal", "http://x:7233"],
            "is not a temporal:// URL",
        ),
        (
            ["worker", "pipeline.py:pipe", "--temporal", "temporal://x", "--store", "memory://w"],
            "lives in one process",
        ),
        (
            ["run", "pipeline.py:pipe", "--input", "input.json", "--engine", "temporal://x?q=1"],
            "unknown option(s) ['q']",
        ),
        (["ui", "--token-file", "missing.txt"], "cannot read the token file missing.txt"),
        (["ui", "--webhook", "http://x"], "use TYPE=URL with TYPE one of"),
        (["ui", "--webhook", "run_failed=http://x"], "SEAMLINE_WEBHOOK_SECRET"),
        (["ui", "--pipeline", "nowhere.py:pipe"], "no file 'nowhere.py'"),
        (["ui", "--reports", "nowhere"], "--reports nowhere: not a folder"),
    ],
)
def test_bad_input_gets_a_clear_error(workdir: Path, args: list[str], message: str) -> None:
    code, out = cli(*args)
    assert code != 0 and message in flat(out)


def test_eval_reports_judge_human_agreement_once_humans_decided(workdir: Path) -> None:
    assert (
        cli(
            "eval",
            "pipeline.py:pipe",
            "--dataset",
            "tasks.jsonl",
            "--name",
            "h",
            "--gates",
            "on",
            "--json",
        )[0]
        == 0
    )
    pending = json.loads(cli("approvals", "--json")[1])
    assert len(pending) == 3
    cli("approve", pending[0]["approval_id"], "--no-resume")
    cli("reject", pending[1]["approval_id"], "--reason", "wrong", "--no-resume")
    code, out = cli(
        "eval",
        "pipeline.py:pipe",
        "--dataset",
        "tasks.jsonl",
        "--name",
        "h",
        "--gates",
        "on",
        "--json",
    )
    assert code == 0, out
    # The gate passed both artifacts: the approval agrees with it, the rejection does not.
    assert json.loads(out)["judge_human_agreement"] == {
        "summary": {"decisions": 2, "agree": 1, "rate": 0.5}
    }


def test_eval_says_runs_wait_and_a_reviewer_decides_them(workdir: Path) -> None:
    code, out = cli("eval", "pipeline.py:pipe", "--dataset", "tasks.jsonl", "--gates", "on")
    assert code == 0, out
    said = " ".join(out.split())  # the note wraps at the terminal's width
    assert "3 runs waiting for a person (3 approvals pending)" in said
    assert "--reviewer approve|expected" in said

    code, out = cli(
        "eval",
        "pipeline.py:pipe",
        "--dataset",
        "tasks.jsonl",
        "--gates",
        "on",
        "--reviewer",
        "approve",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["reviewer"] == {"name": "simulated: approve", "kind": "simulated"}
    assert data["waiting"] == 0
    assert data["modes"]["on"]["end_to_end"]["decisions"] == {"simulated": 3}
    assert data["judge_human_agreement"] == {}  # simulated decisions are not human agreement
    (run_id,) = [r["run_id"] for r in data["runs"] if r["index"] == 0]
    code, out = cli("show", run_id)
    assert "by simulated: approve (simulated, not a person)" in " ".join(out.split())
    code, out = cli("feedback", "export", "-o", "f.jsonl", "--json")
    assert json.loads(out)["simulated"] == 3


def test_eval_compares_with_expected_artifacts_field_by_field(workdir: Path) -> None:
    (workdir / "expected.jsonl").write_text(
        json.dumps({"doc": {"text": "a b c"}, "want": {"summary": {"words": 3, "text": "A B C!"}}})
        + "\n"
    )
    args = ["eval", "pipeline.py:pipe", "--dataset", "expected.jsonl", "--expected", "want"]
    code, out = cli(*args, "--gates", "on", "--reviewer", "approve", "--json")
    assert json.loads(out)["modes"]["on"]["end_to_end"]["right"] == 0  # "A B C!" != "a b c"
    code, out = cli(
        *args,
        "--gates",
        "on",
        "--reviewer",
        "approve",
        "--match",
        "summary.text=text",
        "--name",
        "text",
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["modes"]["on"]["end_to_end"]["right"] == 1
    code, out = cli(*args, "--match", "summary.text")
    assert code != 0 and "write FIELD=RULE" in out
    code, out = cli(*args, "--match", "summary.text=fuzzy")
    assert code != 0 and "use one of" in out
    code, out = cli(*args, "--reviewer", "careful")
    assert code != 0 and "--reviewer 'careful'" in out


def test_demo_reports_correctness_on_the_claims_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from examples.claims.datasets import load_set

    from seamline.models import registry
    from seamline.testing import ScriptedModel

    tasks = load_set("dev")[:3]

    def oracle(request: object) -> dict[str, object]:
        """Reads the claim right, except the first document's amount on a first attempt."""
        prompt = request.prompt  # type: ignore[attr-defined]
        task = next(t for t in tasks if t.doc.text in prompt)
        answer = task.expected.claim.model_dump(mode="json", exclude={"currency"})
        answer["description"] = "what happened"
        if task is tasks[0] and "rejected" not in prompt:
            answer["amount"] = 2.0  # "£2,340" read as 2: the gate catches it
        return answer

    monkeypatch.setitem(registry._cache, "oracle", ScriptedModel(oracle, name="oracle"))
    code, out = cli("demo", "--model", "oracle", "--limit", "3", "--out", str(tmp_path))
    assert code == 0, out
    said = " ".join(out.split())
    assert "Approvals are decided by 'simulated: expected', a simulated reviewer" in said
    # right end to end: shadow 2/3, gated 3/3, and the lift with its 95% interval
    assert "2/3 67% 21–94% 3/3 100% 44–100% +33 pts [-29, +79]" in said
    assert "gated right 3/3" in said and "shadow (ungated) right 2/3" in said
    assert "claim seam, gated: 3/3 right and accepted, 0 escaped of 3 accepted" in said
    html = (tmp_path / "demo-report.html").read_text(encoding="utf-8")
    assert "Coordination Gap — claims on oracle" in html  # the model that was used
    assert "Reviewer decisions were simulated (simulated: expected)" in html
    code, out = cli("demo", "--model", "oracle", "--limit", "3", "--out", str(tmp_path), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["modes"]["on"]["end_to_end"]["right"] == 3
    assert data["reviewer"] == {"name": "simulated: expected", "kind": "simulated"}


def test_eval_compares_fields_with_the_comparators_a_file_names(workdir: Path) -> None:
    (workdir / "compare.py").write_text(
        "COMPARE = {'summary.text': lambda actual, expected: actual.lower() == expected.lower()}\n"
        "NOT_A_MAPPING = 3\n"
    )
    task = {
        "doc": {"text": "the quick brown fox"},
        "expected": {"summary": {"text": "THE QUICK BROWN FOX"}},
    }
    (workdir / "expected.jsonl").write_text(json.dumps(task) + "\n")

    def escaped(*extra: str) -> int:
        code, out = cli(
            "eval",
            "pipeline.py:pipe",
            "--dataset",
            "expected.jsonl",
            "--expected",
            "expected",
            "--gates",
            "on",
            "--json",
            *extra,
        )
        assert code == 0, out
        (seam,) = [s for s in json.loads(out)["modes"]["on"]["seams"] if s["step"] == "summary"]
        return int(seam["escaped_defects"])

    assert escaped("--name", "exact") == 1  # upper case differs, exactly
    assert escaped("--name", "cased", "--comparators", "compare.py:COMPARE") == 0
    code, out = cli(
        "eval",
        "pipeline.py:pipe",
        "--dataset",
        "expected.jsonl",
        "--comparators",
        "compare.py:NOT_A_MAPPING",
    )
    assert code != 0 and "not a mapping of field comparators" in out


@pytest.mark.slow
def test_ui_serves_with_a_printed_token_and_decides_as_its_name(workdir: Path) -> None:
    import os
    import re
    import socket
    import subprocess
    import sys
    import time

    import httpx2

    assert cli("run", "pipeline.py:pipe", "--input", "input.json")[0] == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seamline",
            "ui",
            "--pipeline",
            "pipeline.py:pipe",
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        found = re.search(rf"http://127.0.0.1:{port}/\?token=(\S+)", line)
        assert found is not None, line
        headers = {"authorization": f"Bearer {found.group(1)}"}
        for _ in range(100):
            try:
                me = httpx2.get(f"http://127.0.0.1:{port}/api/me", headers=headers)
                break
            except httpx2.HTTPError:
                time.sleep(0.1)
        assert me.json()["role"] == "reviewer"
        assert httpx2.get(f"http://127.0.0.1:{port}/api/me").status_code == 401
        (item,) = httpx2.get(
            f"http://127.0.0.1:{port}/api/approvals", headers=headers, timeout=60
        ).json()["items"]
        # Generous: an approval also teaches the context store (its embedder loads on first use).
        answer = httpx2.post(
            f"http://127.0.0.1:{port}/api/approvals/{item['approval_id']}/decision",
            headers=headers,
            json={"decision": "approve", "fingerprint": item["fingerprint"]},
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
    assert cli("feedback", "export", "--json")[0] == 0
    (row,) = [json.loads(x) for x in (workdir / "feedback.jsonl").read_text().splitlines()]
    import getpass

    assert row["decision"] == "approve" and row["reviewer"] == getpass.getuser()
