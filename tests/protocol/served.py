"""Pipelines that tests serve with `seamline mcp serve`: no model, so no guard to lift."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

import seamline as sl


class Invoice(BaseModel):
    customer: str
    amount: float


class Assessment(BaseModel):
    customer: str
    amount: float
    large: bool


class Payment(BaseModel):
    customer: str
    pay: float


pipe = sl.Pipeline("invoices", inputs={"invoice": Invoice})


@pipe.step
def assess(invoice: Invoice) -> Assessment:
    return Assessment(customer=invoice.customer, amount=invoice.amount, large=invoice.amount > 1000)


@pipe.step
def payment(assess: Assessment) -> Payment:
    return Payment(customer=assess.customer, pay=assess.amount)


pipe.approval("payment")  # a person approves every payment

slow = sl.Pipeline("slow_report", inputs={"invoice": Invoice})


@slow.step
async def report(invoice: Invoice) -> Assessment:
    await asyncio.sleep(2.0)
    return Assessment(customer=invoice.customer, amount=invoice.amount, large=False)
