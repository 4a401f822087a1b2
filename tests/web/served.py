"""The web UI served for real (uvicorn on a free loopback port) over a real store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx2

from seamline.pipeline import Pipeline
from seamline.store import RunStore
from seamline.web import create_app
from seamline.web import server as make_server
from seamline.web.auth import Identity, TokenBook

REVIEWER = "r" * 8 + "-reviewer-token-ana"
SECOND = "s" * 8 + "-reviewer-token-bob"
VIEWER = "v" * 8 + "-viewer-token-cleo"
TOKENS = TokenBook(
    {
        REVIEWER: Identity("ana", "reviewer"),
        SECOND: Identity("bob", "reviewer"),
        VIEWER: Identity("cleo", "viewer"),
    }
)


@dataclass
class Served:
    url: str
    store: RunStore
    app: Any

    def client(self, token: str | None = REVIEWER) -> httpx2.AsyncClient:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx2.AsyncClient(
            base_url=self.url, headers=headers, timeout=30, follow_redirects=True
        )


@contextlib.asynccontextmanager
async def serve(
    store: RunStore, pipelines: Sequence[Pipeline], **options: Any
) -> AsyncIterator[Served]:
    app = create_app(store, pipelines, TOKENS, poll_interval=0.2, **options)
    server = make_server(app, port=0, lifespan="on")
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}", store, app)
    finally:
        server.should_exit = True
        await task
