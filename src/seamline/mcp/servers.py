"""MCP servers an agent step can use, declared once on a pipeline.

```python
pipe.mcp_server("time", command=["mcp-server-time"])
pipe.mcp_server("fs", command=["npx", "@modelcontextprotocol/server-filesystem", "docs/"])
pipe.mcp_server("git", url="http://127.0.0.1:8931/mcp", token_env="GIT_MCP_TOKEN")

@pipe.step(tools=["time.get_current_time", "fs.read_*"])
async def report(doc: Doc, ctx: sl.StepContext) -> Report: ...
```

A declaration is a value: what to start (a stdio command) or where to connect (a
streamable-HTTP URL), which tools need a person's approval, and optionally the tools the
server is expected to have (`tools=[...]`, so allowlists are checked with no server
running). The connection itself is made once per process and reused; see `pool.py`.

Secrets stay out of reprs, events and errors: give a bearer token as the name of the
environment variable holding it (`token_env=`); header values and `env` values are
never printed.
"""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seamline.exceptions import PipelineError
from seamline.tools.specs import SERVER_NAME


@dataclass(frozen=True, slots=True, eq=False)
class MCPServer:
    """One MCP server, as a pipeline declares it. Build with `pipe.mcp_server(...)`.

    Attributes:
        name: what allowlists call it: `tools=["<name>.<tool>"]`.
        command: the stdio server to start, as an argument list.
        url: the streamable-HTTP endpoint to connect to instead.
        env: extra environment for the command.
        cwd: the command's working directory.
        headers: extra HTTP headers (values are never shown).
        token_env: an environment variable holding a bearer token for `url`.
        tools: the tools the server is expected to list; allowlists are checked against
            them at validation, and the server is checked against them when it connects.
        requires_approval: tool names or globs whose every call a person must approve.
        timeout: seconds one tool call may take before it fails the attempt.
        startup_timeout: seconds to start (or reach) the server and list its tools.
    """

    name: str
    command: tuple[str, ...] | None = None
    url: str | None = None
    env: Mapping[str, str] | None = field(default=None, repr=False)
    cwd: str | None = None
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    token_env: str | None = None
    tools: tuple[str, ...] | None = None
    requires_approval: tuple[str, ...] = ()
    timeout: float = 60.0
    startup_timeout: float = 30.0

    @property
    def key(self) -> tuple[Any, ...]:
        """What identifies the process or endpoint: equal keys share one connection."""
        return (
            self.command,
            self.url,
            tuple(sorted((self.env or {}).items())),
            self.cwd,
            tuple(sorted((self.headers or {}).items())),
            self.token_env,
        )

    @property
    def where(self) -> str:
        """Where the server is, for messages: its command, or its URL."""
        if self.command is not None:
            return shlex.join(self.command)
        return str(self.url)

    def needs_approval(self, tool: str) -> bool:
        return any(fnmatch.fnmatchcase(tool, p) for p in self.requires_approval)


def make_server(
    name: str,
    *,
    command: str | Sequence[str] | None = None,
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    headers: Mapping[str, str] | None = None,
    token_env: str | None = None,
    tools: Sequence[str] | None = None,
    requires_approval: Sequence[str] = (),
    timeout: float = 60.0,
    startup_timeout: float = 30.0,
) -> MCPServer:
    """Check a declaration; every mistake is a `PipelineError` saying how to fix it."""
    if not SERVER_NAME.match(name):
        raise PipelineError(
            f"MCP server name {name!r}: use a letter, then letters, digits, '_' or '-' "
            "(it prefixes tool names: 'time.get_current_time')"
        )
    if (command is None) == (url is None):
        raise PipelineError(
            f"MCP server {name!r}: give exactly one of command=[...] (a stdio server to "
            "start) or url='http://.../mcp' (a streamable-HTTP server)"
        )
    argv: tuple[str, ...] | None = None
    if command is not None:
        argv = tuple(shlex.split(command) if isinstance(command, str) else command)
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise PipelineError(f"MCP server {name!r}: command must be a non-empty argument list")
    if url is not None and not url.startswith(("http://", "https://")):
        raise PipelineError(
            f"MCP server {name!r}: url must start with http:// or https:// (streamable HTTP)"
        )
    if (headers or token_env) and url is None:
        raise PipelineError(f"MCP server {name!r}: headers and token_env are for url= servers")
    if timeout <= 0 or startup_timeout <= 0:
        raise PipelineError(f"MCP server {name!r}: timeouts must be positive seconds")
    if isinstance(requires_approval, str) or isinstance(tools, str):
        raise PipelineError(f"MCP server {name!r}: tools= and requires_approval= take lists")
    return MCPServer(
        name=name,
        command=argv,
        url=url,
        env=dict(env) if env else None,
        cwd=str(cwd) if cwd is not None else None,
        headers=dict(headers) if headers else None,
        token_env=token_env,
        tools=tuple(tools) if tools is not None else None,
        requires_approval=tuple(requires_approval),
        timeout=timeout,
        startup_timeout=startup_timeout,
    )
