"""seamline: a coordination-first runtime for multi-step AI pipelines.

Typed handoffs between steps, verification gates at every seam, durable runs, and the
numbers that show where end-to-end reliability is lost and what closing the gap costs.

```python
import seamline as sl
```
"""

from typing import TYPE_CHECKING, Any

from seamline.agreement import Agree, agree
from seamline.approvals import fingerprint as approval_fingerprint
from seamline.events import RunStatus
from seamline.exceptions import (
    ApprovalError,
    BudgetExceeded,
    ConfigError,
    GateRejected,
    IncompatibleRun,
    InvalidOutput,
    ModelCallFailed,
    PipelineError,
    ReplayDivergence,
    Retry,
    RunBusy,
    RunCorrupted,
    RunFailed,
    SchemaMismatch,
    SeamlineError,
    StaleApproval,
    StepFailed,
    StoreError,
    ToolApprovalRequired,
    ToolError,
)
from seamline.gates import Check, Gate, Judge, JudgeScore, check, judge
from seamline.mcp.servers import MCPServer
from seamline.models.bounds import max_tokens_for
from seamline.pipeline import Pipeline
from seamline.policies import (
    Budget,
    Policy,
    escalate_to_human,
    fail,
    fallback_model,
    reroute,
    retry,
)
from seamline.runtime.result import RunResult
from seamline.steps import StepContext, StepPolicy
from seamline.store import RunStore, open_store
from seamline.tools.approval import fingerprint as tool_call_fingerprint
from seamline.tools.specs import Tool, tool
from seamline.tools.trace import ToolCallRecord, ToolTrace
from seamline.verdict import CheckResult, Outcome, Verdict

if TYPE_CHECKING:
    from seamline.context import (
        ContextStore,
        Document,
        Embedder,
        Example,
        Passage,
        VectorIndex,
        load_paths,
        make_document,
        open_context,
    )
    from seamline.context.provenance import Reads

# The context layer is imported on first use: a pipeline that never searches a context
# store never loads it (sl.open_context, sl.Passage, ... work as if imported here).
_CONTEXT = {
    "ContextStore": "seamline.context",
    "Document": "seamline.context",
    "Embedder": "seamline.context",
    "Example": "seamline.context",
    "Passage": "seamline.context",
    "Reads": "seamline.context.provenance",
    "VectorIndex": "seamline.context",
    "load_paths": "seamline.context",
    "make_document": "seamline.context",
    "open_context": "seamline.context",
}


def __getattr__(name: str) -> Any:
    module = _CONTEXT.get(name)
    if module is None:
        raise AttributeError(f"module 'seamline' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Agree",
    "ApprovalError",
    "Budget",
    "BudgetExceeded",
    "Check",
    "CheckResult",
    "ConfigError",
    "ContextStore",
    "Document",
    "Embedder",
    "Example",
    "Gate",
    "GateRejected",
    "IncompatibleRun",
    "InvalidOutput",
    "Judge",
    "JudgeScore",
    "MCPServer",
    "ModelCallFailed",
    "Outcome",
    "Passage",
    "Pipeline",
    "PipelineError",
    "Policy",
    "Reads",
    "ReplayDivergence",
    "Retry",
    "RunBusy",
    "RunCorrupted",
    "RunFailed",
    "RunResult",
    "RunStatus",
    "RunStore",
    "SchemaMismatch",
    "SeamlineError",
    "StaleApproval",
    "StepContext",
    "StepFailed",
    "StepPolicy",
    "StoreError",
    "Tool",
    "ToolApprovalRequired",
    "ToolCallRecord",
    "ToolError",
    "ToolTrace",
    "VectorIndex",
    "Verdict",
    "__version__",
    "agree",
    "approval_fingerprint",
    "check",
    "escalate_to_human",
    "fail",
    "fallback_model",
    "judge",
    "load_paths",
    "make_document",
    "max_tokens_for",
    "open_context",
    "open_store",
    "reroute",
    "retry",
    "tool",
    "tool_call_fingerprint",
]
