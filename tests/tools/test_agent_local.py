"""An agent step on the embedded SmolLM2 model: its tool calls go through the JSON
tool-calling path and llama.cpp's constrained decoding, are recorded, and replay."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import ModelCalled, ToolCalled


class Question(BaseModel):
    account: str


class Balance(BaseModel):
    account: str
    amount: float


looked_up: list[str] = []


def balance(account: str) -> float:
    """The ledger balance of an account, by its name."""
    looked_up.append(account)
    return 1234.5


@pytest.mark.local_model
@pytest.mark.slow
async def test_the_local_model_calls_a_tool_and_the_run_replays(tmp_path) -> None:
    pipe = sl.Pipeline("ledger", inputs={"q": Question}, model="local")

    @pipe.step(tools=[balance])
    async def answer(q: Question, ctx: sl.StepContext) -> Balance:
        return await ctx.agent(
            Balance,
            f"Look up the balance of account {q.account} with the balance tool, then answer.",
            max_turns=3,
            max_tokens=60,
            must_use_tools=True,
        )

    store = f"sqlite:///{tmp_path / 'runs.db'}"
    result = await pipe.run({"q": Question(account="ACME")}, store=store, raise_on_failure=False)
    turns = [e for e in result.events if isinstance(e, ModelCalled)]
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    # The first turn offers only the tool, and decoding is constrained to a call of it.
    first = turns[0].response["parts"][0]
    assert first["part_kind"] == "tool-call" and first["tool_name"] == "balance"
    assert calls and calls[0].tool == "balance" and looked_up
    assert all(t.purpose == "agent" and t.input_tokens > 0 for t in turns)

    before = len(looked_up)
    replayed = await pipe.replay(result.run_id, store=store)
    assert replayed.status == result.status and len(looked_up) == before
