"""A tool that needs a person's approval, on a real MCP server (`mcp-server-git`'s
`git_commit` over a scratch repository), driven through the command line in separate
processes, as a user would: the run waits; `seamline approvals` shows the exact call;
`seamline approve` in another process makes the commit exactly once, also when the process
making it is SIGKILLed right after the call and the run is resumed again; a rejection
reaches the model; a bad edit and a stale fingerprint are refused."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.protocol.conftest import python_tool

from seamline.events import RunStatus
from seamline.runtime.state import fold
from seamline.store import open_store

PIPELINE = textwrap.dedent(
    """
    import os
    import signal
    from pathlib import Path

    from pydantic import BaseModel

    import seamline as sl
    from seamline.testing import ScriptedModel, ToolCall

    REPO = os.environ["TEST_REPO"]


    class Change(BaseModel):
        summary: str


    class Outcome(BaseModel):
        said: str


    def script(turn):
        if turn.turn == 1:
            return ToolCall("git.git_commit", {"repo_path": REPO, "message": "Add December"})
        said = " | ".join(str(content) for _, content, _ in turn.results)
        marker = os.environ.get("TEST_KILL_ONCE")
        if marker and not Path(marker).exists():
            Path(marker).write_text("killed")  # the commit is made and flushed: die here
            os.kill(os.getpid(), signal.SIGKILL)
        return Outcome(said=said)


    pipe = sl.Pipeline("commits", inputs={"change": Change}, model=ScriptedModel(script))
    pipe.mcp_server(
        "git",
        command=[os.environ["TEST_GIT_SERVER"], "--repository", REPO],
        requires_approval=["git_commit"],
    )


    @pipe.step(tools=["git.git_commit"])
    async def committed(change: Change, ctx: sl.StepContext) -> Outcome:
        return await ctx.agent(Outcome, f"Commit: {change.summary}", max_turns=3)
    """
)


@pytest.fixture
def workdir(tmp_path: Path, scratch_repo: Path) -> dict[str, Any]:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    # The code a decision resumes the run with is named here, never by the store.
    (tmp_path / "seamline.toml").write_text('[pipelines]\ncommits = "pipeline.py:pipe"\n')
    (tmp_path / "input.json").write_text(json.dumps({"change": {"summary": "December"}}))
    (scratch_repo / "ledger.csv").write_text("account,amount\nACME,1234.50\nGLOBEX,88.00\n")
    subprocess.run(["git", "-C", str(scratch_repo), "add", "ledger.csv"], check=True)
    env = {
        **os.environ,
        "SEAMLINE_STORE": f"sqlite:///{tmp_path}/runs.db",
        "TEST_REPO": str(scratch_repo),
        "TEST_GIT_SERVER": python_tool("mcp-server-git"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return {"dir": tmp_path, "repo": scratch_repo, "env": env}


def seamline(w: dict[str, Any], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        cwd=w["dir"],
        env={**w["env"], **env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def final(w: dict[str, Any], run_id: str) -> Any:
    """The run's state, folded from its log in the store."""

    async def go() -> Any:
        store = await open_store(w["env"]["SEAMLINE_STORE"])
        try:
            return fold(run_id, await store.load(run_id))
        finally:
            await store.close()

    return asyncio.run(go())


def commits(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s"], check=True, capture_output=True, text=True
    )
    return out.stdout.split("\n")[:-1]


def waiting_run(w: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    started = seamline(w, "run", "pipeline.py:pipe", "--input", "input.json", "--json")
    assert started.returncode == 0, started.stderr
    run = json.loads(started.stdout)
    assert run["status"] == "waiting"
    assert commits(w["repo"]) == ["Ledger for November"]  # not called on the model's word
    listed = seamline(w, "approvals", "--json")
    assert listed.returncode == 0, listed.stderr
    (pending,) = json.loads(listed.stdout)
    assert pending["reason"] == "tool_call" and pending["run_id"] == run["run_id"]
    return run["run_id"], pending


@pytest.mark.slow
def test_a_commit_waits_for_approval_from_another_process_and_is_made_once(
    workdir: dict[str, Any],
) -> None:
    w = workdir
    run_id, pending = waiting_run(w)
    call = pending["tool_call"]
    assert call["tool"] == "git.git_commit" and call["server"] == "git"
    assert call["arguments"] == {"repo_path": str(w["repo"]), "message": "Add December"}
    table = seamline(w, "approvals")
    assert "git.git_commit" in table.stdout and "Add December" in table.stdout
    assert call["fingerprint"][:12] in table.stdout

    stale = seamline(w, "approve", pending["approval_id"], "--fingerprint", "0" * 64)
    assert stale.returncode == 1 and "not what the reviewer saw" in stale.stderr + stale.stdout
    bad = seamline(w, "approve", pending["approval_id"], "--arguments", '{"message": 3}')
    assert bad.returncode == 1
    assert "input schema" in bad.stderr + bad.stdout and "repo_path" in bad.stderr + bad.stdout
    assert commits(w["repo"]) == ["Ledger for November"]  # nothing was decided or made

    # Approved in this process, which resumes the run, commits, and is killed right after.
    marker = w["dir"] / "killed"
    approved = seamline(
        w, "approve", pending["approval_id"], "--fingerprint", call["fingerprint"],
        TEST_KILL_ONCE=str(marker),
    )  # fmt: skip
    assert approved.returncode == -9 and marker.exists()
    assert commits(w["repo"]) == ["Add December", "Ledger for November"]

    resumed = seamline(w, "resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    state = final(w, run_id)
    assert state.status == RunStatus.SUCCEEDED
    assert commits(w["repo"]) == ["Add December", "Ledger for November"]  # exactly once
    assert state.tool_calls == 1 and state.attempts == {"committed": 1}
    head = subprocess.run(
        ["git", "-C", str(w["repo"]), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert head in state.artifacts["committed"]["said"]  # the model got the commit's answer


@pytest.mark.slow
def test_a_rejected_commit_is_not_made_and_the_model_gets_the_reason(
    workdir: dict[str, Any],
) -> None:
    w = workdir
    run_id, pending = waiting_run(w)
    rejected = seamline(w, "reject", pending["approval_id"], "--reason", "say which month")
    assert rejected.returncode == 0, rejected.stderr
    state = final(w, run_id)
    assert state.status == RunStatus.SUCCEEDED
    assert "say which month" in state.artifacts["committed"]["said"]
    assert commits(w["repo"]) == ["Ledger for November"] and state.tool_calls == 0
