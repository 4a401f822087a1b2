"""What an agent step may call: Python functions and MCP tools, declared on the step.

```python
@sl.tool
def balance(account: str) -> float:
    \"\"\"The ledger balance of an account.\"\"\"

@pipe.step(tools=[balance, "time.get_current_time", "fs.read_*"])
async def report(doc: Doc, ctx: sl.StepContext) -> Report:
    return await ctx.agent(Report, f"Reconcile {doc.text}")
```

The list on the step is its allowlist: the model is shown those tools and no others, and a
call to anything else is refused. A string names tools of an MCP server declared on the
pipeline (`pipe.mcp_server("time", ...)`) as `server.tool`; the tool part may be a glob.
Strings are checked against the declared servers when the pipeline is validated, and
against the tools each server lists when it is first connected (see `seamline.mcp`).
"""

from __future__ import annotations

import fnmatch
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from seamline.exceptions import PipelineError

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SERVER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True, eq=False)
class Tool:
    """A Python function an agent step's model may call.

    Its parameters (typed) are the tool's arguments and its docstring the description the
    model reads. A plain `def` runs in a worker thread, so a blocking tool does not stall
    the event loop; an `async def` runs on the loop.

    Attributes:
        fn: the function.
        name: what the model calls it (default: the function's name).
        description: what the model is told it does (default: the docstring).
        requires_approval: a person must approve each call, with its exact arguments.
        retries: how many of its errors are fed back to the model per attempt before the
            attempt fails (None: the agent's `tool_retries`).
        timeout: seconds one call may take; a call that takes longer is an error the model
            is told about.
    """

    fn: Callable[..., Any]
    name: str
    description: str | None = None
    requires_approval: bool = False
    retries: int | None = None
    timeout: float | None = None


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: bool = False,
    retries: int | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: bool = False,
    retries: int | None = None,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Declare a Python function as a tool (`@sl.tool` or `sl.tool(fn, name=...)`).

    A bare function in `tools=[...]` is a tool too; `sl.tool` is for a name, a
    description, `requires_approval`, `retries` or `timeout`.
    """

    def make(f: Callable[..., Any]) -> Tool:
        tool_name = name or str(getattr(f, "__name__", ""))
        if not _TOOL_NAME.match(tool_name):
            raise PipelineError(
                f"tool name {tool_name!r} is not usable by models: use 1-64 letters, digits, "
                "'_' or '-' (pass name=...)"
            )
        if retries is not None and retries < 0:
            raise PipelineError(f"tool {tool_name!r}: retries must be >= 0, got {retries}")
        if timeout is not None and timeout <= 0:
            raise PipelineError(f"tool {tool_name!r}: timeout must be positive, got {timeout}")
        return Tool(
            f,
            tool_name,
            description or inspect.getdoc(f),
            requires_approval,
            retries,
            timeout,
        )

    return make(fn) if fn is not None else make


@dataclass(frozen=True, slots=True)
class ServerTools:
    """`server.glob`: tools of one MCP server, by name or glob."""

    server: str
    pattern: str

    @property
    def text(self) -> str:
        return f"{self.server}.{self.pattern}"

    @property
    def is_glob(self) -> bool:
        return any(c in self.pattern for c in "*?[")

    def matches(self, server: str, tool_name: str) -> bool:
        return server == self.server and fnmatch.fnmatchcase(tool_name, self.pattern)


ToolSpec = Tool | Callable[..., Any] | str


@dataclass(frozen=True, slots=True)
class Allowlist:
    """The tools one step may use: its Python functions and its MCP tool patterns."""

    functions: tuple[Tool, ...] = ()
    servers: tuple[ServerTools, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.functions or self.servers)

    @property
    def server_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.server for s in self.servers))

    def allows(self, server: str, tool_name: str) -> bool:
        return any(s.matches(server, tool_name) for s in self.servers)

    def describe(self) -> list[str]:
        return [t.name for t in self.functions] + [s.text for s in self.servers]

    def narrow(self, specs: Sequence[ToolSpec], step: str) -> Allowlist:
        """The part of this allowlist that `specs` (what `ctx.agent(tools=...)` asked for) names.

        Raises:
            PipelineError: `specs` names a tool outside this allowlist.
        """
        asked = parse_tools(specs, step)
        mine = {id(t.fn): t for t in self.functions}
        by_name = {t.name: t for t in self.functions}
        functions = []
        for t in asked.functions:
            found = mine.get(id(t.fn)) or by_name.get(t.name)
            if found is None:
                raise PipelineError(
                    f"ctx.agent(tools=...) names {t.name!r}, which is not in the step's tools "
                    f"{self.describe()}; add it to @pipe.step(tools=[...])",
                    step=step,
                )
            functions.append(found)
        for s in asked.servers:
            if not any(mine_s.server == s.server for mine_s in self.servers) or (
                not s.is_glob and not self.allows(s.server, s.pattern)
            ):
                raise PipelineError(
                    f"ctx.agent(tools=...) names {s.text!r}, which is not in the step's tools "
                    f"{self.describe()}; add it to @pipe.step(tools=[...])",
                    step=step,
                )
        return _Narrowed(tuple(functions), asked.servers, self)


@dataclass(frozen=True, slots=True)
class _Narrowed(Allowlist):
    """A narrowed allowlist: a tool must match both what was asked and the step's list."""

    within: Allowlist = Allowlist()

    def allows(self, server: str, tool_name: str) -> bool:
        return Allowlist.allows(self, server, tool_name) and self.within.allows(server, tool_name)


def parse_tools(specs: Iterable[ToolSpec], step: str) -> Allowlist:
    """Read a `tools=[...]` list; every mistake is a `PipelineError` naming the entry."""
    if isinstance(specs, str | Tool) or callable(specs):
        raise PipelineError(f"tools= takes a list, e.g. tools=[{specs!r}]", step=step)
    functions: list[Tool] = []
    servers: list[ServerTools] = []
    for spec in specs:
        if isinstance(spec, Tool):
            functions.append(spec)
        elif isinstance(spec, str):
            server, dot, pattern = spec.partition(".")
            if not dot or not server or not pattern:
                raise PipelineError(
                    f"tool {spec!r}: name an MCP tool as 'server.tool' (or 'server.*'), e.g. "
                    "'time.get_current_time', with the server declared by pipe.mcp_server(...)",
                    step=step,
                )
            servers.append(ServerTools(server, pattern))
        elif callable(spec):
            functions.append(tool(spec))
        else:
            raise PipelineError(
                f"tools= entries are functions, sl.tool(...) or 'server.tool' strings; "
                f"got {type(spec).__name__}",
                step=step,
            )
    names = [t.name for t in functions]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PipelineError(
            f"two tools are named {twice[0]!r}; give one another name with sl.tool(fn, name=...)",
            step=step,
        )
    return Allowlist(tuple(functions), tuple(dict.fromkeys(servers)))


def model_name(server: str | None, tool_name: str) -> str:
    """The name the model sees: `server_tool` (provider tool names allow no dots)."""
    if server is None:
        return tool_name
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}_{tool_name}")[:64]


def seamline_name(server: str | None, tool_name: str) -> str:
    """The name in allowlists, the run log and tool traces: `server.tool`."""
    return tool_name if server is None else f"{server}.{tool_name}"
