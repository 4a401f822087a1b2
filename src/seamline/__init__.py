"""seamline: a coordination-first runtime for multi-step AI pipelines.

Typed handoffs between steps, verification gates at every seam, durable runs, and the
numbers that show where end-to-end reliability is lost and what closing the gap costs.

```python
import seamline as sl
```
"""

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

__version__ = "0.1.0"

__all__ = [
    "ApprovalError",
    "Budget",
    "BudgetExceeded",
    "Check",
    "CheckResult",
    "ConfigError",
    "Gate",
    "GateRejected",
    "IncompatibleRun",
    "InvalidOutput",
    "Judge",
    "JudgeScore",
    "MCPServer",
    "ModelCallFailed",
    "Outcome",
    "Pipeline",
    "PipelineError",
    "Policy",
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
    "StepContext",
    "StepFailed",
    "StepPolicy",
    "StoreError",
    "Tool",
    "ToolApprovalRequired",
    "ToolCallRecord",
    "ToolError",
    "ToolTrace",
    "Verdict",
    "__version__",
    "check",
    "escalate_to_human",
    "fail",
    "fallback_model",
    "judge",
    "max_tokens_for",
    "open_store",
    "reroute",
    "retry",
    "tool",
    "tool_call_fingerprint",
]
