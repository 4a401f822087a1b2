"""The HTML pages over a real server: filters, forms and what bad input gets."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import httpx2
from claims import DOC, ClaimDoc, build, read_right
from pydantic import BaseModel
from served import REVIEWER, serve

import seamline as sl
from seamline.context import make_document, open_context
from seamline.evals import evaluate
from seamline.events import ApprovalDecided
from seamline.store import RunStore, open_store


async def login(c: httpx2.AsyncClient) -> str:
    """Open a cookie session, as a browser does with a token link; its CSRF token."""
    page = await c.get("/inbox", params={"token": REVIEWER})
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def fingerprint(html: str) -> str:
    found = re.search(r'name="fingerprint" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_inbox_filters_pages_and_refuses_a_bad_age(sqlite_store: RunStore) -> None:
    pipe = build()
    for i in range(3):
        await pipe.run({"doc": ClaimDoc(text=f"Bo Lind, policy PX-{i}, claims $9{i} for theft.")}, store=sqlite_store)
    async with serve(sqlite_store, [pipe]) as s, s.client(None) as c:
        await login(c)
        first = await c.get("/inbox", params={"limit": 2, "reason": "escalation"})
        assert first.text.count('name="approval"') == 2
        next_link = re.search(r'href="(/inbox\?[^"]*after=[^"]+)"', first.text)
        assert next_link is not None
        second = await c.get(next_link.group(1).replace("&amp;", "&"))
        assert second.text.count('name="approval"') == 1
        empty = await c.get("/inbox", params={"reason": "approval"})
        assert "Nothing waits for a decision with these filters" in empty.text
        bad = await c.get("/inbox", params={"older": "soon"})
        assert bad.status_code == 400 and "age &#39;soon&#39;: use seconds or 15m, 2h, 3d" in bad.text


async def test_an_invalid_edit_is_shown_on_its_field_and_nothing_is_recorded(
    sqlite_store: RunStore,
) -> None:
    run_id = (await build().run({"doc": DOC}, store=sqlite_store)).run_id
    (pending,) = await sqlite_store.pending_approvals()
    before = await sqlite_store.load(run_id)
    async with serve(sqlite_store, [build()]) as s, s.client(None) as c:
        csrf = await login(c)
        page = await c.get(f"/inbox/{pending.approval_id}")
        form = {
            "csrf": csrf,
            "fingerprint": fingerprint(page.text),
            "decision": "edit",
            "field.claimant": "Ana Ruiz",
            "field.amount": "lots",
            "field.policy_id": "PX-2231",
            "field.incident": "meteor",
        }
        answer = await c.post(f"/inbox/{pending.approval_id}", data=form)
        assert answer.status_code == 422
        assert "The edit does not validate" in answer.text
        assert "&#39;lots&#39; is not a number" in answer.text
        form["field.amount"] = "15750"
        answer = await c.post(f"/inbox/{pending.approval_id}", data=form)
        assert answer.status_code == 422 and "Input should be" in answer.text  # the incident
    assert await sqlite_store.load(run_id) == before


async def test_reject_with_a_code_and_a_route_through_the_form(sqlite_store: RunStore) -> None:
    pipe = build(reader=read_right)
    run_id = (await pipe.run({"doc": DOC}, store=sqlite_store)).run_id
    (pending,) = await sqlite_store.pending_approvals()
    assert pending.step == "decision"
    async with serve(sqlite_store, [pipe]) as s, s.client(None) as c:
        csrf = await login(c)
        page = await c.get(f"/inbox/{pending.approval_id}")
        assert "goes back to claim" in page.text and '<option value="claim">' in page.text
        answer = await c.post(
            f"/inbox/{pending.approval_id}",
            data={
                "csrf": csrf,
                "fingerprint": fingerprint(page.text),
                "decision": "reject",
                "reason": "the payout ignores the deductible",
                "reason_code": "policy",
                "route_to": "claim",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"].startswith(f"/runs/{run_id}")
    (decided,) = [e for e in await sqlite_store.load(run_id) if isinstance(e, ApprovalDecided)][:1]
    assert (decided.decision, decided.reason_code, decided.route_to, decided.reviewer) == (
        "reject",
        "policy",
        "claim",
        "ana",
    )


async def test_batch_approve_from_the_inbox(sqlite_store: RunStore) -> None:
    pipe = build(reader=read_right)
    for _ in range(2):
        await pipe.run({"doc": DOC}, store=sqlite_store)
    async with serve(sqlite_store, [pipe]) as s, s.client(None) as c:
        csrf = await login(c)
        page = await c.get("/inbox")
        ids = re.findall(r'name="approval" value="([^"]+)"', page.text)
        prints = dict(re.findall(r'name="fingerprint\.([^"]+)" value="([^"]+)"', page.text))
        data = [("csrf", csrf)] + [("approval", i) for i in ids] + [(f"fingerprint.{i}", prints[i]) for i in ids]
        answer = await c.post(
            "/inbox/batch",
            content=urlencode(data),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert "Approved 2 of 2." in answer.text
        nothing = await c.post("/inbox/batch", data={"csrf": csrf})
        assert "Nothing was selected." in nothing.text


async def test_start_a_run_from_the_pipelines_page(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, [build()]) as s, s.client(None) as c:
        csrf = await login(c)
        page = await c.get("/pipelines")
        assert "claim → decision" in page.text
        for inputs, problem in (("{oops", "Expecting property name"), ("[1]", "must be a JSON object"), ('{"doc": {}}', "input &#39;doc&#39;")):
            answer = await c.post("/pipelines/claims/runs", data={"csrf": csrf, "inputs": inputs})
            assert problem in answer.text, inputs
        started = await c.post(
            "/pipelines/claims/runs",
            data={"csrf": csrf, "inputs": DOC.model_dump_json().join(['{"doc": ', "}"]), "gates": "shadow"},
            follow_redirects=False,
        )
        assert started.status_code == 303 and started.headers["location"].startswith("/runs/")
        run = await c.get(started.headers["location"])
        assert "Run started." in run.text and "Gates shadow" in run.text
        assert (await c.get("/runs/nope")).status_code == 404


async def test_reliability_page_lists_evals_and_report_files(sqlite_store: RunStore, tmp_path: Path) -> None:
    good = build(reader=read_right, approval=False)
    await evaluate(good, [{"doc": DOC}] * 2, name="nightly", gates="both", store=sqlite_store)
    await good.run({"doc": DOC}, store=sqlite_store)
    (tmp_path / "claims-eval.html").write_text("<html><body>the report</body></html>")
    (tmp_path / "notes.txt").write_text("not a report")
    async with serve(sqlite_store, [good], reports=tmp_path) as s, s.client(None) as c:
        await login(c)
        page = await c.get("/reliability")
        assert page.status_code == 200 and "<svg" in page.text
        assert "1 finished runs" in page.text  # the eval's runs are its own
        assert 'href="/reliability/evals/nightly"' in page.text and "4 runs (on, shadow)" in page.text
        assert 'href="/reports/claims-eval.html"' in page.text and "notes.txt" not in page.text
        report = await c.get("/reliability/evals/nightly")
        assert report.status_code == 200 and "default-src 'none'" in report.headers["content-security-policy"]
        file = await c.get("/reports/claims-eval.html")
        assert file.text == "<html><body>the report</body></html>"
        for bad in ("../runs.db", "notes.txt", "..%2Fruns.db", "nope.html"):
            assert (await c.get(f"/reports/{bad}")).status_code == 404, bad
        assert (await c.get("/reliability/evals/nope")).status_code == 404
        api = await c.get("/api")
        assert "/api/approvals/{approval_id}/decision" in api.text



class Limit(BaseModel):
    limit: float
    source: str


def reading_pipeline() -> sl.Pipeline:
    """A step that reads the context store and misreads the limit in it: escalated."""
    pipe = sl.Pipeline("reading-claims", inputs={"doc": ClaimDoc})

    @pipe.step
    async def cover(doc: ClaimDoc, ctx: sl.StepContext) -> Limit:
        found = await ctx.search("storm roof damage cover", collection="policies", k=1, mode="keyword")
        return Limit(limit=2_000, source=found[0].document)  # the text says $20,000

    pipe.gate(
        "cover",
        sl.check(
            "the limit is what the step read",
            lambda cover, reads: f"${cover.limit:,.0f}" in " ".join(reads.texts)
            or f"${cover.limit:,.0f} is not in what the step read",
        ),
        on_fail=sl.escalate_to_human(),
    )
    return pipe


async def test_an_approval_shows_what_the_step_read_of_the_context_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    context = await open_context(url, embedder=None)
    try:
        storm = "# Storm cover\n\nRoof damage from storms is covered up to $20,000."
        await context.add("policies", [make_document("storm.md", storm, media_type="text/markdown")])
    finally:
        await context.close()
    pipe = reading_pipeline()
    store = await open_store(url)
    try:
        run_id = (await pipe.run({"doc": DOC}, store=store)).run_id
        (pending,) = await store.pending_approvals(run_id=run_id)
        async with serve(store, [pipe]) as s, s.client() as c:
            page = await c.get(f"/inbox/{pending.approval_id}")
            assert page.status_code == 200
            assert 'id="context-reads"' in page.text
            assert "Read <code>policies</code> at revision" in page.text
            assert "storm.md" in page.text and "covered up to $20,000" in page.text
            assert "$2,000 is not in what the step read" in page.text
            item = (await c.get(f"/api/approvals/{pending.approval_id}")).json()
            (read,) = item["attempts"][-1]["reads"]
            assert read["collection"] == "policies" and read["kind"] == "search"
            assert read["query"] == "storm roof damage cover"
            assert read["passages"][0]["document"] == "storm.md"
            assert "Read <code>policies</code>" in (await c.get(f"/runs/{run_id}")).text
    finally:
        await store.close()
