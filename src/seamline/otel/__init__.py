"""OpenTelemetry traces and metrics for seamline runs, on the GenAI semantic conventions.

Follows the GenAI semantic conventions of OpenTelemetry semantic-conventions **v1.41.0**
(spans, the `gen_ai.evaluation.result` event, the client metrics; the conventions are now
maintained in open-telemetry/semantic-conventions-genai). seamline is a new instrumentation,
so it emits that latest experimental version directly, without the
`OTEL_SEMCONV_STABILITY_OPT_IN` transition older ones go through.

When tracing is on (see `seamline.otel.switch`: a configured tracer provider,
`OTEL_EXPORTER_OTLP_ENDPOINT` with the `otel` extra installed, or `instrument()`), every
run is a trace:

| span | kind | what | attributes |
|---|---|---|---|
| `invoke_workflow {pipeline}` | INTERNAL | a session of the run (its start, each resume) | `gen_ai.operation.name=invoke_workflow`, `gen_ai.workflow.name`, `gen_ai.conversation.id` (the run id), `seamline.run.status`, `seamline.run.session`, `seamline.gates`, usage totals |
| `step {step}` | INTERNAL | one attempt of one unit (a step, or one item of a map= step) | `seamline.step`, `seamline.item.index`, `seamline.attempt`, `seamline.outcome` (accepted, retry, fallback, rerouted, escalated, rejected, errored, cancelled, skipped, interrupted), `seamline.gate.*` |
| `chat {model}` | CLIENT (INTERNAL for `local`) | a model call: `ctx.generate`, an agent turn, a judge | `gen_ai.operation.name=chat`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`, `gen_ai.response.id`, `gen_ai.response.finish_reasons`, `gen_ai.usage.input_tokens` / `output_tokens` / `cache_read.input_tokens` / `cache_creation.input_tokens` / `reasoning.output_tokens`, `gen_ai.request.max_tokens`, `gen_ai.output.type`, `error.type` |
| `execute_tool {tool}` | INTERNAL | a tool call | `gen_ai.operation.name=execute_tool`, `gen_ai.tool.name`, `gen_ai.tool.call.id`, `gen_ai.tool.type` (function; extension for an MCP server's), `error.type` |
| `retrieval {collection}` | CLIENT | a context read (the context layer's `ContextRead` event) | `gen_ai.operation.name=retrieval`, `gen_ai.data_source.id`, `gen_ai.retrieval.documents` (ids and scores), `gen_ai.request.top_k` |
| `gate {step}` | INTERNAL | a gate evaluating an attempt (its judges' `chat` spans inside) | `seamline.gate.passed`, `.score`, `.action`, `.effect`, `.target` |
| `approval {step}` | INTERNAL | the wait for a person, from request to decision | `seamline.approval.kind`, `.decision`, `.effect` |

Each check and judge is a `gen_ai.evaluation.result` event on the attempt it judged
(`gen_ai.evaluation.name`, `.score.value` for judges, `.score.label` pass / fail / error /
skipped, `.explanation`), and a log event too where a logger provider is configured. A run
resumed in another process continues the same trace: the resumed session is a child of
the first session and links to every session before it. Model calls that step code makes
through pydantic-ai with pydantic-ai's own instrumentation on nest under the attempt that
made them; seamline's own calls are its `chat` spans (pydantic-ai's instrumentation is
kept out of them, so no call is counted twice). Metrics: see `seamline.otel.metrics`.

Message content (prompts, responses, artifacts, tool arguments and results, retrieval
queries, reviewers, error messages) is recorded only when asked for
(`instrument(capture_content=True)`, `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`
or `seamline runs export --content`). Secrets never are: every text that leaves goes
through a redactor (`seamline.otel.conventions.Redactor`).

```python
import seamline.otel

seamline.otel.instrument(tracer_provider=provider, meter_provider=meters)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamline.otel.switch import instrument, reset, uninstrument

if TYPE_CHECKING:
    from seamline.otel.export import Exported
    from seamline.store.base import RunStore

__all__ = ["export_runs", "instrument", "reset", "uninstrument"]


async def export_runs(store: RunStore, run_ids: list[str], **options: Any) -> Exported:
    """Send recorded runs to an OTLP/HTTP collector as traces (see `seamline.otel.export`)."""
    from seamline.otel.export import export_runs as export

    return await export(store, run_ids, **options)
