"""The HTML pages: server-rendered with Jinja2 (autoescaped), a little script for live
updates. Every form post carries the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic_core import to_jsonable_python

from seamline.web.app import HERE, _set_cookie, identity_of, services_of
from seamline.web.auth import COOKIE, CSRF_FIELD
from seamline.web.charts import STATUS_COLORS, Node, run_graph, trend
from seamline.web.service import Decided, InboxFilters, WebError
from seamline.web.trends import eval_groups, eval_report, trends

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _ago(at: float | None) -> str:
    if at is None:
        return "–"
    seconds = max(0.0, time.time() - at)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _when(at: float | None) -> str:
    return dt.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S") if at else "–"


def _pretty(value: Any) -> str:
    return json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False, default=str)


def _money(value: float) -> str:
    return f"${value:.4f}" if value else "$0"


templates.env.filters.update(ago=_ago, when=_when, pretty=_pretty, money=_money)
templates.env.globals.update(status_colors=STATUS_COLORS)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = request.scope.get("state", {})
    token = state.get("token")
    services = services_of(request)
    context.update(
        who=state.get("identity"),
        csrf=services.tokens.csrf_for(token) if token else "",
        csrf_field=CSRF_FIELD,
        path=request.url.path,
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, message=message)


async def _form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is checked (for cookie sessions)."""
    form = await request.form()
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    state = request.scope["state"]
    if state.get("by_cookie") and not services_of(request).tokens.csrf_ok(
        state["token"], values.get(CSRF_FIELD)
    ):
        raise WebError(
            403, "csrf", "this form is stale or was not sent by this site: reload and try again"
        )
    return values


def _lists(form: Any, name: str) -> list[str]:
    return [v for k, v in form.multi_items() if k == name and isinstance(v, str)]


# -- signing in -------------------------------------------------------------------------


@router.get("/login")
async def login(request: Request, next: str = "/inbox", error: str = "") -> HTMLResponse:
    return templates.TemplateResponse(
        request, "login.html", {"next": _local(next), "error": error, "who": None}
    )


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", ""))
    target = _local(str(form.get("next", "/inbox")))
    if services_of(request).tokens.identify(token) is None:
        query = urlencode({"next": target, "error": "That token is not valid."})
        return RedirectResponse(f"/login?{query}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _local(target: str) -> str:
    """Only a path on this site: a login link must not send the token elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/inbox"


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


# -- the inbox --------------------------------------------------------------------------


def _seconds(text: str | None) -> float | None:
    """'90', '15m', '2h', '3d' as seconds."""
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise WebError(400, "bad_filter", f"age {text!r}: use seconds or 15m, 2h, 3d") from None


@router.get("/inbox")
async def inbox(
    request: Request,
    pipeline: str = "",
    step: str = "",
    reason: str = "",
    older: str = "",
    newer: str = "",
    after: str = "",
    limit: int = 25,
    notice: str = "",
) -> HTMLResponse:
    filters = InboxFilters(
        pipeline or None,
        step or None,
        reason or None,
        _seconds(older),
        _seconds(newer),
        after or None,
        limit,
    )
    page = await services_of(request).dashboard.inbox(filters, time.time())
    kept = {
        k: v
        for k, v in (
            ("pipeline", pipeline),
            ("step", step),
            ("reason", reason),
            ("older", older),
            ("newer", newer),
        )
        if v
    }
    return render(
        request,
        "inbox.html",
        page=page,
        filters=kept,
        next_url="/inbox?" + urlencode({**kept, "after": page.next}) if page.next else None,
        notice=notice,
        pipelines=sorted(services_of(request).runner.pipelines),
    )


@router.post("/inbox/batch")
async def inbox_batch(request: Request) -> Response:
    form = await request.form()
    values = await _form(request)
    chosen = _lists(form, "approval")
    if not chosen:
        return RedirectResponse(
            "/inbox?" + urlencode({"notice": "Nothing was selected."}), status_code=303
        )
    items = [(aid, values.get(f"fingerprint.{aid}", "")) for aid in chosen]
    results = await services_of(request).dashboard.batch_approve(identity_of(request), items)
    ok = sum(isinstance(r, Decided) for r in results)
    failed = [
        f"{aid}: {r.message}"
        for (aid, _), r in zip(items, results, strict=True)
        if isinstance(r, WebError)
    ]
    notice = f"Approved {ok} of {len(items)}." + (
        " Not approved: " + " | ".join(failed) if failed else ""
    )
    return RedirectResponse("/inbox?" + urlencode({"notice": notice}), status_code=303)


@router.get("/inbox/{approval_id}")
async def item(request: Request, approval_id: str, notice: str = "") -> HTMLResponse:
    dashboard = services_of(request).dashboard
    found = await dashboard.item(approval_id)
    return render(
        request,
        "approval.html",
        item=found,
        form_fields=dashboard.edit_form(found),
        reason_codes=dashboard.reason_codes,
        notice=notice,
        problem="",
    )


@router.post("/inbox/{approval_id}")
async def decide(request: Request, approval_id: str) -> Response:
    values = await _form(request)
    dashboard = services_of(request).dashboard
    decision = values.get("decision", "")
    try:
        done = await dashboard.decide(
            approval_id,
            identity_of(request),
            decision,  # type: ignore[arg-type]
            shown=values.get("fingerprint"),
            reason=values.get("reason") if decision == "reject" else None,
            reason_code=(values.get("reason_code") or None) if decision == "reject" else None,
            form=values if decision == "edit" else None,
            route_to=values.get("route_to") if decision == "reject" else None,
        )
    except WebError as e:
        if e.status not in (409, 422):
            raise
        found = await dashboard.item(approval_id)
        return render(
            request,
            "approval.html",
            status=e.status,
            item=found,
            form_fields=dashboard.edit_form(found),
            reason_codes=dashboard.reason_codes,
            notice="",
            problem=e.message,
        )
    if done.errors:
        found = await dashboard.item(approval_id)
        return render(
            request,
            "approval.html",
            status=422,
            item=found,
            form_fields=done.errors,
            reason_codes=dashboard.reason_codes,
            notice="",
            problem="The edit does not validate: fix the fields marked below. Nothing was recorded.",
            editing=True,
        )
    return RedirectResponse(
        f"/runs/{done.run_id}?" + urlencode({"notice": done.message}), status_code=303
    )


# -- runs -------------------------------------------------------------------------------


@router.get("/runs")
async def runs(
    request: Request, status: str = "", pipeline: str = "", before: str = "", limit: int = 50
) -> HTMLResponse:
    page = await services_of(request).dashboard.runs(
        status=status or None, pipeline=pipeline or None, before=before or None, limit=limit
    )
    kept = {k: v for k, v in (("status", status), ("pipeline", pipeline)) if v}
    return render(
        request,
        "runs.html",
        page=page,
        filters=kept,
        next_url="/runs?" + urlencode({**kept, "before": page.next}) if page.next else None,
    )


def _run_context(view: Any) -> dict[str, Any]:
    nodes = [
        Node(
            s.name,
            s.status,
            s.attempts,
            s.shape.gate,
            s.shape.approval is not None,
            s.shape.map is not None,
        )
        for s in view.steps
    ]
    graph = Markup(run_graph(view.state.shape.steps, nodes, list(view.inputs)))
    return {"run": view, "graph": graph}


@router.get("/runs/{run_id}")
async def run(request: Request, run_id: str, notice: str = "") -> HTMLResponse:
    view = await services_of(request).dashboard.run(run_id)
    return render(request, "run.html", notice=notice, **_run_context(view))


@router.get("/runs/{run_id}/body")
async def run_body(request: Request, run_id: str) -> HTMLResponse:
    view = await services_of(request).dashboard.run(run_id)
    return render(request, "_run_body.html", **_run_context(view))


@router.post("/runs/{run_id}/resume")
async def resume(request: Request, run_id: str) -> Response:
    await _form(request)
    resumed = await services_of(request).dashboard.resume(run_id, identity_of(request))
    notice = "Resuming the run." if resumed else "This server is already driving the run."
    return RedirectResponse(f"/runs/{run_id}?" + urlencode({"notice": notice}), status_code=303)


# -- reliability and reports ------------------------------------------------------------

_MODE_COLORS = {"shadow (gates watch)": "#94a3b8", "gated": "#2563eb", "gates off": "#a855f7"}


@router.get("/reliability")
async def reliability(request: Request, pipeline: str = "", limit: int = 2000) -> HTMLResponse:
    services = services_of(request)
    found = await trends(
        services.store, services.cache, pipeline=pipeline or None, limit=max(1, min(limit, 20_000))
    )
    charts = {
        t.pipeline: Markup(trend(t.series, _MODE_COLORS, f"{t.pipeline}: pass rate by day"))
        for t in found
    }
    reports = sorted(p.name for p in services.reports.glob("*.html")) if services.reports else []
    return render(
        request,
        "reliability.html",
        trends=found,
        charts=charts,
        evals=await eval_groups(services.store),
        reports=reports,
    )


@router.get("/reliability/evals/{name}")
async def eval_page(request: Request, name: str) -> HTMLResponse:
    services = services_of(request)
    report = await eval_report(services.store, services.cache, name)
    if report is None:
        raise WebError(404, "unknown_eval", f"no eval {name!r} in the store")
    html = report.to_html(title=f"eval {name} (from the store: measured against the gates)")
    return HTMLResponse(html, headers=_SANDBOX)


@router.get("/reports/{name}")
async def report_file(request: Request, name: str) -> Response:
    folder = services_of(request).reports
    if folder is None or "/" in name or "\\" in name or not name.endswith(".html"):
        raise WebError(404, "unknown_report", f"no report {name!r}")
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise WebError(404, "unknown_report", f"no report {name!r}")
    return FileResponse(Path(path), media_type="text/html", headers=_SANDBOX)


# The reports are self-contained files: no script, no request elsewhere.
_SANDBOX = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
}


# -- pipelines --------------------------------------------------------------------------


@router.get("/pipelines")
async def pipelines(request: Request, notice: str = "", problem: str = "") -> HTMLResponse:
    from seamline.web.api import pipeline_json

    listed = [pipeline_json(p) for p in services_of(request).runner.pipelines.values()]
    return render(request, "pipelines.html", pipelines=listed, notice=notice, problem=problem)


@router.post("/pipelines/{name}/runs")
async def start(request: Request, name: str) -> Response:
    values = await _form(request)
    try:
        inputs = json.loads(values.get("inputs", "") or "{}")
        if not isinstance(inputs, dict):
            raise ValueError("the inputs must be a JSON object, one key per input")
    except ValueError as e:
        query = urlencode({"problem": f"{name}: {e}"})
        return RedirectResponse(f"/pipelines?{query}", status_code=303)
    try:
        run_id = await services_of(request).dashboard.start(
            name, inputs, values.get("gates", "on"), identity_of(request)
        )
    except WebError as e:
        if e.status != 422:
            raise
        return RedirectResponse(f"/pipelines?{urlencode({'problem': e.message})}", status_code=303)
    return RedirectResponse(
        f"/runs/{run_id}?{urlencode({'notice': 'Run started.'})}", status_code=303
    )


@router.get("/api")
async def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    endpoints = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "params": op.get("parameters", []),
        }
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]
    return render(request, "api.html", endpoints=endpoints, info=schema["info"])
