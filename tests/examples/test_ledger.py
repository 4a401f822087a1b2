"""The ledger example on its real MCP servers, with a scripted model in place of the
local one: a right answer passes every gate and reconciles as expected; a value that no
tool returned is caught and sent back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from examples.ledger.models import DueUtc, Invoice, InvoiceFile, Payment
from examples.ledger.pipeline import LEDGER, pipe

import seamline as sl
import seamline.mcp
from seamline.events import GateEvaluated, ToolCalled
from seamline.testing import AgentTurn, ScriptedModel, ToolCall

TASKS = [
    json.loads(line)
    for line in (Path(__file__).parents[2] / "examples" / "ledger" / "tasks.jsonl")
    .read_text()
    .splitlines()
]


@pytest.fixture(autouse=True)
async def _close_mcp_connections():
    yield
    await seamline.mcp.shutdown()


def honest_clerk(task: dict, wrong_total: bool = False) -> ScriptedModel:
    """Calls the tools the way the prompts ask and answers from what they returned."""
    expected = task["expected"]
    invoice = expected["invoice"]
    attempts = {"invoice": 0}

    def invoice_turn(turn: AgentTurn) -> object:
        if turn.turn == 1:
            attempts["invoice"] += 1
            return ToolCall("fs.read_text_file", {"path": task["task"]["file"]})
        total = invoice["total"] + (1 if wrong_total and attempts["invoice"] == 1 else 0)
        return Invoice(**{**invoice, "total": total})

    def due_turn(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall(
                "time.convert_time",
                {
                    "source_timezone": invoice["due_timezone"],
                    "time": invoice["due_time"],
                    "target_timezone": "UTC",
                },
            )
        return DueUtc(utc_time=turn.results[0][1]["target"]["datetime"][11:16])

    def payment_turn(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("git.git_log", {"repo_path": str(LEDGER), "max_count": 20})
        log = str(turn.results[0][1])
        for block in log.split("Commit: ")[1:]:
            commit, message = block.split("\n")[0], block.split("Message: ")[1].split("\n")[0]
            if invoice["number"] in message:
                return Payment(
                    invoice_number=invoice["number"],
                    paid=True,
                    amount=float(message.rsplit(": ", 1)[1].split()[0]),
                    commit=commit,
                )
        return Payment(invoice_number=invoice["number"], paid=False, amount=0, commit="")

    return ScriptedModel({"Invoice": invoice_turn, "DueUtc": due_turn, "Payment": payment_turn})


@pytest.mark.slow
@pytest.mark.parametrize("task", [TASKS[1], TASKS[3]], ids=lambda t: t["id"])
async def test_right_answers_pass_every_gate_and_reconcile(task: dict) -> None:
    result = await pipe.run({"task": InvoiceFile(**task["task"])}, model=honest_clerk(task))
    assert result.status is sl.RunStatus.SUCCEEDED
    assert result["reconciliation"].model_dump() == task["expected"]["reconciliation"]
    assert {e.server for e in result.events if isinstance(e, ToolCalled)} == {"fs", "time", "git"}
    assert all(e.action == "pass" for e in result.events if isinstance(e, GateEvaluated))


@pytest.mark.slow
async def test_a_total_no_tool_returned_is_caught_and_retried() -> None:
    task = TASKS[0]
    result = await pipe.run(
        {"task": InvoiceFile(**task["task"])}, model=honest_clerk(task, wrong_total=True)
    )
    assert result.status is sl.RunStatus.SUCCEEDED
    (caught,) = [e for e in result.events if isinstance(e, GateEvaluated) and not e.verdict.passed]
    assert caught.step == "invoice" and "total 1235.5" in " ".join(caught.verdict.reasons)
    assert result["invoice"].total == 1234.5
