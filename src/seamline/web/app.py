"""The web app: pages, the JSON API, static files, behind one authentication gate.

`create_app(store, pipelines, tokens)` returns a FastAPI (Starlette) application; `seamline
ui` serves it with uvicorn. Everything it serves ships in this package: no CDN, no font
or script from elsewhere, so it works offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from seamline.pipeline import Pipeline
from seamline.store.base import RunStore
from seamline.web.auth import COOKIE, CSRF_HEADER, Identity, TokenBook
from seamline.web.live import Watcher
from seamline.web.runner import Runner
from seamline.web.service import DEFAULT_REASON_CODES, Dashboard, WebError
from seamline.web.trends import LogCache
from seamline.web.webhooks import WebhookConfig, Webhooks

HERE = Path(__file__).parent
# Reachable without a token: the login form, and what it needs to be drawn.
_OPEN = ("/login", "/static/app.css")
_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(slots=True)
class Services:
    """What every route reaches through `request.app.state.services`."""

    store: RunStore
    dashboard: Dashboard
    runner: Runner
    tokens: TokenBook
    watcher: Watcher
    cache: LogCache
    webhooks: Webhooks | None
    reports: Path | None
    # Set when the server stops: the event streams end, so that no connection holds it up.
    stopping: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


def create_app(
    store: RunStore,
    pipelines: Sequence[Pipeline],
    tokens: TokenBook,
    *,
    webhooks: WebhookConfig | None = None,
    reports: Path | None = None,
    reason_codes: Sequence[str] = DEFAULT_REASON_CODES,
    poll_interval: float = 1.0,
    webhook_transport: Any = None,
) -> FastAPI:
    """The dashboard over `store`, deciding and running only `pipelines`.

    Args:
        tokens: who may use it (see `seamline.web.auth`).
        webhooks: where to send notifications (see `seamline.web.webhooks`).
        reports: a folder of eval reports (`seamline eval --html`) to list and serve.
        reason_codes: the categories a reviewer picks from when rejecting.
        poll_interval: seconds between looks at the store for live updates and webhooks.
    """
    runner = Runner(store, pipelines)
    cache = LogCache()
    hooks = Webhooks(webhooks, transport=webhook_transport) if webhooks is not None else None
    watcher = Watcher(store, interval=poll_interval, webhooks=hooks, cache=cache)
    services = Services(
        store,
        Dashboard(store, runner, reason_codes=reason_codes),
        runner,
        tokens,
        watcher,
        cache,
        hooks,
        reports,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher.start()
        try:
            yield
        finally:
            await watcher.stop()
            await runner.close()
            if hooks is not None:
                await hooks.drain(grace=5)
                await hooks.close()

    from seamline import __version__

    app = FastAPI(
        title="seamline",
        version=__version__,
        description=(
            "The seamline run store over HTTP: the approval inbox and decisions, runs, "
            "reliability, and starting runs of the pipelines this server was given. Every "
            "endpoint needs `Authorization: Bearer TOKEN`."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,  # FastAPI's docs page loads scripts from a CDN: /api is ours instead
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    from seamline.web.api import router as api_router
    from seamline.web.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": exc.code, "detail": exc.message}, status_code=exc.status)
        from seamline.web.pages import error_page

        return error_page(request, exc.status, exc.message)

    app.add_middleware(Gate, tokens=tokens)
    return app


class Server(uvicorn.Server):
    """uvicorn's server, ending the app's event streams first when it shuts down (uvicorn
    waits for open connections, and an event stream never closes by itself)."""

    async def shutdown(self, sockets: Any = None) -> None:
        app = self.config.app
        services = getattr(getattr(app, "state", None), "services", None)
        if isinstance(services, Services):
            services.stopping.set()
        await super().shutdown(sockets)


def server(app: FastAPI, host: str = "127.0.0.1", port: int = 8765, **config: Any) -> Server:
    """A server for `app` (`await server(app).serve()`); `config` goes to `uvicorn.Config`."""
    config.setdefault("log_level", "warning")
    # An access log would write `?token=` links (a secret) to the terminal and its logs.
    config.setdefault("access_log", False)
    config.setdefault("timeout_graceful_shutdown", 3)
    return Server(uvicorn.Config(app, host=host, port=port, **config))


class Gate:
    """Every request shows a token; unsafe ones need a reviewer, and by cookie a CSRF token.

    Sets `scope["state"]["identity"]` (and `["token"]`) for the routes.
    """

    def __init__(self, app: ASGIApp, tokens: TokenBook) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _hardened(send)
        request = Request(scope)
        path = request.url.path
        if path in _OPEN:
            await self.app(scope, receive, send)
            return
        token, by_cookie = _token(request)
        given = request.query_params.get("token")
        if given is not None and request.method == "GET" and not path.startswith("/api"):
            # A link with ?token=: open the session, and drop the token from the address.
            identity = self.tokens.identify(given)
            if identity is None:
                await _refuse(request, 401, "that token is not valid")(scope, receive, send)
                return
            rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
            response = RedirectResponse(path + (f"?{rest}" if rest else ""), status_code=303)
            _set_cookie(response, given)
            await response(scope, receive, send)
            return
        identity = self.tokens.identify(token)
        if identity is None or token is None:
            await _refuse(request, 401, "a token is required")(scope, receive, send)
            return
        if request.method in _UNSAFE and path != "/logout":
            if not identity.reviewer:
                await _refuse(request, 403, f"{identity.name} is a viewer: reading only")(
                    scope, receive, send
                )
                return
            if (
                by_cookie
                and path.startswith("/api")
                and not self.tokens.csrf_ok(token, request.headers.get(CSRF_HEADER))
            ):
                await _refuse(request, 403, "missing or wrong X-CSRF-Token header")(
                    scope, receive, send
                )
                return
            # Form posts by cookie are checked by the page routes, which read the form.
        state = scope.setdefault("state", {})
        state["identity"] = identity
        state["token"] = token
        state["by_cookie"] = by_cookie
        await self.app(scope, receive, send)


# No page of ours may be framed (a decision could be clickjacked), sniffed into another
# type, or leak its address (a ?token= link) to another site; scripts and styles come
# from this server only. A response that sets its own policy (a report) keeps it.
_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_POLICY = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


def _hardened(send: Send) -> Send:
    async def sending(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            headers += [h for h in _HEADERS if h[0] not in names]
            if b"content-security-policy" not in names:
                headers.append((b"content-security-policy", _POLICY))
            message = {**message, "headers": headers}
        await send(message)

    return sending


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(COOKIE)
    return cookie, cookie is not None


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")


def _refuse(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
        return JSONResponse(
            {"error": "unauthorized" if status == 401 else "forbidden", "detail": message},
            status_code=status,
        )
    if status == 401:
        rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
        target = request.url.path + (f"?{rest}" if rest else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    from seamline.web.pages import error_page

    return error_page(request, status, message)


def identity_of(request: Request) -> Identity:
    identity: Identity = request.state.identity
    return identity


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
