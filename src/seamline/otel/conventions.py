"""Names from the OpenTelemetry GenAI semantic conventions (v1.41.0), and seamline's own.

Every attribute, span, event and metric name seamline emits is spelled here once. The GenAI
ones follow the conventions exactly (see `seamline.otel` for where each is used); the
`seamline.*` ones name what the conventions have no word for: steps, attempts, gates,
approvals. Text that could carry a secret goes through a `Redactor` before they leave the
process, whatever the content setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

# The conventions' release this module follows: GenAI spans, events and metrics as of
# semantic-conventions v1.41.0 (since maintained in open-telemetry/semantic-conventions-genai).
SEMCONV_VERSION = "1.41.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
SCOPE = "seamline"

# -- GenAI attributes -----------------------------------------------------------------------
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_TOP_K = "gen_ai.request.top_k"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
OUTPUT_TYPE = "gen_ai.output.type"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
CONVERSATION_ID = "gen_ai.conversation.id"
WORKFLOW_NAME = "gen_ai.workflow.name"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"  # content: opt-in
TOOL_RESULT = "gen_ai.tool.call.result"  # content: opt-in
TOOL_DEFINITIONS = "gen_ai.tool.definitions"  # content: opt-in
DATA_SOURCE_ID = "gen_ai.data_source.id"
RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
RETRIEVAL_QUERY = "gen_ai.retrieval.query.text"  # content: opt-in
INPUT_MESSAGES = "gen_ai.input.messages"  # content: opt-in
OUTPUT_MESSAGES = "gen_ai.output.messages"  # content: opt-in
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"  # content: opt-in
TOKEN_TYPE = "gen_ai.token.type"
ERROR_TYPE = "error.type"

EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE = "gen_ai.evaluation.score.value"
EVALUATION_LABEL = "gen_ai.evaluation.score.label"
EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

# gen_ai.operation.name values
CHAT = "chat"
EXECUTE_TOOL = "execute_tool"
RETRIEVAL = "retrieval"
INVOKE_WORKFLOW = "invoke_workflow"

# Metrics, with the bucket boundaries the conventions advise.
TOKEN_USAGE = "gen_ai.client.token.usage"
OPERATION_DURATION = "gen_ai.client.operation.duration"
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)  # fmt: skip
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)  # fmt: skip

# -- seamline's attributes -------------------------------------------------------------------
RUN_ID = "seamline.run.id"
RUN_STATUS = "seamline.run.status"
SESSION = "seamline.run.session"  # 1 for the run's start, 2 for its first resume, ...
GATES = "seamline.gates"  # "on", "shadow" or "off"
STEP = "seamline.step"
ATTEMPT = "seamline.attempt"
INDEX = "seamline.item.index"
MODEL = "seamline.model"  # a fallback model a ladder switched the unit to
OUTCOME = "seamline.outcome"
PURPOSE = "seamline.call.purpose"  # "step", "judge" or "agent"
OUTPUT_VALID = "seamline.output.valid"
GATE_PASSED = "seamline.gate.passed"
GATE_SCORE = "seamline.gate.score"
GATE_ACTION = "seamline.gate.action"
GATE_EFFECT = "seamline.gate.effect"
GATE_TARGET = "seamline.gate.target"
CHECK_KIND = "seamline.check.kind"
APPROVAL_ID = "seamline.approval.id"
APPROVAL_KIND = "seamline.approval.kind"  # "approval" or "escalation"
APPROVAL_DECISION = "seamline.approval.decision"
APPROVAL_EFFECT = "seamline.approval.effect"
APPROVAL_REVIEWER = "seamline.approval.reviewer"  # content: opt-in (a person)
APPROVAL_REVIEWER_KIND = "seamline.approval.reviewer_kind"  # "human", or "simulated" (code)
APPROVAL_REASON = "seamline.approval.reason"  # content: opt-in
TOOL_SERVER = "seamline.tool.server"
TOOL_OUTCOME = "seamline.tool.outcome"
CONTEXT_REVISION = "seamline.context.revision"
CONTEXT_KIND = "seamline.context.kind"
ARTIFACT = "seamline.artifact"  # content: opt-in
INPUTS = "seamline.run.inputs"  # content: opt-in
ERROR_MESSAGE = "seamline.error.message"  # content: opt-in
MODEL_CALLS = "seamline.run.model_calls"
TOOL_CALLS = "seamline.run.tool_calls"
TOKENS = "seamline.run.tokens"
COST = "seamline.run.cost_usd"
LINK_KIND = "seamline.link"  # on links: "earlier_session" or "caller"

# Counters per pipeline and seam (attributes WORKFLOW_NAME, STEP, GATES), and of runs.
PASSES = "seamline.seam.passes"
CATCHES = "seamline.seam.catches"
ESCAPES = "seamline.seam.escapes"
ESCALATIONS = "seamline.seam.escalations"
GATE_ERRORS = "seamline.seam.gate_errors"
RUNS = "seamline.runs"  # runs that stopped, by RUN_STATUS

# Evaluation labels (gen_ai.evaluation.score.label): one per check outcome.
LABELS = {"passed": "pass", "failed": "fail", "error": "error", "skipped": "skipped"}


def nanos(at: float) -> int:
    """A log's time (seconds since the epoch) as a span's (nanoseconds)."""
    return int(at * 1e9)


def error_type(message: str | None, default: str) -> str:
    """`error.type` from seamline's "ExceptionName: message" strings."""
    head = (message or "").split(":", 1)[0].strip()
    return head if head.isidentifier() else default


# -- providers ---------------------------------------------------------------------------------
# seamline's model-string prefixes, as gen_ai.provider.name values (well-known ones where the
# conventions list one). `local` runs llama.cpp in this process.
_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gcp.gemini",
    "gemini": "gcp.gemini",
    "ollama": "ollama",
    "openai-compatible": "openai",
    "local": "llama.cpp",
}


def model_attributes(model: str, response: Mapping[str, Any] | None) -> tuple[str, str]:
    """(gen_ai.provider.name, gen_ai.request.model) for a model seamline recorded by name.

    A model string names both (`"openai:gpt-4o-mini"`); a model object is recorded by its
    own name, whose provider is the response's if it says, else the name itself."""
    prefix, sep, rest = model.partition(":")
    if prefix in _PROVIDERS:
        if prefix == "local":
            return _PROVIDERS[prefix], rest or "SmolLM2-135M-Instruct"
        return _PROVIDERS[prefix], rest if sep else model
    said = response.get("provider_name") if response else None
    return (str(said) if said else model), model


# -- secrets -------------------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
_SECRET_SHAPES = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"  # an Authorization header's value
    r"|((?:api[_-]?key|access[_-]?token|token|key|secret|password)=)[^&\s\"']{4,}"  # in a URL
    r"|\b(sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,})"  # known key shapes
)


def _secret_values() -> list[str]:
    """Values of environment variables whose names say they hold a secret."""
    return sorted(
        (v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 8),
        key=len,
        reverse=True,
    )


class Redactor:
    """Replaces anything in a text that looks like a secret with `[redacted]`: the values of
    environment variables named like secrets (`OPENAI_API_KEY`, `SEAMLINE_MCP_TOKEN`, ...,
    as they are when the redactor first redacts), bearer tokens, `key=` / `token=` query
    parameters, and the usual API-key shapes. The environment is read on first use: a run
    that records no text (no content, no check reasons) never pays for it."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: list[str] | None = None

    def __call__(self, text: str) -> str:
        values = self._values
        if values is None:
            values = self._values = _secret_values()
        for value in values:
            if value in text:
                text = text.replace(value, "[redacted]")
        return _SECRET_SHAPES.sub(_keep_prefix, text)


def _keep_prefix(match: re.Match[str]) -> str:
    prefix = match.group(1) or match.group(2) or ""
    return f"{prefix}[redacted]"
