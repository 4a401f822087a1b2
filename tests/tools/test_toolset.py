"""A tool call that needs approval is made at most once per decision: each decision
applies to one call (a call id repeated within an attempt gets an approval of its own),
a used decision answers its call from its record whatever the rest of the attempt's
prefix does, and a process killed during an approved call never makes it again on its
own: a person is asked whether it happened."""

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
from pydantic import BaseModel

import seamline as sl
from seamline.events import ToolCalled
from seamline.runtime.state import fold
from seamline.store import MemoryStore, open_store
from seamline.testing import AgentTurn, ScriptedModel, ToolCall, assert_replays


class Question(BaseModel):
    account: str


class Paid(BaseModel):
    said: str


def payments(prompt: dict[str, str], twice: bool = False) -> tuple[sl.Pipeline, list[str]]:
    """An agent step whose model asks to transfer 1.0 to A (in one `ctx.agent` call, or
    in each of two), then answers with what the tool said."""
    made: list[str] = []

    @sl.tool(requires_approval=True)
    def transfer(account: str, amount: float) -> str:
        """Move money."""
        made.append(f"{account} {amount}")
        return f"transfer {len(made)} done"

    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:  # ScriptedModel numbers calls per agent call: ids repeat
            return ToolCall("transfer", {"account": "A", "amount": 1.0})
        return Paid(said=" | ".join(str(c) for _, c, _ in turn.results))

    pipe = sl.Pipeline("pay", inputs={"q": Question}, model=ScriptedModel(script))

    @pipe.step(tools=[transfer])
    async def answer(q: Question, ctx: sl.StepContext) -> Paid:
        first = await ctx.agent(Paid, prompt["p"], max_turns=4)
        if not twice:
            return first
        second = await ctx.agent(Paid, "pay the second invoice", max_turns=4)
        return Paid(said=f"{first.said} / {second.said}")

    return pipe, made


def pending_one(result: sl.RunResult) -> Any:
    assert result.status == sl.RunStatus.WAITING
    (request,) = result.state.pending_approvals
    return request


async def test_one_approval_makes_one_call_when_an_attempt_asks_for_the_same_call_twice() -> None:
    pipe, made = payments({"p": "pay the first invoice"}, twice=True)
    store = MemoryStore()
    first = pending_one(await pipe.run({"q": Question(account="x")}, store=store))
    after_one = await pipe.decide(first.approval_id, "approve", store=store)
    assert after_one is not None and made == ["A 1.0"]
    # The second agent call's transfer has the same call id: it is asked about on its own.
    second = pending_one(after_one)
    assert second.approval_id != first.approval_id
    assert second.artifact["call_id"] == first.artifact["call_id"]
    assert second.artifact["attempt"] == first.artifact["attempt"] == 1
    done = await pipe.decide(second.approval_id, "reject", reason="paid already", store=store)
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED
    assert made == ["A 1.0"]  # the rejection refused the second; the first made once
    assert done.artifacts["answer"].said.startswith("transfer 1 done / ")
    assert "paid already" in done.artifacts["answer"].said
    calls = [e for e in done.events if isinstance(e, ToolCalled) and e.outcome != "started"]
    assert [(e.outcome, e.approval_id) for e in calls] == [
        ("ok", first.approval_id),
        ("refused", second.approval_id),
    ]


async def test_a_rejection_does_not_carry_over_to_a_repeated_call() -> None:
    pipe, made = payments({"p": "pay the first invoice"}, twice=True)
    store = MemoryStore()
    first = pending_one(await pipe.run({"q": Question(account="x")}, store=store))
    after = await pipe.decide(first.approval_id, "reject", reason="wrong account", store=store)
    assert after is not None and made == []
    second = pending_one(after)  # the same call asked again: a person decides again
    done = await pipe.decide(second.approval_id, "approve", store=store)
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED and made == ["A 1.0"]


async def test_a_made_call_is_answered_from_its_record_when_the_prefix_diverges() -> None:
    prompt = {"p": "pay on day 1"}
    pipe, made = payments(prompt)
    store = MemoryStore()
    result = await pipe.run({"q": Question(account="x")}, store=store)
    request = pending_one(result)
    done = await pipe.decide(request.approval_id, "approve", store=store)
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED and made == ["A 1.0"]
    # The process died right after the approved call was flushed; resumed the next day,
    # the step's prompt differs, so the attempt's recorded turns no longer answer it.
    log = await store.load(result.run_id)
    cut = next(i for i, e in enumerate(log) if isinstance(e, ToolCalled) and e.outcome == "ok")
    cut_store = MemoryStore()
    await cut_store.append(result.run_id, log[: cut + 1])
    prompt["p"] = "pay on day 2"
    resumed = await pipe.resume(result.run_id, store=cut_store)
    assert resumed.status == sl.RunStatus.SUCCEEDED
    assert made == ["A 1.0"]  # never made twice
    assert resumed.artifacts["answer"].said == "transfer 1 done"
    assert resumed.state.tool_calls == 1


async def test_an_approved_call_records_its_intent_before_it_is_made() -> None:
    pipe, made = payments({"p": "pay"})
    store = MemoryStore()
    request = pending_one(await pipe.run({"q": Question(account="x")}, store=store))
    done = await pipe.decide(request.approval_id, "approve", store=store)
    assert done is not None
    outcomes = [(e.outcome, e.approval_id) for e in done.events if isinstance(e, ToolCalled)]
    assert outcomes == [("started", request.approval_id), ("ok", request.approval_id)]
    assert made == ["A 1.0"] and done.state.tool_calls == 1  # the intent is not a call


async def test_a_run_with_decided_tool_calls_replays_offline_without_making_them(
    tmp_path: Path,
) -> None:
    pipe, made = payments({"p": "pay the first invoice"}, twice=True)
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    first = pending_one(await pipe.run({"q": Question(account="x")}, store=store))
    after = await pipe.decide(first.approval_id, "approve", store=store)
    assert after is not None
    done = await pipe.decide(pending_one(after).approval_id, "reject", reason="no", store=store)
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED and made == ["A 1.0"]
    replayed = await assert_replays(pipe, done.run_id, store=store)
    assert made == ["A 1.0"]  # the recording answered: nothing made again
    assert replayed.artifacts["answer"] == done.artifacts["answer"]
    # Each recorded call answers the replay's own approval, as in the run.
    calls = [e for e in replayed.events if isinstance(e, ToolCalled)]
    asked = list(replayed.state.approvals)
    assert [(e.outcome, e.approval_id) for e in calls] == [("ok", asked[0]), ("refused", asked[1])]


# -- a real SIGKILL during the call, in separate processes --------------------------------

PIPELINE = textwrap.dedent(
    """
    import os
    import signal
    from pathlib import Path

    from pydantic import BaseModel

    import seamline as sl
    from seamline.testing import ScriptedModel, ToolCall

    HERE = Path(__file__).parent


    class Q(BaseModel):
        account: str


    class B(BaseModel):
        said: str


    @sl.tool(requires_approval=True)
    def transfer(account: str, amount: float) -> str:
        \"\"\"Move money.\"\"\"
        with open(HERE / "effects.txt", "a") as f:
            f.write(f"transfer {account} {amount}\\n")
        if not (HERE / "killed").exists():
            (HERE / "killed").write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)  # the effect happened; no result recorded
        return "done"


    def script(turn):
        if turn.turn == 1:
            return ToolCall("transfer", {"account": "ACME", "amount": 5.0})
        return B(said=" | ".join(str(c) for _, c, _ in turn.results))


    pipe = sl.Pipeline("pay", inputs={"q": Q}, model=ScriptedModel(script))


    @pipe.step(tools=[transfer])
    async def answer(q: Q, ctx: sl.StepContext) -> B:
        return await ctx.agent(B, "pay", max_turns=3)
    """
)


def seamline(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamline", *args],
        cwd=tmp,
        env={**os.environ, "SEAMLINE_STORE": f"sqlite:///{tmp}/runs.db", "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def pending(tmp: Path) -> dict[str, Any]:
    listed = seamline(tmp, "approvals", "--json")
    assert listed.returncode == 0, listed.stderr
    (one,) = json.loads(listed.stdout)
    return one  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize("found", ["it went through: ACME got 5.0", None])
def test_a_call_killed_before_its_result_is_recorded_goes_back_to_a_person(
    tmp_path: Path, found: str | None
) -> None:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    (tmp_path / "seamline.toml").write_text('[pipelines]\npay = "pipeline.py:pipe"\n')
    (tmp_path / "input.json").write_text(json.dumps({"q": {"account": "x"}}))
    effects = tmp_path / "effects.txt"
    started = seamline(tmp_path, "run", "pipeline.py:pipe", "--input", "input.json", "--json")
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    first = pending(tmp_path)
    killed = seamline(tmp_path, "approve", first["approval_id"])  # resumes, makes it, dies
    assert killed.returncode == -9 and effects.read_text().count("\n") == 1

    resumed = seamline(tmp_path, "resume", run_id, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)[0]["status"] == "waiting"  # not made again on its own
    assert effects.read_text().count("\n") == 1
    again = pending(tmp_path)
    assert again["approval_id"] != first["approval_id"]
    assert again["tool_call"]["outcome_unknown"] == first["approval_id"]
    table = seamline(tmp_path, "approvals")
    assert "OUTCOME UNKNOWN" in table.stdout

    if found is not None:  # a person checked: it happened; the model is told so
        decided = seamline(tmp_path, "reject", again["approval_id"], "--reason", found)
        assert decided.returncode == 0, decided.stderr + decided.stdout
        assert effects.read_text().count("\n") == 1
    else:  # a person checked: it did not happen; make it again
        decided = seamline(tmp_path, "approve", again["approval_id"])
        assert decided.returncode == 0, decided.stderr + decided.stdout
        assert effects.read_text().count("\n") == 2
    state = asyncio.run(folded(tmp_path, run_id))
    assert state.status == sl.RunStatus.SUCCEEDED
    said = state.artifacts["answer"]["said"]
    assert (found in said) if found is not None else (said == "done")
    shown = seamline(tmp_path, "show", run_id)  # the log names the call and its approvals
    assert "OUTCOME UNKNOWN" in shown.stdout and "started" in shown.stdout


async def folded(tmp: Path, run_id: str) -> Any:
    store = await open_store(f"sqlite:///{tmp}/runs.db")
    try:
        return fold(run_id, await store.load(run_id))
    finally:
        await store.close()
