"""The gates of the ledger example: every value an agent reports is checked against what
its tools returned (the attempt's `sl.ToolTrace`), not against what we expect.

These checks know how each server formats its answers (git_log's "Commit:/Message:"
blocks, convert_time's structured result) and nothing about the invoices themselves.
"""

from __future__ import annotations

import re

import seamline as sl
from examples.ledger.models import DueUtc, Invoice, Payment


def read_the_document(invoice: Invoice, tools: sl.ToolTrace) -> bool | str:
    return tools.called("fs.read_text_file") or (
        "the document was not read: call read_text_file with the invoice's path first"
    )


def fields_in_the_document(invoice: Invoice, tools: sl.ToolTrace) -> bool | str:
    missing = [
        f"{name} {value!r}"
        for name, value in (
            ("number", invoice.number),
            ("customer", invoice.customer),
            ("total", invoice.total),
            ("currency", invoice.currency),
            ("due_time", invoice.due_time),
            ("due_timezone", invoice.due_timezone),
        )
        if value in ("", None) or not tools.returned(value, tool="fs.read_text_file")
    ]
    return not missing or (
        "not in the document as read: " + ", ".join(missing) + "; copy each value from the file"
    )


def converted_by_the_time_server(due: DueUtc, invoice: Invoice, tools: sl.ToolTrace) -> bool | str:
    calls = [
        c
        for c in tools.calls("time.convert_time")
        if c.ok
        and c.arguments.get("source_timezone") == invoice.due_timezone
        and c.arguments.get("time") == invoice.due_time
        and str(c.arguments.get("target_timezone", "")).upper() in ("UTC", "ETC/UTC")
    ]
    if not calls:
        return (
            f"call convert_time with source_timezone {invoice.due_timezone!r}, time "
            f"{invoice.due_time!r} and target_timezone 'UTC'"
        )
    target = str(calls[-1].result.get("target", {}).get("datetime", ""))
    return f"T{due.utc_time}:" in target or f"utc_time must be the converted time: {target[11:16]}"


_BLOCK = re.compile(r"Commit: (?P<hash>[0-9a-f]{7,40}).*?Message: (?P<message>[^\n]*)", re.DOTALL)


def the_ledger_entry_for_the_invoice(
    payment: Payment, invoice: Invoice, tools: sl.ToolTrace
) -> bool | str:
    logs = [str(r) for r in tools.results("git.git_log")]
    if not logs:
        return "the ledger was not read: call git_log first"
    entries = [m for log in logs for m in _BLOCK.finditer(log) if invoice.number in m["message"]]
    if not entries:
        return (payment.paid is False and payment.amount == 0) or (
            f"no ledger entry names {invoice.number}: paid must be false and amount 0"
        )
    entry = entries[-1]
    problems = []
    if payment.paid is not True:
        problems.append(
            f"the entry {entry['hash'][:8]} books a payment for {invoice.number}: paid is true"
        )
    if not sl.ToolTrace([_call(entry["message"])]).returned(payment.amount):
        problems.append(f"amount {payment.amount:g} is not the amount in {entry['message']!r}")
    if len(payment.commit) < 7 or not entry["hash"].startswith(payment.commit):
        problems.append(f"commit must be the entry's hash {entry['hash'][:12]}")
    return not problems or "; ".join(problems)


def _call(text: str) -> sl.ToolCallRecord:
    return sl.ToolCallRecord("ledger entry", None, {}, text, None, 0.0)
