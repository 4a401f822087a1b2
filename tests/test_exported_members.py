"""The flat public API is a promise: this pins it, so a change to it is a decision."""

import seamline as sl


def test_public_api_is_pinned() -> None:
    assert sl.__all__ == [
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


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = [n for n in sl.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in sl.__all__:
        assert getattr(sl, name) is not None


def test_error_tree_has_one_root() -> None:
    for name in sl.__all__:
        obj = getattr(sl, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj is not sl.Retry:
            assert issubclass(obj, sl.SeamlineError) or issubclass(obj, sl.Retry), name
