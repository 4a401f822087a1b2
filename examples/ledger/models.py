"""The artifacts of the ledger example: what each step hands the next."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class InvoiceFile(BaseModel):
    """The task: one invoice document, by file name inside `documents/`."""

    file: str


class Invoice(BaseModel):
    """What the invoice says, read from the document through the filesystem server."""

    number: str = Field(description="the invoice number, e.g. INV-1001")
    customer: str = Field(description="who the invoice is billed to")
    total: float = Field(description="the total amount due, as a number")
    currency: str = Field(description="ISO currency code, e.g. EUR")
    due_time: str = Field(description="the time payment is due, 24-hour HH:MM")
    due_timezone: str = Field(description="the IANA timezone of the due time, e.g. Asia/Tokyo")


class DueUtc(BaseModel):
    """The due time in UTC, converted by the time server."""

    utc_time: str = Field(description="HH:MM in UTC")


class Payment(BaseModel):
    """The payment booked for the invoice, found in the ledger's git history."""

    invoice_number: str
    paid: bool = Field(description="whether any payment for this invoice is booked")
    amount: float = Field(description="the amount booked for this invoice (0 if none)")
    commit: str = Field(description="the commit that booked it ('' if none)")


class Reconciliation(BaseModel):
    number: str
    status: Literal["paid", "partial", "unpaid"]
    balance_due: float
    due_utc: str
