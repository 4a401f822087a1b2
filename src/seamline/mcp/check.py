"""Allowlists against MCP servers: what is checked when, and the errors that say so.

Build time (`Pipeline.validate()`, no server running): every `server.tool` entry names a
server declared on the pipeline; when the declaration lists its tools (`tools=[...]`),
every entry matches one of them.

When a server is first connected (before a run's first step: `Pipeline.run` connects the
servers the pipeline's steps use, and `await pipe.connect()` does it up front): every
entry matches a tool the server actually lists, and every tool a declaration listed is
there. A mistake is a `PipelineError` naming the step and the server's tools, raised
before any model is called.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from seamline.exceptions import PipelineError

if TYPE_CHECKING:
    from seamline.mcp.pool import Connection
    from seamline.mcp.servers import MCPServer
    from seamline.tools.specs import Allowlist


def check_declared(step: str, allowlist: Allowlist, servers: Mapping[str, MCPServer]) -> None:
    """The build-time half: declared servers, and declared tool lists."""
    for entry in allowlist.servers:
        server = servers.get(entry.server)
        if server is None:
            raise PipelineError(
                f"tool {entry.text!r} names MCP server {entry.server!r}, which the pipeline "
                f"does not declare (declared: {sorted(servers) or 'none'}); add "
                f"pipe.mcp_server({entry.server!r}, command=[...]) or fix the name",
                step=step,
            )
        if server.tools is not None:
            _check_names(step, entry.text, entry.pattern, server.name, server.tools, "declares")


def check_connected(
    server: MCPServer, connection: Connection, step: str, allowlist: Allowlist
) -> None:
    """The connect-time half: the allowlist and the declaration against what the server lists."""
    listed = sorted(connection.tools)
    if server.tools is not None:
        missing = [t for t in server.tools if t not in connection.tools]
        if missing:
            raise PipelineError(
                f"MCP server {server.name!r} was declared with tools {missing}, which it does "
                f"not have; it lists {listed}"
            )
    for entry in allowlist.servers:
        if entry.server == server.name:
            _check_names(step, entry.text, entry.pattern, server.name, listed, "lists")


def _check_names(
    step: str, text: str, pattern: str, server: str, names: Iterable[str], verb: str
) -> None:
    names = sorted(names)
    if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
        raise PipelineError(
            f"tool {text!r} matches no tool of MCP server {server!r}, which {verb} {names}",
            step=step,
        )
