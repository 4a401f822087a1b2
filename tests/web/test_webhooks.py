"""Webhooks against a real HTTP receiver on loopback: signed, retried with backoff,
recorded; fired by what happens in the store while the server runs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from claims import DOC, build, read_right
from served import serve

import seamline as sl
from seamline.exceptions import ConfigError
from seamline.store import RunStore
from seamline.web.webhooks import WebhookConfig, Webhooks, redact

SECRET = "a-shared-secret-for-the-tests"


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # status codes to answer, in turn
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def bodies(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(body) for _, body in self.received]
        return [b for b in found if kind is None or b["type"] == kind]


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver("")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        state.received.append((headers, body))
        status = state.answers.pop(0) if state.answers else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    state.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/hook"
    try:
        yield state
    finally:
        server.should_exit = True
        await task


def config(url: str, **options: Any) -> WebhookConfig:
    urls = dict.fromkeys(("approval_requested", "run_finished", "run_failed", "pass_rate_below"), url)
    return WebhookConfig(urls, SECRET, backoff=0.01, timeout=5, **options)


def verify(headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(
        SECRET.encode(), headers["x-seamline-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["x-seamline-signature"], "sha256=" + expected)


async def test_a_delivery_is_signed_and_retried_until_it_is_taken(tmp_path: Path) -> None:
    async with receiver() as r:
        r.answers = [500, 503, 200]
        hooks = Webhooks(config(r.url, log_path=tmp_path / "deliveries.jsonl"))
        delivery = hooks.send("run_failed", {"run_id": "run-1"})
        await hooks.drain()
        await hooks.close()
    assert delivery is not None and delivery.outcome == "delivered"
    assert [a.status for a in delivery.attempts] == [500, 503, 200]
    assert len(r.received) == 3
    for headers, body in r.received:
        assert verify(headers, body)
        assert headers["x-seamline-event"] == "run_failed"
        assert headers["x-seamline-delivery"] == delivery.id
    assert r.bodies()[0] == {
        "type": "run_failed",
        "id": delivery.id,
        "at": delivery.created_at,
        "data": {"run_id": "run-1"},
    }
    (line,) = (tmp_path / "deliveries.jsonl").read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["outcome"] == "delivered" and len(recorded["attempts"]) == 3


async def test_a_tampered_body_fails_the_signature() -> None:
    async with receiver() as r:
        hooks = Webhooks(config(r.url))
        hooks.send("run_finished", {"run_id": "run-1"})
        await hooks.drain()
        await hooks.close()
    ((headers, body),) = r.received
    assert verify(headers, body) and not verify(headers, body.replace(b"run-1", b"run-2"))


async def test_a_refusal_is_not_retried_and_a_dead_receiver_is_retried_then_failed() -> None:
    async with receiver() as r:
        r.answers = [400]
        hooks = Webhooks(config(r.url, attempts=3))
        refused = hooks.send("run_finished", {"run_id": "run-1"})
        await hooks.drain()
        dead_url = r.url
    dead = hooks.send("run_failed", {"run_id": "run-2"})  # the receiver has stopped
    await hooks.drain()
    await hooks.close()
    assert refused is not None and [a.status for a in refused.attempts] == [400]
    assert refused.outcome == "failed"
    assert dead is not None and dead.outcome == "failed" and len(dead.attempts) == 3
    assert all(a.status is None and a.error for a in dead.attempts)
    assert dead.url == redact(dead_url)


def test_configuration_errors_name_the_fix() -> None:
    assert WebhookConfig.parse([], None) is None
    with pytest.raises(ConfigError, match="TYPE=URL with TYPE one of approval_requested"):
        WebhookConfig.parse(["http://x"], SECRET)
    with pytest.raises(ConfigError, match="not an http"):
        WebhookConfig.parse(["run_failed=ftp://x"], SECRET)
    with pytest.raises(ConfigError, match="SEAMLINE_WEBHOOK_SECRET"):
        WebhookConfig.parse(["run_failed=http://x"], None)
    parsed = WebhookConfig.parse(["run_failed=https://h/x?key=1"], SECRET)
    assert parsed is not None and parsed.urls == {"run_failed": "https://h/x?key=1"}
    assert redact("https://user:pw@h/x?key=1") == "https://h/x?***"


async def test_the_store_s_events_fire_the_webhooks(sqlite_store: RunStore) -> None:
    async with receiver() as r, serve(sqlite_store, [build()], webhooks=config(r.url)) as s:
        await asyncio.sleep(0.3)  # the watcher starts from now: what came before is old news
        run_id = (await build().run({"doc": DOC}, store=sqlite_store)).run_id
        async with s.client() as c:
            for _ in range(100):
                if r.bodies("approval_requested"):
                    break
                await asyncio.sleep(0.05)
            (requested,) = r.bodies("approval_requested")
            assert requested["data"]["run_id"] == run_id
            assert requested["data"]["reason"] == "escalation"
            hooks = (await c.get("/api/webhooks")).json()
            assert hooks["deliveries"][0]["outcome"] in ("pending", "delivered")
            assert hooks["configured"]["run_failed"] == redact(r.url)
        # A gated run that succeeds is a finished run; three of them keep the pass rate up.
        good = build(reader=read_right, approval=False)
        for _ in range(2):
            await good.run({"doc": DOC}, store=sqlite_store)
        for _ in range(100):
            if len(r.bodies("run_finished")) >= 2:
                break
            await asyncio.sleep(0.05)
        finished = r.bodies("run_finished")
        assert len(finished) == 2 and {b["data"]["status"] for b in finished} == {"succeeded"}
        assert r.bodies("run_failed") == [] and r.bodies("pass_rate_below") == []


async def test_pass_rate_below_fires_once_per_fall(sqlite_store: RunStore) -> None:
    async with receiver() as r, serve(
        sqlite_store,
        [],
        webhooks=config(r.url, pass_rate_threshold=0.75, pass_rate_window=4),
    ):
        await asyncio.sleep(0.3)
        good = build(reader=read_right, approval=False)
        for _ in range(3):
            await good.run({"doc": DOC}, store=sqlite_store)
        # It misreads, and its gate fails the run: a gated task lost, twice.
        failing = build(approval=False, on_fail=sl.fail())
        for _ in range(2):
            await failing.run({"doc": DOC}, store=sqlite_store, raise_on_failure=False)
        for _ in range(200):
            if r.bodies("pass_rate_below"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # more polls: it must not fire again while below
        (below,) = r.bodies("pass_rate_below")
        assert below["data"]["pipeline"] == "claims" and below["data"]["threshold"] == 0.75
        assert below["data"]["pass_rate"] < 0.75 and below["data"]["runs"] == 4
        assert len(r.bodies("run_failed")) == 2
