"""MCP connections: started once per process (per event loop), shared by every run.

`connect(server)` returns the live connection to a declared server, starting it on first
use: a stdio command is spawned, an HTTP endpoint is reached, and its tools are listed.
Later calls, from any run, get the same connection. A connection whose server died is
started again by the next `connect`. `shutdown()` closes them all (stdio servers are
stopped); the event loop's end does the same for what is left open.

Each connection is held open by one task, because the MCP SDK's transports are async
context managers that must be entered and left in the same task. Calls are made from
any task of the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping
from typing import IO, Any
from weakref import WeakKeyDictionary

from seamline.exceptions import ConfigError
from seamline.mcp.servers import MCPServer

__all__ = ["Connection", "connect", "connections", "shutdown"]


class Connection:
    """A live connection to one MCP server, and the tools it listed."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self.tools: dict[str, Any] = {}  # name -> mcp Tool
        self.start_seconds = 0.0
        self._client: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._errlog: IO[str] | None = None
        self.error: BaseException | None = None  # why the connection ended, if it did

    @property
    def alive(self) -> bool:
        return (
            not self._stop.is_set()
            and self._task is not None
            and not self._task.done()
            and self._client is not None
        )

    async def start(self) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self._task = asyncio.create_task(self._hold(ready), name=f"mcp:{self.server.name}")
        try:
            async with asyncio.timeout(self.server.startup_timeout):
                await asyncio.shield(ready)
        except TimeoutError:
            await self.close()
            raise ConfigError(
                f"MCP server {self.server.name!r} ({self.server.where}) did not answer within "
                f"{self.server.startup_timeout:g} s; raise startup_timeout= or check the command"
            ) from None
        except BaseException as e:
            await self.close()
            if isinstance(e, ConfigError | asyncio.CancelledError):
                raise
            raise ConfigError(
                f"MCP server {self.server.name!r} ({self.server.where}) could not be started: "
                f"{_describe(e)}{self.stderr_tail()}"
            ) from None
        self.start_seconds = time.perf_counter() - started

    async def _hold(self, ready: asyncio.Future[None]) -> None:
        try:
            from mcp import Client

            async with Client(self._transport(), client_info=_client_info()) as client:
                tools: dict[str, Any] = {}
                cursor = None
                for _ in range(100):  # pages; a server that pages forever cannot hang us
                    page = await client.list_tools(cursor=cursor)
                    tools.update({t.name: t for t in page.tools})
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                self.tools = tools
                self._client = client
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as e:
            self.error = e
            if not ready.done():
                ready.set_exception(e)
            if isinstance(e, asyncio.CancelledError):
                raise
        finally:
            self._client = None

    def _transport(self) -> Any:
        server = self.server
        if server.command is not None:
            from mcp import StdioServerParameters
            from mcp.client.stdio import stdio_client

            # Kept open for the connection's life: its tail explains a server that died.
            self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
            params = StdioServerParameters(
                command=server.command[0],
                args=list(server.command[1:]),
                env=dict(server.env) if server.env else None,
                cwd=server.cwd,
            )
            return stdio_client(params, errlog=self._errlog)
        return _http_transport(str(server.url), _headers(server))

    def lost(self, error: BaseException) -> None:
        """The server stopped answering (it died, or its connection closed): the next
        `connect` starts it again."""
        self.error = error
        self._stop.set()

    @property
    def client(self) -> Any:
        """The SDK client (`mcp.Client`). Raises `ConnectionError` once the server is gone."""
        if not self.alive:
            raise ConnectionError(self.ended())
        return self._client

    def ended(self) -> str:
        """Why the connection is not usable, for error messages."""
        why = _describe(self.error) if self.error is not None else "the connection closed"
        return f"MCP server {self.server.name!r} ({self.server.where}) is gone: {why}{self.stderr_tail()}"

    def stderr_tail(self, lines: int = 3) -> str:
        """The last lines the server wrote to stderr (stdio servers), to explain a failure."""
        log = self._errlog
        if log is None or log.closed:
            return ""
        try:
            log.flush()
            log.seek(0)
            tail = [line.strip() for line in log.read().splitlines() if line.strip()][-lines:]
        except (OSError, ValueError):
            return ""
        return f"; its stderr ended with: {' | '.join(tail)[:500]}" if tail else ""

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            try:
                async with asyncio.timeout(10):
                    await asyncio.shield(task)
            except (TimeoutError, Exception):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if self._errlog is not None:
            self._errlog.close()


def _describe(e: BaseException) -> str:
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(_describe(x) for x in e.exceptions)
    text = str(e) or type(e).__name__
    return f"{type(e).__name__}: {text}" if type(e).__name__ not in text else text


@contextlib.asynccontextmanager
async def _http_transport(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    """Streamable HTTP with our headers; the HTTP client is closed with the transport
    (the SDK leaves a client it was given open)."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


def _headers(server: MCPServer) -> dict[str, str]:
    headers = dict(server.headers or {})
    if server.token_env:
        token = os.environ.get(server.token_env)
        if not token:
            raise ConfigError(
                f"MCP server {server.name!r} needs a bearer token in ${server.token_env}, "
                "which is not set"
            )
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _client_info() -> Any:
    from mcp import types

    from seamline import __version__

    return types.Implementation(name="seamline", version=__version__)


class _Pool:
    """The connections of one event loop."""

    def __init__(self) -> None:
        self.connections: dict[tuple[Any, ...], Connection] = {}
        self.locks: dict[tuple[Any, ...], asyncio.Lock] = {}

    async def connect(self, server: MCPServer) -> Connection:
        key = server.key
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self.connections.get(key)
            if found is not None and found.alive:
                return found
            if found is not None:
                await found.close()  # it died: start it again
            connection = Connection(server)
            await connection.start()
            self.connections[key] = connection
            return connection


_pools: WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = WeakKeyDictionary()
_pools_lock = threading.Lock()


def _pool() -> _Pool:
    loop = asyncio.get_running_loop()
    with _pools_lock:
        pool = _pools.get(loop)
        if pool is None:
            pool = _pools[loop] = _Pool()
        return pool


async def connect(server: MCPServer) -> Connection:
    """The live connection to `server`, started (and its tools listed) on first use.

    Raises:
        ConfigError: the MCP SDK is not installed, or the server could not be started or
            reached; the message says why, with the end of its stderr.
    """
    if importlib.util.find_spec("mcp") is None:
        raise ConfigError(
            f"MCP server {server.name!r} needs the MCP SDK: pip install 'seamline[mcp]'"
        )
    return await _pool().connect(server)


def connections() -> Mapping[tuple[Any, ...], Connection]:
    """The connections open in this event loop."""
    return dict(_pool().connections)


async def shutdown() -> None:
    """Close every MCP connection of this event loop; stdio servers are stopped."""
    pool = _pool()
    open_ = list(pool.connections.values())
    pool.connections.clear()
    await asyncio.gather(*(c.close() for c in open_))
