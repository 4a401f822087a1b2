"""No key reaches the run log, the runs table or the terminal, even when the provider echoes it.

A real HTTP server on the loopback interface answers every request with an error body
that quotes back the request: its Authorization header (the key) and the URL it was sent
to (with the credentials the base URL carried). The real pydantic-ai / openai client
sends the request; a real SQLite store keeps the run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from typer.testing import CliRunner

import seamline as sl
from seamline.cli import app
from seamline.models import ModelConfig, config, registry
from seamline.models.config import ProviderConfig
from seamline.store import open_store
from seamline.testing import allow_real_models

KEY = "sk-loopback-9f8e7d6c5b4a3210"
URL_PASSWORD = "url-pass-5544332211"
QUERY_TOKEN = "qtok-1029384756"


class Echo(BaseHTTPRequestHandler):
    """Answers with `status` and a body quoting what the request carried."""

    status = 401

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = json.dumps(
            {
                "error": {
                    "message": f"Incorrect API key provided: {self.headers.get('authorization')} "
                    f"for {self.path} (basic auth: {self.headers.get('authorization')})",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        ).encode()
        self.send_response(self.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Doc(BaseModel):
    text: str


class Summary(BaseModel):
    text: str


def _pipeline() -> sl.Pipeline:
    pipe = sl.Pipeline("echoed", inputs={"doc": Doc}, model="openai-compatible:echo-model")

    @pipe.step(attempts=1)
    async def summary(doc: Doc, ctx: sl.StepContext) -> Summary:
        return await ctx.generate(Summary, f"Summarise: {doc.text}")

    return pipe


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _everything_stored(path: Path) -> str:
    """Every event of every run, and every row of the runs table, as one text."""

    async def events() -> str:
        store = await open_store(f"sqlite:///{path}", access="read")
        try:
            texts = []
            for run in await store.runs():
                texts += [json.dumps(to_jsonable_python(e)) for e in await store.load(run.run_id)]
            return "\n".join(texts)
        finally:
            await store.close()

    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM runs").fetchall()
    return asyncio.run(events()) + "\n" + repr(rows)


@pytest.mark.parametrize(
    ("status", "credentials", "query"),
    [
        (401, "", ""),  # the key from the environment, sent as a Bearer token
        (500, "", ""),
        (401, f"reader:{URL_PASSWORD}@", ""),  # sent as a Basic Authorization header
        (500, "", f"?api_key={QUERY_TOKEN}"),  # sent in the URL the body quotes
    ],
)
def test_a_provider_echoing_the_key_stores_and_prints_no_secret(
    echo_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    credentials: str,
    query: str,
) -> None:
    monkeypatch.setattr(Echo, "status", status)
    monkeypatch.setenv("SEAMLINE_OPENAI_COMPATIBLE_API_KEY", KEY)
    base_url = f"http://{credentials}{echo_server}/v1{query}"
    provider = ProviderConfig(base_url=base_url, max_retries=0, timeout=10)
    monkeypatch.setattr(config, "_current", ModelConfig(providers={"openai-compatible": provider}))
    registry.clear_cache()
    db = tmp_path / "runs.db"
    previous = allow_real_models(True)
    try:
        result = _pipeline().run_sync(
            {"doc": Doc(text="hello")}, store=f"sqlite:///{db}", raise_on_failure=False
        )
    finally:
        allow_real_models(previous)
        registry.clear_cache()

    assert result.status == sl.RunStatus.FAILED
    stored = _everything_stored(db)
    assert "Incorrect API key provided" in stored  # the provider's message is kept ...
    assert "***" in stored  # ... with the key masked
    secrets = (KEY, URL_PASSWORD, QUERY_TOKEN, _basic("reader", URL_PASSWORD))
    for secret in secrets:
        assert secret not in stored
        assert secret not in str(result.error)
    if query:
        assert "api_key=***" in stored  # the URL quoted back, its token masked
    if credentials:
        assert "Basic ***" in stored
    if status == 401 and not credentials:
        assert "SEAMLINE_OPENAI_COMPATIBLE_API_KEY" in stored  # which variable to check

    shown = CliRunner().invoke(app, ["show", result.run_id, "--store", f"sqlite:///{db}"])
    listed = CliRunner().invoke(app, ["runs", "--store", f"sqlite:///{db}", "--json"])
    assert shown.exit_code == 0, shown.output
    assert listed.exit_code == 0, listed.output
    for secret in secrets:
        assert secret not in shown.output
        assert secret not in listed.output


def test_a_secret_in_a_step_error_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception the step raises that quotes a configured key or a credentialed URL."""
    monkeypatch.setenv("BILLING_API_TOKEN", QUERY_TOKEN)
    pipe = sl.Pipeline("leaky", inputs={"doc": Doc})

    @pipe.step(attempts=1)
    def summary(doc: Doc) -> Summary:
        raise RuntimeError(
            f"GET https://api.example.com/v1?api_key={KEY}&page=2 failed with token {QUERY_TOKEN}"
        )

    db = tmp_path / "runs.db"
    result = pipe.run_sync({"doc": Doc(text="x")}, store=f"sqlite:///{db}", raise_on_failure=False)

    stored = _everything_stored(db)
    assert result.status == sl.RunStatus.FAILED
    assert "api.example.com/v1?api_key=***&page=2" in stored
    assert KEY not in stored and QUERY_TOKEN not in stored
