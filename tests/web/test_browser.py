"""End to end in a real browser: Debian's Chromium driven by Playwright (the Python package;
the browser is the system's, never one Playwright downloads).

A reviewer signs in, opens the inbox, corrects a claim's amount in the generated form,
approves; a second reviewer approves the decision while a third tab watches the run's
page finish by server-sent events; a decision on a view gone stale is refused. The
screenshots go to a temporary directory, or to $SEAMLINE_SCREENSHOTS: the committed ones
in tests/web/screenshots/ are refreshed with
`SEAMLINE_SCREENSHOTS=tests/web/screenshots pytest tests/web/test_browser.py` (a plain
test run leaves the working tree as it was).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from claims import DOC, ClaimDoc, build
from pydantic import BaseModel
from served import REVIEWER, serve

import seamline as sl
from seamline.events import ApprovalDecided
from seamline.runtime.state import fold
from seamline.store import RunStore
from seamline.testing import AgentTurn, ScriptedModel, ToolCall

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright = pytest.importorskip("playwright.async_api", reason="needs the playwright package")
CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
SCREENSHOTS = Path(
    os.environ.get("SEAMLINE_SCREENSHOTS") or tempfile.mkdtemp(prefix="seamline-shots-")
)
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.fail(
            "the browser tests need Debian's chromium at /usr/bin/chromium (CI installs it)"
        )
    async with playwright.async_playwright() as p:
        with tempfile.TemporaryDirectory() as profile:
            context = await p.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=ARGS,
                viewport={"width": 1280, "height": 900},
            )
            try:
                yield context
            finally:
                await context.close()


async def test_edit_approve_and_watch_the_run_finish(sqlite_store: RunStore, browser: Any) -> None:
    expect = playwright.expect
    pipe = build()
    run_id = (await pipe.run({"doc": DOC}, store=sqlite_store)).run_id
    other = ClaimDoc(text="Bo Lind, policy PX-4410, claims $2,300 for a stolen bicycle (theft).")
    await pipe.run({"doc": other}, store=sqlite_store)
    (escalation, _) = await sqlite_store.pending_approvals()

    async with serve(sqlite_store, [pipe]) as s:
        page = await browser.new_page()
        # No page without the token: the inbox sends a stranger to the login form.
        await page.goto(f"{s.url}/inbox")
        assert page.url.startswith(f"{s.url}/login")
        await expect(page.locator("h1")).to_have_text("seamline")
        assert await page.locator("table").count() == 0
        await page.fill('input[name="token"]', REVIEWER)
        await page.click("text=Sign in")
        await expect(page.locator("h1")).to_have_text("Inbox")
        rows = page.locator("table.inbox tbody tr")
        await expect(rows).to_have_count(2)
        await page.screenshot(path=SCREENSHOTS / "inbox.png", full_page=True)

        # The escalated claim: its artifact, the gate's reasons, what the step read.
        await page.click(f"a[href='/inbox/{escalation.approval_id}']")
        await expect(page.locator("#artifact")).to_contain_text('"amount": 15.0')
        await expect(page.locator(".verdict.fail").first).to_contain_text(
            "amount 15 does not appear in the document"
        )
        await expect(page.locator("pre.read")).to_contain_text("claims $15,750")
        await page.screenshot(path=SCREENSHOTS / "approval.png", full_page=True)

        # Edit the amount in the generated form, and approve it.
        amount = page.locator('#form-edit input[name="field.amount"]')
        await expect(amount).to_have_value("15.0")
        await amount.fill("15750")
        await page.click("#form-edit button")
        await expect(page.locator("p.notice").first).to_contain_text(
            "edit recorded for claim by ana"
        )
        assert f"/runs/{run_id}" in page.url
        # The run resumes in the server and waits for the decision's approval.
        await expect(page.locator("#run-status")).to_have_text("waiting", timeout=20_000)
        decision = next(p for p in await sqlite_store.pending_approvals(run_id=run_id))
        assert decision.step == "decision"

        # A third tab watches the run's page: it must change without being reloaded.
        watcher = await browser.new_page()
        await watcher.goto(f"{s.url}/runs/{run_id}")
        await expect(watcher.locator("#run-status")).to_have_text("waiting")
        await watcher.evaluate("window.notReloaded = true")

        # Two reviewers open the decision's approval; the first approves it.
        first, late = await browser.new_page(), await browser.new_page()
        for tab in (first, late):
            await tab.goto(f"{s.url}/inbox/{decision.approval_id}")
            await expect(tab.locator("#artifact")).to_contain_text('"payout": 15750.0')
        await first.click("#form-approve button")
        await expect(first.locator("p.notice").first).to_contain_text("approve recorded")

        # The watching tab sees the run finish, by server-sent events.
        await expect(watcher.locator("#run-status")).to_have_text("succeeded", timeout=20_000)
        assert await watcher.evaluate("window.notReloaded") is True
        await expect(watcher.locator("table.decisions")).to_contain_text("edit")
        await watcher.screenshot(path=SCREENSHOTS / "run.png", full_page=True)

        # The second reviewer's view is stale: the decision is refused, and says why.
        await late.click("#form-approve button")
        await expect(late.locator("#problem")).to_contain_text(
            "was already decided: approve by ana"
        )

    decided = [e for e in await sqlite_store.load(run_id) if isinstance(e, ApprovalDecided)]
    assert [(d.decision, d.reviewer) for d in decided] == [("edit", "ana"), ("approve", "ana")]
    assert decided[0].edit["amount"] == 15750
    final = await sqlite_store.run(run_id)
    assert final is not None and final.status.value == "succeeded"


class Order(BaseModel):
    account: str


class Paid(BaseModel):
    said: str


def _payments(made: list[str]) -> Any:
    """An agent step whose model asks to transfer 5.0 to ACME, a call a person approves."""

    @sl.tool(requires_approval=True)
    def transfer(account: str, amount: float) -> str:
        """Move money from the house account to another."""
        made.append(f"{account} {amount}")
        return f"moved {amount} to {account}"

    def script(turn: AgentTurn) -> object:
        if turn.turn == 1:
            return ToolCall("transfer", {"account": "ACME", "amount": 5.0})
        return Paid(said=" | ".join(str(c) for _, c, _ in turn.results))

    pipe = sl.Pipeline("payments", inputs={"order": Order}, model=ScriptedModel(script))

    @pipe.step(tools=[transfer])
    async def pay(order: Order, ctx: sl.StepContext) -> Paid:
        return await ctx.agent(Paid, f"pay {order.account}", max_turns=3)

    return pipe


async def test_a_tool_call_is_shown_whole_and_rejected_or_edited_from_the_page(
    sqlite_store: RunStore, browser: Any
) -> None:
    expect = playwright.expect
    made: list[str] = []
    pipe = _payments(made)
    order = Order
    rejected_run = (await pipe.run({"order": order(account="ACME")}, store=sqlite_store)).run_id
    edited_run = (await pipe.run({"order": order(account="ACME")}, store=sqlite_store)).run_id
    pending = {p.run_id: p for p in await sqlite_store.pending_approvals()}
    assert {p.reason for p in pending.values()} == {"tool_call"}

    async with serve(sqlite_store, [pipe]) as s:
        page = await browser.new_page()
        await page.goto(f"{s.url}/login")
        await page.fill('input[name="token"]', REVIEWER)
        await page.click("text=Sign in")
        await expect(page.locator("h1")).to_have_text("Inbox")

        # The page shows the call a person decides on, and what each choice does to it.
        await page.goto(f"{s.url}/inbox/{pending[rejected_run].approval_id}")
        await expect(page.locator("#call-tool")).to_have_text("transfer")
        await expect(page.locator("#call-arguments")).to_contain_text('"amount": 5.0')
        await expect(page.locator("#call-arguments")).to_contain_text('"account": "ACME"')
        await expect(page.locator("#call-description")).to_contain_text("Move money")
        shown = pending[rejected_run]
        (request,) = [
            e for e in await sqlite_store.load(rejected_run) if getattr(e, "approval_id", None)
        ]
        await expect(page.locator("#call-fingerprint")).to_have_text(
            request.artifact["fingerprint"]  # type: ignore[attr-defined]
        )
        await expect(page.locator("#form-approve .effect")).to_contain_text("called once")
        await expect(page.locator("#form-reject .effect")).to_contain_text("is not called")
        assert await page.locator('#form-reject select[name="route_to"]').count() == 0
        assert await page.locator("#artifact").count() == 0
        await page.screenshot(path=SCREENSHOTS / "tool_call.png", full_page=True)

        # Rejected from the form: not made; the model gets the reason as the call's result.
        await page.fill('#form-reject textarea[name="reason"]', "ACME was paid yesterday")
        await page.click("#form-reject button")
        await expect(page.locator("p.notice").first).to_contain_text("reject recorded")
        await expect(page.locator("#run-status")).to_have_text("succeeded", timeout=20_000)

        # Edited from the form the tool's input schema generates: made once, as edited.
        await page.goto(f"{s.url}/inbox/{pending[edited_run].approval_id}")
        amount = page.locator('#form-edit input[name="field.amount"]')
        await expect(amount).to_have_value("5.0")
        await expect(page.locator('#form-edit input[name="field.account"]')).to_have_value("ACME")
        await amount.fill("2.5")
        await page.click("#form-edit button")
        await expect(page.locator("p.notice").first).to_contain_text("edit recorded")
        await expect(page.locator("#run-status")).to_have_text("succeeded", timeout=20_000)
        assert shown.step == "pay"

    assert made == ["ACME 2.5"]
    rejected = await sqlite_store.run(rejected_run)
    edited = await sqlite_store.run(edited_run)
    assert rejected is not None and edited is not None
    said = fold(rejected_run, await sqlite_store.load(rejected_run)).artifacts["pay"]["said"]
    assert "ACME was paid yesterday" in said
    said = fold(edited_run, await sqlite_store.load(edited_run)).artifacts["pay"]["said"]
    assert said == "moved 2.5 to ACME"
