"""Agent steps (`ctx.agent`) with Python tools, on a scripted model: what the run log holds,
how tool errors, budgets and turn limits end an attempt, and that a replay is exact."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import ModelCalled, StepErrored, ToolCalled
from seamline.store import MemoryStore
from seamline.testing import AgentTurn, ScriptedModel, ToolCall


class Question(BaseModel):
    account: str


class Balance(BaseModel):
    account: str
    amount: float


LEDGER = {"ACME": 1234.5, "GLOBEX": 88.0, "INITECH": 7.0, "UMBRELLA": 3.0}
calls: list[str] = []


def balance(account: str) -> float:
    """The ledger balance of an account."""
    calls.append(account)
    if account not in LEDGER:
        raise KeyError(f"no account {account!r}; accounts: {sorted(LEDGER)}")
    return LEDGER[account]


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def pipeline(model: ScriptedModel, **step_options: object) -> sl.Pipeline:
    pipe = sl.Pipeline("ledger", inputs={"q": Question}, model=model)

    @pipe.step(tools=[balance], **step_options)  # type: ignore[arg-type]
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, f"What is the balance of {q.account}?", max_turns=4)

    return pipe


async def test_the_model_calls_a_tool_and_every_turn_and_call_is_in_the_log() -> None:
    model = ScriptedModel(
        [ToolCall("balance", {"account": "ACME"}), Balance(account="ACME", amount=1234.5)]
    )
    result = await pipeline(model).run({"q": Question(account="ACME")})
    assert result["answer"] == Balance(account="ACME", amount=1234.5)
    assert calls == ["ACME"]
    turns = [e for e in result.events if isinstance(e, ModelCalled)]
    assert [t.purpose for t in turns] == ["agent", "agent"]
    assert turns[0].request["tool_definitions"][0]["name"] == "balance"
    assert "What is the balance of ACME?" in str(turns[0].request["messages"])
    (tool_call,) = [e for e in result.events if isinstance(e, ToolCalled)]
    assert (tool_call.tool, tool_call.request, tool_call.response, tool_call.outcome) == (
        "balance",
        {"account": "ACME"},
        1234.5,
        "ok",
    )
    assert tool_call.call_id and tool_call.server is None and tool_call.seconds >= 0


async def test_a_recorded_agent_run_replays_offline_without_calling_the_tool(tmp_path) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    model = ScriptedModel(
        [ToolCall("balance", {"account": "ACME"}), Balance(account="ACME", amount=1234.5)]
    )
    pipe = pipeline(model)
    first = await pipe.run({"q": Question(account="ACME")}, store=store)
    assert calls == ["ACME"]
    replayed = await pipe.replay(first.run_id, store=store)
    assert replayed["answer"] == first["answer"]
    assert calls == ["ACME"], "a replay answers tool calls from the recording"
    assert [type(e).__name__ for e in replayed.events] == [type(e).__name__ for e in first.events]


async def test_a_replay_whose_prompt_changed_diverges(tmp_path) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    model = ScriptedModel(
        [ToolCall("balance", {"account": "ACME"}), Balance(account="ACME", amount=1234.5)]
    )
    first = await pipeline(model).run({"q": Question(account="ACME")}, store=store)

    changed = sl.Pipeline("ledger", inputs={"q": Question}, model=model)

    @changed.step(tools=[balance])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, f"Balance of {q.account}, please.", max_turns=4)

    with pytest.raises(sl.ReplayDivergence, match="answer"):
        await changed.replay(first.run_id, store=store)


async def test_a_tool_error_goes_back_to_the_model_which_corrects_itself() -> None:
    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("balance", {"account": "ACME Corp"})
        if turn.turn == 2:
            (_, content, ok) = turn.results[0]
            assert not ok and "no account 'ACME Corp'" in str(content)
            return ToolCall("balance", {"account": "ACME"})
        return Balance(account="ACME", amount=turn.results[0][1])

    result = await pipeline(ScriptedModel(script)).run({"q": Question(account="ACME")})
    assert result["answer"].amount == 1234.5
    outcomes = [
        (e.request["account"], e.outcome) for e in result.events if isinstance(e, ToolCalled)
    ]
    assert outcomes == [("ACME Corp", "retry"), ("ACME", "ok")]
    failed = next(e for e in result.events if isinstance(e, ToolCalled) and e.error)
    assert "KeyError" in failed.error


async def test_on_tool_error_fail_fails_the_attempt_and_the_gate_ladder_retries() -> None:
    model = ScriptedModel(
        [
            ToolCall("balance", {"account": "nobody"}),
            ToolCall("balance", {"account": "ACME"}),
            Balance(account="ACME", amount=1234.5),
        ]
    )
    pipe = sl.Pipeline("ledger", inputs={"q": Question}, model=model)

    @pipe.step(tools=[balance])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, f"Balance of {q.account}?", on_tool_error="fail")

    pipe.gate("answer", sl.check("positive", lambda answer: answer.amount > 0), on_fail=sl.retry(1))
    result = await pipe.run({"q": Question(account="ACME")})
    assert result["answer"].amount == 1234.5
    errored = [e for e in result.events if isinstance(e, StepErrored)]
    assert (
        len(errored) == 1
        and "tool 'balance'" in errored[0].error
        and "KeyError" in errored[0].error
    )
    assert [e.outcome for e in result.events if isinstance(e, ToolCalled)] == ["failed", "ok"]


async def test_a_tool_call_budget_ends_the_run_before_the_call() -> None:
    model = ScriptedModel(
        [ToolCall("balance", {"account": "ACME"}), ToolCall("balance", {"account": "GLOBEX"})]
    )
    with pytest.raises(sl.BudgetExceeded, match="tool_calls"):
        await pipeline(model).run({"q": Question(account="ACME")}, budget=sl.Budget(tool_calls=1))
    assert calls == ["ACME"]


async def test_no_final_answer_within_max_turns_is_a_failed_attempt() -> None:
    accounts = sorted(LEDGER)
    model = ScriptedModel(lambda turn: ToolCall("balance", {"account": accounts[turn.turn - 1]}))
    pipe = pipeline(model)
    pipe.gate("answer", on_fail=sl.escalate_to_human())
    result = await pipe.run({"q": Question(account="ACME")})
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    (errored,) = [e for e in result.events if isinstance(e, StepErrored)]
    assert "max_turns=4" in errored.error
    # the last turn offers only the final answer, so three tool calls at most
    assert len([e for e in result.events if isinstance(e, ToolCalled)]) == 3


async def test_a_repeated_identical_call_leaves_only_the_final_answer_on_offer() -> None:
    seen: list[list[str]] = []

    def script(turn: AgentTurn) -> object:
        seen.append(turn.tools)
        if turn.turn <= 2:
            return ToolCall("balance", {"account": "ACME"})
        return Balance(account="ACME", amount=1234.5)

    result = await pipeline(ScriptedModel(script)).run({"q": Question(account="ACME")})
    assert result["answer"].amount == 1234.5
    assert seen == [["balance"], ["balance"], []]


async def test_a_check_reads_the_attempts_tool_trace() -> None:
    model = ScriptedModel(
        [
            Balance(account="ACME", amount=1000.0),  # answered without looking it up
            ToolCall("balance", {"account": "ACME"}),
            Balance(account="ACME", amount=1234.5),
        ]
    )
    pipe = pipeline(model)
    traces: list[sl.ToolTrace] = []

    def from_the_ledger(answer: Balance, tools: sl.ToolTrace) -> bool | str:
        traces.append(tools)
        return tools.returned(answer.amount, tool="balance") or (
            f"amount {answer.amount} was not returned by the balance tool; call it"
        )

    pipe.gate("answer", sl.check("amount from the ledger", from_the_ledger), on_fail=sl.retry(1))
    result = await pipe.run({"q": Question(account="ACME")})
    assert result["answer"].amount == 1234.5
    assert [len(t) for t in traces] == [0, 1]
    assert traces[1][0].tool == "balance" and traces[1][0].arguments == {"account": "ACME"}
    assert "call it" in model.requests[0].prompt if model.requests else True


async def test_the_feedback_of_a_failed_gate_reaches_the_next_agent_prompt() -> None:
    prompts: list[str] = []

    def script(turn: AgentTurn) -> object:
        prompts.append(turn.prompt)
        return Balance(account="ACME", amount=1.0 if len(prompts) == 1 else 1234.5)

    pipe = pipeline(ScriptedModel(script))
    pipe.gate(
        "answer",
        sl.check("big", lambda answer: answer.amount > 100 or "too small"),
        on_fail=sl.retry(1),
    )
    await pipe.run({"q": Question(account="ACME")})
    assert "too small" not in prompts[0] and "too small" in prompts[1]


async def test_a_sync_tool_runs_in_a_thread_and_leaves_the_loop_free() -> None:
    threads: list[str] = []

    def slow_balance(account: str) -> float:
        """A blocking lookup."""
        threads.append(threading.current_thread().name)
        time.sleep(0.3)
        return 1.0

    pipe = sl.Pipeline(
        "slow",
        inputs={"q": Question},
        model=ScriptedModel(
            [ToolCall("slow_balance", {"account": "A"}), Balance(account="A", amount=1.0)]
        ),
    )

    @pipe.step(tools=[slow_balance])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, "balance?")

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await pipe.run({"q": Question(account="A")})
    task.cancel()
    assert threads and threads[0] != threading.main_thread().name
    assert ticks >= 15, f"the event loop was blocked ({ticks} ticks in 0.3 s)"


def _payments() -> tuple[sl.Pipeline, list[str]]:
    """An agent whose model asks to pay ACME 5.0, then answers with what the tool said."""
    told: list[str] = []

    @sl.tool(requires_approval=True)
    def transfer(account: str, amount: float) -> str:
        """Move money."""
        calls.append(f"transfer {account} {amount}")
        return "done"

    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("transfer", {"account": "ACME", "amount": 5.0})
        told.extend(str(content) for _, content, _ in turn.results)
        return Balance(account="ACME", amount=0.0)

    pipe = sl.Pipeline("pay", inputs={"q": Question}, model=ScriptedModel(script))

    @pipe.step(tools=[transfer])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, "pay", max_turns=4)

    return pipe, told


async def _waiting(pipe: sl.Pipeline, store: MemoryStore) -> tuple[sl.RunResult, object]:
    result = await pipe.run({"q": Question(account="ACME")}, store=store)
    assert result.status == sl.RunStatus.WAITING
    (request,) = result.state.pending_approvals
    return result, request


async def test_a_tool_that_needs_approval_suspends_the_run_until_a_person_approves() -> None:
    pipe, told = _payments()
    store = MemoryStore()
    result, request = await _waiting(pipe, store)
    assert calls == []  # not called on the model's word
    assert request.reason == "tool_call" and request.step == "answer"  # type: ignore[attr-defined]
    shown = request.artifact  # type: ignore[attr-defined]
    assert shown["tool"] == "transfer" and shown["arguments"] == {"account": "ACME", "amount": 5.0}
    assert shown["fingerprint"] == sl.tool_call_fingerprint(
        "transfer", {"amount": 5.0, "account": "ACME"}
    )
    assert not [e for e in result.events if isinstance(e, StepErrored)]  # neither failed
    # A decision on another call than the one shown is refused, and nothing is written.
    with pytest.raises(sl.ApprovalError, match="not what the reviewer saw"):
        await pipe.decide(request.approval_id, "approve", store=store, expected="0" * 64)  # type: ignore[attr-defined]
    done = await pipe.decide(
        request.approval_id,  # type: ignore[attr-defined]
        "approve",
        store=store,
        expected=shown["fingerprint"],
    )
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED
    assert calls == ["transfer ACME 5.0"] and told == ["done"]
    made = [e for e in done.events if isinstance(e, ToolCalled) and e.tool == "transfer"]
    assert [e.outcome for e in made] == ["started", "ok"]
    assert {e.attempt for e in done.events if isinstance(e, ToolCalled)} == {1}  # one attempt
    assert done.state.tool_calls == 1
    # Resumed again, nothing is called again.
    again = await pipe.resume(result.run_id, store=store)
    assert again.status == sl.RunStatus.SUCCEEDED and calls == ["transfer ACME 5.0"]


async def test_a_rejected_tool_call_is_not_made_and_the_model_gets_the_reason() -> None:
    pipe, told = _payments()
    store = MemoryStore()
    _, request = await _waiting(pipe, store)
    done = await pipe.decide(
        request.approval_id,  # type: ignore[attr-defined]
        "reject",
        reason="wrong account",
        store=store,
    )
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED
    assert calls == []
    assert len(told) == 1 and "wrong account" in told[0]
    assert done.state.tool_calls == 0  # a refused call was never made


async def test_an_edit_of_a_tool_call_is_checked_against_its_input_schema() -> None:
    pipe, _ = _payments()
    store = MemoryStore()
    _, request = await _waiting(pipe, store)
    approval_id = request.approval_id  # type: ignore[attr-defined]
    with pytest.raises(sl.ApprovalError, match="amount"):
        await pipe.decide(
            approval_id,
            "edit",
            store=store,
            edit={"arguments": {"account": "ACME", "amount": "a lot"}},
        )
    with pytest.raises(sl.ApprovalError, match='"arguments"'):
        await pipe.decide(approval_id, "edit", store=store, edit={"amount": 2.0})
    done = await pipe.decide(
        approval_id, "edit", store=store, edit={"arguments": {"account": "ACME", "amount": 2.0}}
    )
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED
    assert calls == ["transfer ACME 2.0"]  # made once, with the edited arguments


def test_tools_are_checked_when_the_step_is_declared() -> None:
    pipe = sl.Pipeline("p", inputs={"q": Question})
    with pytest.raises(sl.PipelineError, match=r"no `ctx: sl\.StepContext`"):

        @pipe.step(tools=[balance])
        def no_ctx(q: Question) -> Balance: ...

    with pytest.raises(sl.PipelineError, match=r"'server\.tool'"):

        @pipe.step(tools=["get_current_time"])
        async def bare(q: Question, ctx: sl.StepContext) -> Balance: ...

    with pytest.raises(sl.PipelineError, match="takes a list"):

        @pipe.step(tools=balance)  # type: ignore[arg-type]
        async def not_a_list(q: Question, ctx: sl.StepContext) -> Balance: ...


def test_a_tool_of_an_undeclared_server_is_a_pipeline_error_at_validation() -> None:
    pipe = sl.Pipeline("p", inputs={"q": Question})
    pipe.mcp_server("time", command=["mcp-server-time"])

    @pipe.step(tools=["clock.get_current_time"])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance: ...

    with pytest.raises(sl.PipelineError, match=r"'clock'.*declared: \['time'\]"):
        pipe.validate()


def test_a_declared_tool_list_checks_allowlists_without_a_server() -> None:
    pipe = sl.Pipeline("p", inputs={"q": Question})
    pipe.mcp_server("time", command=["mcp-server-time"], tools=["get_current_time", "convert_time"])

    @pipe.step(tools=["time.get_time"])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance: ...

    with pytest.raises(
        sl.PipelineError, match=r"matches no tool.*\['convert_time', 'get_current_time'\]"
    ):
        pipe.validate()


async def test_ctx_agent_cannot_widen_the_steps_allowlist() -> None:
    def other(x: str) -> str:
        """Another tool."""
        return x

    pipe = sl.Pipeline(
        "p", inputs={"q": Question}, model=ScriptedModel([Balance(account="A", amount=1)])
    )

    @pipe.step(tools=[balance])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(Balance, "x", tools=[other])

    with pytest.raises(sl.StepFailed, match="'other', which is not in the step's tools"):
        await pipe.run({"q": Question(account="A")})


async def test_the_model_asking_for_a_tool_it_was_not_offered_gets_no_call() -> None:
    model = ScriptedModel(
        [
            ToolCall("delete_everything", {}),
            ToolCall("balance", {"account": "ACME"}),
            Balance(account="ACME", amount=1234.5),
        ]
    )
    result = await pipeline(model).run({"q": Question(account="ACME")})
    assert result["answer"].amount == 1234.5
    assert calls == ["ACME"]
    assert [e.tool for e in result.events if isinstance(e, ToolCalled)] == ["balance"]
