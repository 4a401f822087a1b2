"""The tools of one MCP server, as a pydantic-ai toolset an agent step runs with.

Built on the official MCP SDK's client (`mcp.Client`), not on a framework's wrapper, so
what reaches the model and what comes back is plain: each allowed tool is offered under
the name `server_tool` with the input schema the server listed, and a call returns the
tool's structured content when it has some (the SDK checks it against the tool's output
schema), else its text.

What goes back to the model: a result; or, for an error the model can act on (the tool
answered `isError`, or refused the arguments), the error text as a retry prompt. What
fails the attempt instead (`ToolError`): the server died or closed the connection, did
not answer in `timeout` seconds, or returned structured content its output schema
rejects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic_ai import ModelRetry
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets.abstract import AbstractToolset, ToolsetTool
from pydantic_core import SchemaValidator, core_schema

from seamline.exceptions import ToolError
from seamline.tools.specs import model_name, seamline_name
from seamline.tools.toolset import ToolEntry

if TYPE_CHECKING:
    from pydantic_ai import RunContext

    from seamline.mcp.pool import Connection
    from seamline.mcp.servers import MCPServer

# The server validates arguments against its own schema and says what is wrong.
_ANY_ARGS = SchemaValidator(
    core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())
)
_CONNECTION_CLOSED = -32000
_REQUEST_TIMEOUT = -32001
_TEXT_LIMIT = 20_000


def definitions(server: MCPServer, tools: Sequence[Any]) -> list[tuple[ToolEntry, ToolDefinition]]:
    """The entries and model-facing definitions of `tools` (MCP `Tool`s) of `server`."""
    out = []
    for t in tools:
        entry = ToolEntry(
            model_name(server.name, t.name),
            seamline_name(server.name, t.name),
            server.name,
            server.needs_approval(t.name),
        )
        description = t.description or t.title or t.name
        out.append(
            (
                entry,
                ToolDefinition(
                    name=entry.model_name,
                    description=description,
                    parameters_json_schema=dict(t.input_schema or {"type": "object"}),
                ),
            )
        )
    return out


class MCPTools(AbstractToolset[Any]):
    """Some tools of one connected MCP server. Wrap in `RecordedToolset` to use in a step."""

    def __init__(
        self,
        connection: Connection | None,
        tools: Sequence[tuple[ToolEntry, ToolDefinition]],
        *,
        retries: int,
    ) -> None:
        self._connection = connection  # None in a replay: every call is answered from the log
        self._tools = {entry.model_name: (entry, d) for entry, d in tools}
        self._retries = retries

    @property
    def id(self) -> str | None:
        return None

    @property
    def entries(self) -> list[ToolEntry]:
        return [entry for entry, _ in self._tools.values()]

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        return {
            name: ToolsetTool(
                toolset=self, tool_def=d, max_retries=self._retries, args_validator=_ANY_ARGS
            )
            for name, (_, d) in self._tools.items()
        }

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        entry, _ = self._tools[name]
        connection = self._connection
        if connection is None:
            raise ToolError(entry.name, "no MCP connection (a replay answers from the log)")
        tool_name = entry.name.split(".", 1)[1]
        return await call(connection, entry.name, tool_name, tool_args)


async def call(connection: Connection, name: str, tool_name: str, arguments: dict[str, Any]) -> Any:
    """Call one MCP tool; see the module docstring for what is fed back and what fails."""
    from mcp import MCPError

    server = connection.server
    try:
        client = connection.client
        async with asyncio.timeout(server.timeout):
            result = await client.call_tool(tool_name, arguments)
    except ConnectionError as e:
        raise ToolError(name, str(e)) from None
    except TimeoutError:
        raise ToolError(
            name,
            f"no answer from MCP server {server.name!r} within {server.timeout:g} s (raise timeout= on its declaration)",
        ) from None
    except MCPError as e:
        if e.code in (_CONNECTION_CLOSED, _REQUEST_TIMEOUT):
            connection.lost(e)
            raise ToolError(name, connection.ended()) from None
        raise ModelRetry(f"the server refused the call: {e.error.message}") from None
    except RuntimeError as e:  # the SDK's output-schema check, among others
        raise ToolError(name, str(e)) from None
    except (OSError, EOFError) as e:
        connection.lost(e)
        raise ToolError(name, connection.ended()) from None
    if result.is_error:
        raise ModelRetry(text_of(result) or "the tool reported an error")
    if result.structured_content is not None:
        return result.structured_content
    return text_of(result)


def text_of(result: Any) -> str:
    """A call result's content as text: text blocks joined, other blocks described."""
    pieces = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            pieces.append(block.text)
        elif kind == "resource" and hasattr(block.resource, "text"):
            pieces.append(block.resource.text)
        else:
            mime = getattr(block, "mime_type", None) or getattr(block, "mimeType", None)
            pieces.append(f"[{kind}{' ' + mime if mime else ''} content]")
    text = "\n".join(pieces)
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + " …(cut)"
