"""`seamline mcp serve`: driven by the MCP inspector CLI (a third-party client) over stdio
and HTTP, and by the SDK's client; long runs answer with a run id to poll."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from tests.protocol.conftest import free_port, node_tool
from tests.protocol.served import pipe, slow

from seamline.mcp.serve import PipelineTools
from seamline.store import open_store

SERVED = Path(__file__).parent / "served.py"
SEAMLINE = str(Path(sys.executable).parent / "seamline")
TOKEN = "test-token-0123456789abcdef"


def inspector(*args: str, target: list[str], timeout: float = 120) -> dict:
    """Run the MCP inspector CLI against `target` (a command, or a URL) and parse its JSON."""
    done = subprocess.run(
        [node_tool("mcp-inspector"), "--cli", *args, "--", *target],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"inspector failed ({done.returncode}): {done.stdout}{done.stderr}"
    return json.loads(done.stdout)


def serve(store: str, *pipelines: str) -> list[str]:
    return [SEAMLINE, "mcp", "serve", *(pipelines or (f"{SERVED}:pipe",)), "--store", store]


@pytest.mark.slow
def test_the_inspector_lists_every_tool_with_its_schemas(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    listed = inspector(
        "--method", "tools/list", target=serve(store, f"{SERVED}:pipe", f"{SERVED}:slow")
    )
    tools = {t["name"]: t for t in listed["tools"]}
    assert set(tools) == {
        "invoices",
        "slow_report",
        "list_runs",
        "show_run",
        "list_approvals",
        "approve",
        "reject",
    }
    invoices = tools["invoices"]
    assert invoices["inputSchema"]["required"] == ["invoice"]
    assert invoices["inputSchema"]["$defs"]["Invoice"]["required"] == ["customer", "amount"]
    artifacts = invoices["outputSchema"]["properties"]["artifacts"]["properties"]
    assert set(artifacts) == {"assess", "payment"}
    assert tools["reject"]["inputSchema"]["required"] == ["approval_id", "reason"]


@pytest.mark.slow
def test_the_inspector_runs_a_pipeline_and_approves_its_pending_approval(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    ran = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "invoices",
        "--tool-arg",
        'invoice={"customer": "ACME", "amount": 1234.5}',
        target=serve(store),
    )
    run = ran["structuredContent"]
    assert run["status"] == "waiting" and run["artifacts"]["payment"] == {
        "customer": "ACME",
        "pay": 1234.5,
    }
    (pending,) = run["pending_approvals"]

    # Another server process, on the same store, sees the approval and decides it.
    listed = inspector(
        "--method", "tools/call", "--tool-name", "list_approvals", target=serve(store)
    )
    assert [a["approval_id"] for a in listed["structuredContent"]["approvals"]] == [
        pending["approval_id"]
    ]
    approved = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "approve",
        "--tool-arg",
        f"approval_id={pending['approval_id']}",
        "reviewer=ana",
        target=serve(store),
    )
    assert approved["structuredContent"]["status"] == "succeeded"
    shown = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "show_run",
        "--tool-arg",
        f"run_id={run['run_id']}",
        target=serve(store),
    )
    assert shown["structuredContent"]["status"] == "succeeded"
    assert shown["structuredContent"]["pending_approvals"] == []


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*serve(f"sqlite:///{tmp_path / 'runs.db'}"), "--http", "--port", str(port)],
        env={**os.environ, "SEAMLINE_MCP_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        for line in process.stderr:
            if "serving MCP at" in line or time.monotonic() > deadline:
                break
        while time.monotonic() < deadline:  # uvicorn binds a moment after the line
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.slow
def test_http_needs_the_bearer_token(http_server: str) -> None:
    listed = inspector(
        "--method", "tools/list", "--header", f"Authorization: Bearer {TOKEN}", target=[http_server]
    )
    assert "invoices" in {t["name"] for t in listed["tools"]}
    refused = subprocess.run(
        [
            node_tool("mcp-inspector"),
            "--cli",
            "--stored-auth-only",
            "--method",
            "tools/list",
            "--header",
            "Authorization: Bearer wrong-token-0000000000",
            "--",
            http_server,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "auth_required" in refused.stderr
    for headers in ({}, {"Authorization": "Bearer wrong-token-0000000000"}):
        response = httpx2.post(
            http_server, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers
        )
        assert response.status_code == 401


@pytest.mark.slow
async def test_the_sdk_client_calls_a_pipeline_over_http(http_server: str) -> None:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
        Client(streamable_http_client(http_server, http_client=http)) as session,
    ):
        result = await session.call_tool(
            "invoices", {"invoice": {"customer": "Initech", "amount": 20.0}}
        )
    assert result.structured_content["status"] == "waiting"
    assert result.structured_content["artifacts"]["assess"]["large"] is False


def test_serving_http_without_a_token_is_refused_with_how_to_set_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SEAMLINE_MCP_TOKEN"}
    done = subprocess.run(
        [*serve(f"sqlite:///{tmp_path / 'runs.db'}"), "--http"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert "SEAMLINE_MCP_TOKEN" in done.stderr and "bearer token" in done.stderr


async def test_a_long_run_answers_running_and_is_polled_to_the_end(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        tools = PipelineTools([pipe, slow], store, wait_seconds=0.2)
        started = await tools.call("slow_report", {"invoice": {"customer": "ACME", "amount": 3}})
        assert started["status"] == "running" and "show_run" in started["next"]
        for _ in range(100):
            shown = await tools.call("show_run", {"run_id": started["run_id"]})
            if shown["status"] != "running":
                break
            await asyncio.sleep(0.1)
        assert shown["status"] == "succeeded"
        assert shown["artifacts"]["report"]["customer"] == "ACME"
        listed = await tools.call("list_runs", {"pipeline": "slow_report"})
        assert [r["run_id"] for r in listed["runs"]] == [started["run_id"]]
    finally:
        await store.close()


async def test_bad_calls_get_messages_that_say_what_to_fix(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    try:
        tools = PipelineTools([pipe], store)
        with pytest.raises(ValueError, match=r"(?s)do not validate.*amount"):
            await tools.call("invoices", {"invoice": {"customer": "ACME"}})
        ran = await tools.call("invoices", {"invoice": {"customer": "ACME", "amount": 5}})
        (pending,) = ran["pending_approvals"]
        with pytest.raises(ValueError, match="needs a reason"):
            await tools.call("reject", {"approval_id": pending["approval_id"]})
        with pytest.raises(ValueError, match="not pending"):
            await tools.call("approve", {"approval_id": "nope"})
        with pytest.raises(ValueError, match="status 'done'"):
            await tools.call("list_runs", {"status": "done"})
        rejected = await tools.call(
            "reject", {"approval_id": pending["approval_id"], "reason": "check the amount"}
        )
        assert rejected["status"] == "waiting", "the redo waits for approval again"
    finally:
        await store.close()
