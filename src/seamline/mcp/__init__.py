"""MCP, both ways: servers as toolsets for agent steps, and pipelines served as MCP tools.

- Client: `pipe.mcp_server(name, command=[...] | url=...)` declares a server once;
  steps list its tools (`tools=["time.get_current_time", "fs.*"]`). Connections are
  made once per process and shared (`pool.py`), allowlists checked at build time and
  on connect (`check.py`), tools called through the official MCP SDK (`toolset.py`).
- Server: `seamline mcp serve PIPELINE...` (`serve.py`).

Needs the `mcp` extra: `pip install 'seamline[mcp]'`.
"""

from seamline.mcp.pool import connect, shutdown
from seamline.mcp.servers import MCPServer

__all__ = ["MCPServer", "connect", "shutdown"]
