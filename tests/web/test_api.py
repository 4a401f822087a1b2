"""The HTTP API, endpoint by endpoint, against a real server over a real SQLite store:
what each returns, and what bad input gets (unknown ids, wrong schemas, double and
concurrent decisions, stale views, viewers)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from claims import DOC, ClaimDoc, build, misread, read_right
from served import REVIEWER, SECOND, VIEWER, Served, serve

from seamline.events import ApprovalDecided
from seamline.store import RunStore


async def escalated(store: RunStore, n: int = 1) -> list[str]:
    """Runs of the claims pipeline waiting on a person (their gate escalated)."""
    pipe = build()
    ids = []
    for i in range(n):
        doc = DOC if i == 0 else ClaimDoc(text=f"Bo Lind, policy PX-{i}, claims ${900 + i} for theft.")
        ids.append((await pipe.run({"doc": doc}, store=store)).run_id)
    return ids


async def pending(served: Served, **params: Any) -> list[dict[str, Any]]:
    async with served.client() as c:
        answer = await c.get("/api/approvals", params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def wait_for_status(served: Served, run_id: str, status: str) -> dict[str, Any]:
    async with served.client() as c:
        for _ in range(100):
            answer = (await c.get(f"/api/runs/{run_id}/result", params={"wait": 2})).json()
            if answer["status"] == status:
                return dict(answer)
            await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {status}: {answer}")


async def test_me_says_who_the_token_is(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, []) as s, s.client(VIEWER) as c:
        assert (await c.get("/api/me")).json() == {"name": "cleo", "role": "viewer"}


async def test_an_edit_through_the_api_finishes_the_run_with_the_reviewer_in_the_log(
    sqlite_store: RunStore,
) -> None:
    (run_id,) = await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        assert item["run_id"] == run_id and item["reason"] == "escalation" and item["decidable"]
        async with s.client() as c:
            detail = (await c.get(f"/api/approvals/{item['approval_id']}")).json()
            assert detail["fingerprint"] == item["fingerprint"]
            assert detail["reads"] == {"doc": DOC.model_dump()}
            assert [a["number"] for a in detail["attempts"]] == [1, 2]
            assert "amount 15 does not appear" in detail["attempts"][0]["verdicts"][0]["reasons"][0]
            assert detail["schema"]["properties"]["amount"]["type"] == "number"
            assert detail["route_options"] == ["claim"]
            edit = {**detail["approval"]["artifact"], "amount": 15750}
            answer = await c.post(
                f"/api/approvals/{item['approval_id']}/decision",
                json={"decision": "edit", "fingerprint": item["fingerprint"], "edit": edit},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["resumed"] is True
        waiting = await wait_for_status(s, run_id, "waiting")
        assert waiting["artifacts"]["decision"] == {"approve": True, "payout": 15750.0}
        (approval,) = await pending(s)
        async with s.client(SECOND) as c:
            answer = await c.post(
                f"/api/approvals/{approval['approval_id']}/decision",
                json={"decision": "approve", "fingerprint": approval["fingerprint"]},
            )
            assert answer.status_code == 200, answer.text
        done = await wait_for_status(s, run_id, "succeeded")
        assert done["pending_approvals"] == []
    decisions = [e for e in await sqlite_store.load(run_id) if isinstance(e, ApprovalDecided)]
    assert [(d.decision, d.reviewer) for d in decisions] == [("edit", "ana"), ("approve", "bob")]


async def test_an_edit_that_does_not_fit_the_type_is_refused_and_nothing_is_written(
    sqlite_store: RunStore,
) -> None:
    (run_id,) = await escalated(sqlite_store)
    before = await sqlite_store.load(run_id)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        async with s.client() as c:
            url = f"/api/approvals/{item['approval_id']}/decision"
            for body in (
                {"decision": "edit", "fingerprint": item["fingerprint"], "edit": {"amount": "lots"}},
                {"decision": "reject", "fingerprint": item["fingerprint"]},  # no reason
                {"decision": "maybe", "fingerprint": item["fingerprint"]},
                {"decision": "approve"},  # what was shown?
                {"decision": "reject", "fingerprint": item["fingerprint"], "reason": "x", "reason_code": "nope"},
                {"decision": "reject", "fingerprint": item["fingerprint"], "reason": "x", "route_to": "decision"},
            ):
                answer = await c.post(url, json=body)
                assert answer.status_code == 422, (body, answer.text)
            answer = await c.post(url, content=b"not json", headers={"content-type": "application/json"})
            assert answer.status_code == 422
    assert await sqlite_store.load(run_id) == before


async def test_unknown_ids_are_404_and_bad_filters_400(sqlite_store: RunStore) -> None:
    await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        for path in (
            "/api/approvals/nope",
            "/api/runs/nope",
            "/api/runs/nope/result",
            "/api/runs/nope/log",
            "/api/runs/nope/stream",
        ):
            answer = await c.get(path)
            assert answer.status_code == 404, path
            assert answer.json()["error"] in ("unknown_approval", "unknown_run")
        answer = await c.post("/api/approvals/nope/decision", json={"decision": "approve", "fingerprint": "x"})
        assert answer.status_code == 404
        answer = await c.post("/api/pipelines/nope/runs", json={"inputs": {}})
        assert answer.status_code == 404 and "restart seamline ui with --pipeline" in answer.json()["detail"]
        for params in ({"reason": "why"}, {"limit": 0}, {"limit": 10_000}, {"after": "nope"}, {"older_than": -1}):
            assert (await c.get("/api/approvals", params=params)).status_code == 400, params
        for params in ({"status": "sleeping"}, {"before": "nope"}, {"limit": 0}):
            assert (await c.get("/api/runs", params=params)).status_code == 400, params


async def test_deciding_twice_is_a_conflict_naming_who_decided(sqlite_store: RunStore) -> None:
    (run_id,) = await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        body = {"decision": "reject", "fingerprint": item["fingerprint"], "reason": "unreadable", "reason_code": "wrong_value"}
        url = f"/api/approvals/{item['approval_id']}/decision"
        async with s.client() as c:
            assert (await c.post(url, json=body)).status_code == 200
        async with s.client(SECOND) as c:
            again = await c.post(url, json={"decision": "approve", "fingerprint": item["fingerprint"]})
        assert again.status_code == 409 and again.json()["error"] == "not_pending"
        assert "reject by ana" in again.json()["detail"]
    decided = [e for e in await sqlite_store.load(run_id) if isinstance(e, ApprovalDecided)]
    assert [(d.decision, d.reason_code, d.reviewer) for d in decided][:1] == [("reject", "wrong_value", "ana")]


@pytest.mark.parametrize("trial", range(3))
async def test_concurrent_decisions_exactly_one_wins(sqlite_store: RunStore, trial: int) -> None:
    (run_id,) = await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        url = f"/api/approvals/{item['approval_id']}/decision"
        edit = {"claimant": "Ana Ruiz", "amount": 15750, "policy_id": "PX-2231", "incident": "storm"}
        bodies = [
            (REVIEWER, {"decision": "edit", "fingerprint": item["fingerprint"], "edit": edit}),
            (SECOND, {"decision": "reject", "fingerprint": item["fingerprint"], "reason": "no"}),
            (REVIEWER, {"decision": "edit", "fingerprint": item["fingerprint"], "edit": edit}),
            (SECOND, {"decision": "approve", "fingerprint": item["fingerprint"]}),
        ]

        async def post(token: str, body: dict[str, Any]) -> int:
            async with s.client(token) as c:
                return (await c.post(url, json=body)).status_code

        codes = await asyncio.gather(*(post(t, b) for t, b in bodies))
        assert sorted(codes) == [200, 409, 409, 409], codes
    decided = [
        e
        for e in await sqlite_store.load(run_id)
        if isinstance(e, ApprovalDecided) and e.approval_id == item["approval_id"]
    ]
    assert len(decided) == 1


async def test_a_stale_fingerprint_is_refused(sqlite_store: RunStore) -> None:
    (run_id,) = await escalated(sqlite_store)
    before = await sqlite_store.load(run_id)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        async with s.client() as c:
            answer = await c.post(
                f"/api/approvals/{item['approval_id']}/decision",
                json={"decision": "approve", "fingerprint": "0" * 64},
            )
    assert answer.status_code == 409 and answer.json()["error"] == "stale"
    assert "not what the reviewer saw" in answer.json()["detail"]
    assert await sqlite_store.load(run_id) == before


async def test_a_viewer_reads_but_cannot_decide_start_or_resume(sqlite_store: RunStore) -> None:
    (run_id,) = await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s:
        (item,) = await pending(s)
        async with s.client(VIEWER) as c:
            assert (await c.get(f"/api/approvals/{item['approval_id']}")).status_code == 200
            assert (await c.get(f"/api/runs/{run_id}")).status_code == 200
            for path, body in (
                (f"/api/approvals/{item['approval_id']}/decision", {"decision": "approve", "fingerprint": item["fingerprint"]}),
                ("/api/approvals/batch", {"items": [{"approval_id": item["approval_id"], "fingerprint": item["fingerprint"]}]}),
                ("/api/pipelines/claims/runs", {"inputs": {"doc": {"text": "x"}}}),
                (f"/api/runs/{run_id}/resume", {}),
            ):
                answer = await c.post(path, json=body)
                assert answer.status_code == 403, path
    assert await sqlite_store.pending_approvals() != []


async def test_a_pipeline_not_named_to_the_server_is_read_only(sqlite_store: RunStore) -> None:
    await escalated(sqlite_store)
    async with serve(sqlite_store, []) as s:
        (item,) = await pending(s)
        assert item["decidable"] is False
        async with s.client() as c:
            detail = (await c.get(f"/api/approvals/{item['approval_id']}")).json()
            assert detail["decidable"] is False and detail["schema"] is None
            answer = await c.post(
                f"/api/approvals/{item['approval_id']}/decision",
                json={"decision": "approve", "fingerprint": item["fingerprint"]},
            )
    assert answer.status_code == 409 and answer.json()["error"] == "not_registered"


async def test_batch_approve_decides_each_as_shown_and_reports_each(sqlite_store: RunStore) -> None:
    await escalated(sqlite_store, 3)
    async with serve(sqlite_store, [build()]) as s:
        items = await pending(s)
        assert len(items) == 3
        chosen = [{"approval_id": i["approval_id"], "fingerprint": i["fingerprint"]} for i in items]
        chosen[2]["fingerprint"] = "stale"
        chosen.append({"approval_id": "nope", "fingerprint": "x"})
        async with s.client() as c:
            answer = await c.post("/api/approvals/batch", json={"items": chosen})
            assert answer.status_code == 200, answer.text
            results = answer.json()["results"]
            assert [r["ok"] for r in results] == [True, True, False, False]
            assert [r["error"] for r in results[2:]] == ["stale", "unknown_approval"]
            assert (await c.post("/api/approvals/batch", json={"items": []})).status_code == 422
        # The two approved escalations continue to their decision's approval.
        for i in items[:2]:
            await wait_for_status(s, i["run_id"], "waiting")


async def test_inbox_filters_and_pages(sqlite_store: RunStore) -> None:
    await escalated(sqlite_store, 5)
    async with serve(sqlite_store, [build()]) as s:
        seen, after = [], None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if after:
                params["after"] = after
            async with s.client() as c:
                page = (await c.get("/api/approvals", params=params)).json()
            seen += [i["approval_id"] for i in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert len(seen) == len(set(seen)) == 5
        assert len(await pending(s, step="claim", reason="escalation", pipeline="claims")) == 5
        assert await pending(s, reason="approval") == []
        assert await pending(s, older_than=3600) == []
        assert len(await pending(s, newer_than=3600)) == 5


async def test_runs_list_and_run_detail(sqlite_store: RunStore) -> None:
    ids = await escalated(sqlite_store, 3)
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        first = (await c.get("/api/runs", params={"limit": 2})).json()
        rest = (await c.get("/api/runs", params={"before": first["next"]})).json()
        listed = [r["run_id"] for r in first["items"] + rest["items"]]
        assert listed == ids[::-1] and rest["next"] is None
        row = first["items"][0]
        assert row["status"] == "needs_review" and row["model_calls"] == 2 and row["passed"] is None
        assert (await c.get("/api/runs", params={"status": "succeeded"})).json()["items"] == []
        detail = (await c.get(f"/api/runs/{ids[0]}")).json()
        assert set(detail["graph"]) == {"claim", "decision"}
        assert detail["graph"]["decision"]["reads"] == ["claim"]
        claim = next(st for st in detail["steps"] if st["name"] == "claim")
        assert claim["status"] == "waiting" and len(claim["units"][0]["attempts"]) == 2
        attempt = claim["units"][0]["attempts"][0]
        assert attempt["calls"][0]["model"] == "scripted" and attempt["calls"][0]["input_tokens"] > 0
        assert [d["what"] for d in detail["decisions"]] == ["retry → again", "escalate"]
        log = (await c.get(f"/api/runs/{ids[0]}/log")).json()
        assert log[0]["kind"] == "RunStarted" and log[-1]["kind"] == "RunFinished"


async def test_start_a_run_and_read_its_result(sqlite_store: RunStore) -> None:
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        listed = (await c.get("/api/pipelines")).json()
        assert listed[0]["name"] == "claims" and listed[0]["steps"] == ["claim", "decision"]
        assert "text" in listed[0]["inputs"]["doc"]["properties"]
        bad = await c.post("/api/pipelines/claims/runs", json={"inputs": {"doc": {"words": 1}}})
        assert bad.status_code == 422 and "input 'doc'" in bad.json()["detail"]
        assert (await c.post("/api/pipelines/claims/runs", json={"inputs": {}, "gates": "maybe"})).status_code == 422
        started = await c.post("/api/pipelines/claims/runs", json={"inputs": {"doc": DOC.model_dump()}})
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        result = (await c.get(started.json()["result"], params={"wait": 10})).json()
        assert result["status"] == "needs_review"
        assert result["pending_approvals"][0]["reason"] == "escalation"
    assert (await sqlite_store.run(run_id)) is not None


async def test_resume_endpoint(sqlite_store: RunStore) -> None:
    (run_id,) = await escalated(sqlite_store)
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        answer = await c.post(f"/api/runs/{run_id}/resume")
        assert answer.status_code == 202 and answer.json()["resumed"] is True
        await wait_for_status(s, run_id, "needs_review")  # still waiting for its person


async def test_reliability_and_openapi(sqlite_store: RunStore) -> None:
    await escalated(sqlite_store, 2)  # waiting for a person: not finished, not counted
    for reader, gates in ((misread, "shadow"), (misread, "shadow"), (read_right, "on")):
        await build(reader=reader, approval=False).run({"doc": DOC}, store=sqlite_store, gates=gates)
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        found = (await c.get("/api/reliability")).json()
        (claims,) = found["pipelines"]
        assert claims["runs"] == 3
        (gated,) = claims["over_time"]["gated"]
        (shadow,) = claims["over_time"]["shadow (gates watch)"]
        # Shadow runs succeeded, but their gate failed the claim: the ungated pipeline fails.
        assert (shadow["value"], shadow["n"]) == (0.0, 2) and (gated["value"], gated["n"]) == (1.0, 1)
        assert shadow["interval"]["high"] < 1 and gated["interval"]["low"] > 0
        assert found["measured_against"].startswith("the gates")
        spec = (await c.get("/api/openapi.json")).json()
        paths = set(spec["paths"])
        assert {"/api/approvals", "/api/approvals/{approval_id}/decision", "/api/approvals/batch",
                "/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/result",
                "/api/pipelines/{name}/runs", "/api/reliability", "/api/events"} <= paths
        assert not any(p.startswith("/inbox") for p in paths)  # pages are not the API
        assert (await c.get("/api/webhooks")).json() == {"configured": {}, "deliveries": []}


async def test_the_inbox_and_a_decision_on_every_store(any_store: RunStore) -> None:
    ids = await escalated(any_store, 3)
    async with serve(any_store, [build()]) as s:
        first = await pending(s, limit=2)
        rest = await pending(s, after=first[-1]["approval_id"])
        assert [i["run_id"] for i in first + rest] == ids
        item = first[0]
        async with s.client() as c:
            edit = {"claimant": "Ana Ruiz", "amount": 15750, "policy_id": "PX-2231", "incident": "storm"}
            answer = await c.post(
                f"/api/approvals/{item['approval_id']}/decision",
                json={"decision": "edit", "fingerprint": item["fingerprint"], "edit": edit},
            )
            assert answer.status_code == 200, answer.text
            page = (await c.get("/api/runs", params={"limit": 2})).json()
            assert [r["run_id"] for r in page["items"]] == ids[:0:-1]
        await wait_for_status(s, ids[0], "waiting")


async def test_resume_and_reliability_refuse_what_cannot_be(sqlite_store: RunStore) -> None:
    done = await build(reader=read_right, approval=False).run({"doc": DOC}, store=sqlite_store)
    async with serve(sqlite_store, [build()]) as s, s.client() as c:
        unknown = await c.post("/api/runs/nope/resume")
        assert unknown.status_code == 404
        final = await c.post(f"/api/runs/{done.run_id}/resume")
        assert final.status_code == 409 and "succeeded: nothing to resume" in final.json()["detail"]
        assert (await c.get("/api/reliability", params={"limit": 0})).status_code == 422
