"""Tool-using agent steps: Python functions and MCP tools, allowlisted per step, recorded.

`@pipe.step(tools=[...])` declares what a step's `ctx.agent(...)` may call;
`sl.tool` declares a Python function with options; gates read an attempt's calls as a
`sl.ToolTrace`. The agent loop is pydantic-ai's (`agent.py`); turns and calls are
recorded and replayed by `turns.py` and `toolset.py`; MCP servers are in `seamline.mcp`.
"""

from seamline.tools.specs import Allowlist, Tool, ToolSpec, tool
from seamline.tools.trace import ToolCallRecord, ToolTrace

__all__ = ["Allowlist", "Tool", "ToolCallRecord", "ToolSpec", "ToolTrace", "tool"]
