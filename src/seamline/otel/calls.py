"""A run's calls as spans: `chat` per model call, `execute_tool` per tool call,
`retrieval` per context read, each a child of the attempt that made it (a judge's call is
inside its gate's span), timed by what the log recorded (`at` minus `seconds`).

Handlers of `seamline.otel.spans.RunTrace`, one per event kind; the attribute names are
the GenAI conventions' (see `seamline.otel.conventions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from seamline.events import ContextRead, ModelCalled, ToolCalled
from seamline.otel import conventions as c
from seamline.otel import messages
from seamline.runtime.state import unit_of

if TYPE_CHECKING:
    from seamline.otel.spans import RunTrace


def model_called(t: RunTrace, e: ModelCalled) -> None:
    if not t.emit:
        return
    response = e.response or {}
    provider, model = c.model_attributes(e.model, response)
    attributes: dict[str, AttributeValue] = {
        c.OPERATION: c.CHAT,
        c.PROVIDER: provider,
        c.REQUEST_MODEL: model,
        c.CONVERSATION_ID: t.run_id,
        c.STEP: e.step,
        c.ATTEMPT: e.attempt,
        c.PURPOSE: e.purpose,
        c.INPUT_TOKENS: e.input_tokens,
        c.OUTPUT_TOKENS: e.output_tokens,
    }
    if e.index is not None:
        attributes[c.INDEX] = e.index
    attributes.update(response_attributes(response))
    if isinstance(e.request.get("max_tokens"), int):
        attributes[c.REQUEST_MAX_TOKENS] = e.request["max_tokens"]
    failed = e.response is None and e.error is not None
    if e.purpose != "agent":
        attributes[c.OUTPUT_TYPE] = "json"
        if not failed:
            attributes[c.OUTPUT_VALID] = e.error is None
    if t.content:
        content(t, attributes, e)
    unit = unit_of(e.step, e.index)
    span = t.start(
        f"{c.CHAT} {model}",
        t.parent(unit, e.attempt, judge=e.purpose == "judge"),
        e.at - e.seconds,
        attributes,
        kind=SpanKind.INTERNAL if provider == "llama.cpp" else SpanKind.CLIENT,
        key=("model", e.seq),
    )
    error_type = c.error_type(e.error, "_OTHER") if failed else None
    if error_type is not None:
        span.set_attribute(c.ERROR_TYPE, error_type)
        span.set_status(Status(StatusCode.ERROR, error_type))
    span.end(c.nanos(e.at))
    if t.meters is not None:
        metric: dict[str, AttributeValue] = {
            c.OPERATION: c.CHAT,
            c.PROVIDER: provider,
            c.REQUEST_MODEL: model,
            c.WORKFLOW_NAME: t.state.pipeline or "",
            c.STEP: e.step,
            c.PURPOSE: e.purpose,
        }
        if c.RESPONSE_MODEL in attributes:
            metric[c.RESPONSE_MODEL] = attributes[c.RESPONSE_MODEL]
        t.meters.model_call(metric, e.input_tokens, e.output_tokens, e.seconds, error_type)


def content(t: RunTrace, attributes: dict[str, AttributeValue], e: ModelCalled) -> None:
    system = messages.instructions(e.request)
    if system:
        attributes[c.SYSTEM_INSTRUCTIONS] = t.redact(messages.encode(system))
    attributes[c.INPUT_MESSAGES] = t.redact(messages.encode(messages.input_messages(e.request)))
    output = messages.output_messages(e.response)
    if output:
        attributes[c.OUTPUT_MESSAGES] = t.redact(messages.encode(output))
    tools = messages.tool_definitions(e.request)
    if tools:
        attributes[c.TOOL_DEFINITIONS] = t.redact(messages.encode(tools))
    if e.error is not None:
        attributes[c.ERROR_MESSAGE] = t.redact(e.error)


def tool_called(t: RunTrace, e: ToolCalled) -> None:
    if not t.emit:
        return
    attributes: dict[str, AttributeValue] = {
        c.OPERATION: c.EXECUTE_TOOL,
        c.TOOL_NAME: e.tool,
        c.TOOL_TYPE: "extension" if e.server is not None else "function",
        c.TOOL_OUTCOME: e.outcome,
        c.CONVERSATION_ID: t.run_id,
        c.STEP: e.step,
        c.ATTEMPT: e.attempt,
    }
    if e.index is not None:
        attributes[c.INDEX] = e.index
    if e.call_id is not None:
        attributes[c.TOOL_CALL_ID] = e.call_id
    if e.server is not None:
        attributes[c.TOOL_SERVER] = e.server
    if t.content:
        attributes[c.TOOL_ARGUMENTS] = t.text(e.request)
        if e.error is None:
            attributes[c.TOOL_RESULT] = t.text(e.response)
        else:
            attributes[c.ERROR_MESSAGE] = t.redact(e.error)
    span = t.start(
        f"{c.EXECUTE_TOOL} {e.tool}",
        t.parent(unit_of(e.step, e.index), e.attempt),
        e.at - e.seconds,
        attributes,
        key=("tool", e.seq),
    )
    if e.error is not None or e.outcome == "refused":
        error_type = "refused" if e.outcome == "refused" else c.error_type(e.error, "_OTHER")
        span.set_attribute(c.ERROR_TYPE, error_type)
        span.set_status(Status(StatusCode.ERROR, error_type))
    span.end(c.nanos(e.at))


def context_read(t: RunTrace, e: ContextRead) -> None:
    """A context read: a `retrieval` span with the ids and scores of the passages
    returned (`document#chunk`); the query only with content on."""
    if not t.emit:
        return
    documents = [
        {"id": f"{p.get('document')}#{p.get('chunk')}", "score": float(p.get("score") or 0.0)}
        for p in e.passages
    ]
    attributes: dict[str, AttributeValue] = {
        c.OPERATION: c.RETRIEVAL,
        c.DATA_SOURCE_ID: e.collection,
        c.RETRIEVAL_DOCUMENTS: messages.encode(documents),
        c.REQUEST_TOP_K: float(e.k),
        c.CONTEXT_REVISION: e.revision,
        c.CONTEXT_KIND: e.kind,
        c.CONVERSATION_ID: t.run_id,
        c.STEP: e.step,
        c.ATTEMPT: e.attempt,
    }
    if e.index is not None:
        attributes[c.INDEX] = e.index
    if t.content:
        attributes[c.RETRIEVAL_QUERY] = t.redact(e.query)
    span = t.start(
        f"{c.RETRIEVAL} {e.collection}",
        t.parent(unit_of(e.step, e.index), e.attempt),
        e.at - e.seconds,
        attributes,
        kind=SpanKind.CLIENT,
        key=("context", e.seq),
    )
    span.end(c.nanos(e.at))


def response_attributes(response: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """What a pydantic-ai `ModelResponse` (as the log holds it) says about the call."""
    attributes: dict[str, AttributeValue] = {}
    if response.get("model_name"):
        attributes[c.RESPONSE_MODEL] = str(response["model_name"])
    if response.get("provider_response_id"):
        attributes[c.RESPONSE_ID] = str(response["provider_response_id"])
    if response.get("finish_reason"):
        attributes[c.FINISH_REASONS] = [str(response["finish_reason"])]
    usage = response.get("usage")
    if isinstance(usage, Mapping):
        found = usage.get("details")
        details: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        for name, value in (
            (c.CACHE_READ_TOKENS, usage.get("cache_read_tokens")),
            (c.CACHE_CREATION_TOKENS, usage.get("cache_write_tokens")),
            (
                c.REASONING_TOKENS,
                usage.get("output_reasoning_tokens") or details.get("reasoning_tokens"),
            ),
        ):
            if isinstance(value, int) and value:
                attributes[name] = value
    return attributes
