"""Real third-party MCP servers for the tests: `mcp-server-time` and `mcp-server-git`
(PyPI, the `mcp` extra), `@modelcontextprotocol/server-filesystem`, `server-everything`
and the MCP inspector CLI (npm, `npm ci --prefix tests/protocol/node`, which .ci/run does)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import seamline.mcp

NODE_BIN = Path(__file__).parent / "node" / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent


def node_tool(name: str) -> str:
    path = NODE_BIN / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: install the test servers with `npm ci --prefix tests/protocol/node` "
            "(.ci/run does)"
        )
    return str(path)


def python_tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is missing: pip install -e '.[dev]' (the mcp extra) installs it")
        return found
    return str(path)


@pytest.fixture(autouse=True)
async def _close_mcp_connections() -> AsyncIterator[None]:
    yield
    await seamline.mcp.shutdown()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "invoice-17.md").write_text("Invoice 17 for ACME Corp. Total due: 1,234.50 EUR.\n")
    (folder / "notes.txt").write_text("Nothing to see.\n")
    return folder


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    (repo / "ledger.csv").write_text("account,amount\nACME,1234.50\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "-m", "Ledger for November"], check=True, env=env
    )
    return repo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def everything_http() -> Iterator[str]:
    """server-everything over streamable HTTP on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [node_tool("mcp-server-everything"), "streamableHttp"],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # it says when it listens
            if "listening" in line:
                break
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def children(named: str = "") -> list[int]:
    """This process's live child processes (the stdio servers it started), optionally
    only those whose command line contains `named`."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if int(stat[1]) == me and stat[0] != "Z" and named.encode() in cmdline:
                found.append(int(entry))
    return found
