"""The JSON HTTP API: everything the pages do, plus starting a run and reading its result.

Documented by OpenAPI at `/api/openapi.json` (and readable at `/api`). Errors are
`{"error": CODE, "detail": MESSAGE}` with the status they mean: 400 a bad filter or
cursor, 401 no valid token, 403 a viewer asked to change something, 404 an unknown id,
409 a conflict (already decided, a stale view, the run busy, a pipeline this server does
not run), 422 a request that does not validate.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from seamline.events import encode
from seamline.web.app import identity_of, services_of
from seamline.web.inbox import InboxItem
from seamline.web.live import run_stream, stream
from seamline.web.service import Decided, InboxFilters, WebError
from seamline.web.trends import eval_groups, trends
from seamline.web.views import RunView

router = APIRouter(prefix="/api", tags=["api"])


class Me(BaseModel):
    name: str
    role: Literal["reviewer", "viewer"]


class PendingOut(BaseModel):
    approval_id: str
    run_id: str
    pipeline: str
    step: str
    index: int | None
    reason: Literal["approval", "escalation"] | str
    requested_at: float
    timeout_at: float | None
    fingerprint: str = Field(description="send it back with a decision: what you were shown")
    preview: str
    decidable: bool = Field(description="this server runs the approval's pipeline")


class InboxOut(BaseModel):
    items: list[PendingOut]
    next: str | None = Field(description="pass as `after` for the next page")


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject", "edit"]
    fingerprint: str = Field(description="the approval's fingerprint as it was shown")
    reason: str | None = Field(None, description="required to reject: the feedback for the redo")
    reason_code: str | None = None
    edit: Any = Field(None, description="for edit: the corrected artifact (JSON)")
    route_to: str | None = Field(None, description="for reject: an earlier step to redo from")


class DecisionOut(BaseModel):
    approval_id: str
    run_id: str
    decision: str
    resumed: bool
    message: str


class BatchItem(BaseModel):
    approval_id: str
    fingerprint: str


class BatchIn(BaseModel):
    items: list[BatchItem] = Field(min_length=1, max_length=200)


class BatchResult(BaseModel):
    approval_id: str
    ok: bool
    run_id: str | None = None
    error: str | None = None
    detail: str | None = None


class BatchOut(BaseModel):
    results: list[BatchResult]


class RunOut(BaseModel):
    run_id: str
    pipeline: str
    status: str
    created_at: float
    updated_at: float
    error: str | None
    mode: str
    cost_usd: float
    model_calls: int
    tokens: int
    passed: bool | None


class RunsOut(BaseModel):
    items: list[RunOut]
    next: str | None = Field(description="pass as `before` for the next page")


class StartIn(BaseModel):
    inputs: dict[str, Any] = Field(description="a value per pipeline input (JSON)")
    gates: Literal["on", "shadow", "off"] = "on"


class StartOut(BaseModel):
    run_id: str
    status: str
    result: str = Field(description="where to read the result")


class ResultOut(BaseModel):
    run_id: str
    pipeline: str
    status: str
    error: str | None
    artifacts: dict[str, Any]
    pending_approvals: list[dict[str, Any]]


@router.get("/me", response_model=Me, summary="Who the token is")
async def me(request: Request) -> Me:
    who = identity_of(request)
    return Me(name=who.name, role=who.role)


@router.get("/approvals", response_model=InboxOut, summary="Pending approvals, oldest first")
async def approvals(
    request: Request,
    pipeline: str | None = None,
    step: str | None = None,
    reason: str | None = Query(None, description="approval or escalation"),
    older_than: float | None = Query(None, description="waiting at least this many seconds"),
    newer_than: float | None = Query(None, description="waiting at most this many seconds"),
    after: str | None = Query(None, description="the cursor: `next` of the previous page"),
    limit: int = 25,
) -> InboxOut:
    page = await services_of(request).dashboard.inbox(
        InboxFilters(pipeline, step, reason, older_than, newer_than, after, limit), time.time()
    )
    return InboxOut(
        items=[
            PendingOut(
                **to_jsonable_python(row.pending),
                fingerprint=row.fingerprint,
                preview=row.preview,
                decidable=row.decidable,
            )
            for row in page.rows
        ],
        next=page.next,
    )


@router.get("/approvals/{approval_id}", summary="One approval with everything shown to decide it")
async def approval(request: Request, approval_id: str) -> dict[str, Any]:
    services = services_of(request)
    item = await services.dashboard.item(approval_id)
    return item_json(item, services.dashboard.schema(item), services.dashboard.reason_codes)


@router.post(
    "/approvals/{approval_id}/decision",
    response_model=DecisionOut,
    summary="Approve, edit or reject an approval, bound to the fingerprint shown",
)
async def decide(request: Request, approval_id: str, body: DecisionIn) -> DecisionOut:
    done = await services_of(request).dashboard.decide(
        approval_id,
        identity_of(request),
        body.decision,
        shown=body.fingerprint,
        reason=body.reason,
        reason_code=body.reason_code,
        edit=body.edit,
        route_to=body.route_to,
    )
    return _decided(done)


@router.post("/approvals/batch", response_model=BatchOut, summary="Approve several approvals")
async def batch(request: Request, body: BatchIn) -> BatchOut:
    results = await services_of(request).dashboard.batch_approve(
        identity_of(request), [(i.approval_id, i.fingerprint) for i in body.items]
    )
    out = []
    for item, result in zip(body.items, results, strict=True):
        if isinstance(result, WebError):
            out.append(
                BatchResult(
                    approval_id=item.approval_id, ok=False, error=result.code, detail=result.message
                )
            )
        else:
            out.append(BatchResult(approval_id=item.approval_id, ok=True, run_id=result.run_id))
    return BatchOut(results=out)


@router.get("/runs", response_model=RunsOut, summary="Runs, newest first")
async def runs(
    request: Request,
    status: str | None = None,
    pipeline: str | None = None,
    before: str | None = Query(None, description="the cursor: `next` of the previous page"),
    limit: int = 50,
) -> RunsOut:
    page = await services_of(request).dashboard.runs(
        status=status, pipeline=pipeline, before=before, limit=limit
    )
    return RunsOut(
        items=[
            RunOut(
                run_id=r.summary.run_id,
                pipeline=r.summary.pipeline,
                status=r.summary.status.value,
                created_at=r.summary.created_at,
                updated_at=r.summary.updated_at,
                error=r.summary.error,
                mode=r.mode,
                cost_usd=r.cost_usd,
                model_calls=r.model_calls,
                tokens=r.tokens,
                passed=r.passed,
            )
            for r in page.rows
        ],
        next=page.next,
    )


@router.get("/runs/{run_id}", summary="A run: its graph, every attempt, verdict, call and decision")
async def run(request: Request, run_id: str) -> dict[str, Any]:
    return run_json(await services_of(request).dashboard.run(run_id))


@router.get(
    "/runs/{run_id}/result", response_model=ResultOut, summary="A run's status and artifacts"
)
async def result(
    request: Request,
    run_id: str,
    wait: float = Query(0, ge=0, le=60, description="seconds to wait for the run to stop"),
) -> ResultOut:
    dashboard = services_of(request).dashboard
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        view = await dashboard.run(run_id)
        if view.status != "running" or loop.time() >= deadline:
            break
        await asyncio.sleep(0.1)
    state = view.state
    return ResultOut(
        run_id=run_id,
        pipeline=view.pipeline,
        status=view.status,
        error=state.error,
        artifacts={k: to_jsonable_python(v) for k, v in state.step_artifacts().items()},
        pending_approvals=[
            {"approval_id": a.approval_id, "step": a.step, "index": a.index, "reason": a.reason}
            for a in view.approvals
            if a.pending
        ],
    )


@router.get("/runs/{run_id}/log", summary="A run's events, as the store holds them")
async def run_log(request: Request, run_id: str) -> list[dict[str, Any]]:
    view = await services_of(request).dashboard.run(run_id)  # 404 for an unknown run
    events = await services_of(request).store.load(view.run_id)
    out = []
    for e in events:
        kind, payload = encode(e)
        out.append({"seq": e.seq, "kind": kind, **payload})
    return out


@router.post("/runs/{run_id}/resume", status_code=202, summary="Resume a run in this server")
async def resume(request: Request, run_id: str) -> dict[str, Any]:
    resumed = await services_of(request).dashboard.resume(run_id, identity_of(request))
    return {"run_id": run_id, "resumed": resumed}


@router.get("/pipelines", summary="The pipelines this server runs, with their inputs' schemas")
async def pipelines(request: Request) -> list[dict[str, Any]]:
    return [pipeline_json(p) for p in services_of(request).runner.pipelines.values()]


@router.post(
    "/pipelines/{name}/runs", status_code=202, response_model=StartOut, summary="Start a run"
)
async def start(request: Request, name: str, body: StartIn) -> StartOut:
    run_id = await services_of(request).dashboard.start(
        name, body.inputs, body.gates, identity_of(request)
    )
    summary = await services_of(request).store.run(run_id)
    return StartOut(
        run_id=run_id,
        status=summary.status.value if summary is not None else "starting",
        result=f"/api/runs/{run_id}/result",
    )


@router.get("/reliability", summary="Pass rate over time and per-seam numbers, per pipeline")
async def reliability(
    request: Request, pipeline: str | None = None, limit: int = Query(2000, ge=1, le=20_000)
) -> dict[str, Any]:
    services = services_of(request)
    found = await trends(services.store, services.cache, pipeline=pipeline, limit=limit)
    return {
        "measured_against": "the gates (runs in a store carry no expected results)",
        "pipelines": [
            {
                "pipeline": t.pipeline,
                "runs": t.runs,
                "over_time": {
                    mode: [to_jsonable_python(p) for p in points]
                    for mode, points in t.series.items()
                },
                "report": t.report.to_dict(),
            }
            for t in found
        ],
        "evals": [to_jsonable_python(g) for g in await eval_groups(services.store)],
    }


@router.get("/webhooks", summary="Webhook deliveries, newest last")
async def webhooks(request: Request) -> dict[str, Any]:
    hooks = services_of(request).webhooks
    if hooks is None:
        return {"configured": {}, "deliveries": []}
    from seamline.web.webhooks import redact

    return {
        "configured": {k: redact(v) for k, v in hooks.config.urls.items()},
        "deliveries": [to_jsonable_python(d) for d in hooks.deliveries],
    }


@router.get("/events", summary="Server-sent events: approvals requested, runs' status changes")
async def events(request: Request) -> StreamingResponse:
    watcher = services_of(request).watcher
    queue = watcher.subscribe()
    stopping = services_of(request).stopping

    async def body() -> Any:
        try:
            yield "retry: 2000\n\n"
            async for chunk in stream(queue, stopping):
                yield chunk
        finally:
            watcher.unsubscribe(queue)

    return StreamingResponse(body(), media_type="text/event-stream", headers=_NO_CACHE)


@router.get("/runs/{run_id}/stream", summary="Server-sent events: one run's progress")
async def run_events(request: Request, run_id: str) -> StreamingResponse:
    services = services_of(request)
    if await services.store.run(run_id) is None:
        raise WebError(404, "unknown_run", f"no run {run_id!r}")
    return StreamingResponse(
        run_stream(services.store, run_id, services.stopping),
        media_type="text/event-stream",
        headers=_NO_CACHE,
    )


_NO_CACHE = {"cache-control": "no-cache", "x-accel-buffering": "no"}


# -- JSON forms of the views, shared with the pages' data attributes ----------------------


def _decided(done: Decided) -> DecisionOut:
    if done.errors:
        raise WebError(
            422, "bad_edit", "; ".join(f"{f.name}: {e}" for f in done.errors for e in f.errors)
        )
    return DecisionOut(
        approval_id=done.approval_id,
        run_id=done.run_id,
        decision=done.decision,
        resumed=done.resumed,
        message=done.message,
    )


def run_json(view: RunView) -> dict[str, Any]:
    state = view.state
    return {
        "run_id": view.run_id,
        "pipeline": view.pipeline,
        "status": view.status,
        "error": state.error,
        "mode": str(state.options.get("gates", "on")),
        "started_at": state.started_at,
        "finished_at": state.finished_at,
        "events": view.events,
        "totals": {
            "model_calls": state.model_calls,
            "tokens": state.tokens,
            "cost_usd": state.cost_usd,
            "tool_calls": state.tool_calls,
            "busy_seconds": state.busy_seconds,
        },
        "inputs": view.inputs,
        "graph": {name: shape.to_json() for name, shape in state.shape.steps.items()},
        "steps": [to_jsonable_python(s) for s in view.steps],
        "decisions": [to_jsonable_python(d) for d in view.decisions],
        "approvals": [to_jsonable_python(a) for a in view.approvals],
    }


def item_json(
    item: InboxItem, schema: dict[str, Any] | None, codes: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "approval": to_jsonable_python(item.approval),
        "run_id": item.run.run_id,
        "pipeline": item.run.pipeline,
        "run_status": item.run.status,
        "fingerprint": item.fingerprint,
        "attempts": [to_jsonable_python(a) for a in item.attempts],
        "reads": item.reads,
        "effects": [to_jsonable_python(e) for e in item.effects],
        "route_options": item.route_options,
        "earlier": [to_jsonable_python(a) for a in item.earlier],
        "schema": schema,
        "decidable": schema is not None,
        "reason_codes": list(codes),
    }


def pipeline_json(pipe: Any) -> dict[str, Any]:
    from pydantic import TypeAdapter

    plan = pipe.validate()
    return {
        "name": pipe.name,
        "steps": list(plan.order),
        "graph": dict(plan.graph),
        "inputs": {name: TypeAdapter(t).json_schema() for name, t in pipe.inputs.items()},
    }


def json_error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)
