"""The ledger example: reconcile an invoice with tool-using agent steps on real MCP servers.

    invoice   reads the invoice document through the filesystem server
    due       converts its due time to UTC with the time server
    payment   finds the payment in the ledger's git history with the git server
    reconciliation   (plain Python) paid / partial / unpaid, and the balance due

Every agent value is gated against what its tools returned (checks.py). Runs offline
on the embedded model: `python -m examples.ledger.pipeline inv-1001.md`, or on any
provider: `python -m examples.ledger.pipeline inv-1001.md --model openai:gpt-4o-mini`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import seamline as sl
from examples.ledger.checks import (
    converted_by_the_time_server,
    fields_in_the_document,
    read_the_document,
    the_ledger_entry_for_the_invoice,
)
from examples.ledger.ledger import make_ledger
from examples.ledger.models import DueUtc, Invoice, InvoiceFile, Payment, Reconciliation

HERE = Path(__file__).parent
DOCUMENTS = HERE / "documents"
LEDGER = Path(tempfile.gettempdir()) / "seamline-ledger-example" / "ledger"
ROOT = HERE.parent.parent


def _command(name: str) -> str:
    """A server's executable: the venv's (Python servers), the repo's npm folder, or PATH."""
    for candidate in (
        Path(sys.executable).parent / name,
        ROOT / "tests" / "protocol" / "node" / "node_modules" / ".bin" / name,
    ):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name) or name  # a missing one fails on connect, saying so


if not LEDGER.exists():
    make_ledger(LEDGER)

pipe = sl.Pipeline("ledger", inputs={"task": InvoiceFile}, model="local")
# Run in the documents folder, so a plain file name is a path the model can copy.
pipe.mcp_server(
    "fs", command=[_command("mcp-server-filesystem"), str(DOCUMENTS)], cwd=str(DOCUMENTS)
)
pipe.mcp_server("time", command=[_command("mcp-server-time")])
pipe.mcp_server("git", command=[_command("mcp-server-git"), "--repository", str(LEDGER)])

SYSTEM = (
    "You are a careful accounts clerk. Use the tools; copy values exactly as the tools return them."
)


@pipe.step(tools=["fs.read_text_file"])
async def invoice(task: InvoiceFile, ctx: sl.StepContext) -> Invoice:
    return await ctx.agent(
        Invoice,
        f"Read the invoice file with read_text_file (path: {task.file}). Then answer with its "
        "invoice number, customer, total amount due, currency code, and the due time "
        "(HH:MM) with its timezone.",
        system=SYSTEM,
        must_use_tools=True,
        max_turns=4,
        max_tokens=120,
    )


@pipe.step(tools=["time.convert_time"])
async def due(invoice: Invoice, ctx: sl.StepContext) -> DueUtc:
    return await ctx.agent(
        DueUtc,
        f"Convert the time {invoice.due_time} from timezone {invoice.due_timezone} to UTC "
        "with convert_time (target_timezone: UTC). Then answer with the UTC time as HH:MM.",
        system=SYSTEM,
        must_use_tools=True,
        max_turns=3,
        max_tokens=60,
    )


@pipe.step(tools=["git.git_log"])
async def payment(invoice: Invoice, ctx: sl.StepContext) -> Payment:
    return await ctx.agent(
        Payment,
        f"Find the payment for invoice {invoice.number} in the ledger. Call git_log with "
        f"repo_path {LEDGER} and max_count 20, and look for the commit whose message names "
        f"{invoice.number}. Answer with invoice_number, paid (true if such a commit exists), "
        "amount (the amount in that message, 0 if none) and commit (its hash, '' if none).",
        system=SYSTEM,
        must_use_tools=True,
        max_turns=3,
        max_tokens=120,
    )


@pipe.step
def reconciliation(invoice: Invoice, due: DueUtc, payment: Payment) -> Reconciliation:
    paid = payment.amount if payment.paid else 0.0
    balance = round(invoice.total - paid, 2)
    status = "unpaid" if paid == 0 else "paid" if balance <= 0 else "partial"
    return Reconciliation(
        number=invoice.number, status=status, balance_due=max(balance, 0.0), due_utc=due.utc_time
    )


LADDER = sl.retry(2, feedback=True).then(sl.escalate_to_human())
pipe.gate(
    "invoice",
    sl.check("the document was read", read_the_document),
    sl.check("every field is in the document", fields_in_the_document),
    on_fail=LADDER,
)
pipe.gate(
    "due", sl.check("converted by the time server", converted_by_the_time_server), on_fail=LADDER
)
pipe.gate(
    "payment",
    sl.check("the ledger entry for the invoice", the_ledger_entry_for_the_invoice),
    on_fail=LADDER,
)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", help="an invoice in documents/, e.g. inv-1001.md")
    parser.add_argument("--model", default="local", help="any model string (default: local)")
    parser.add_argument("--gates", default="on", choices=["on", "shadow"])
    args = parser.parse_args()
    result = await pipe.run(
        {"task": InvoiceFile(file=args.file)},
        model=args.model,
        gates=args.gates,
        raise_on_failure=False,
    )
    print(result.status.value)
    for name in ("invoice", "due", "payment", "reconciliation"):
        if name in result.artifacts:
            print(f"{name}: {result.artifacts[name]}")
    print(result.report())


if __name__ == "__main__":
    asyncio.run(main())
