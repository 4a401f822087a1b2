"""Metrics: GenAI token usage and operation duration, and per seam passes, catches, escapes
and escalations, so a dashboard can plot each seam's pass rate and the runs' end to end.

| metric | instrument | attributes |
|---|---|---|
| `gen_ai.client.token.usage` ({token}) | histogram | `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.token.type`, `gen_ai.request.model`, `gen_ai.response.model`, plus `gen_ai.workflow.name`, `seamline.step`, `seamline.call.purpose` |
| `gen_ai.client.operation.duration` (s) | histogram | the same but the token type, and `error.type` for a call that failed |
| `seamline.seam.passes` | counter | `gen_ai.workflow.name`, `seamline.step`, `seamline.gates` |
| `seamline.seam.catches` | counter | the same: failed verdicts (a broken check is a gate error, not a catch) |
| `seamline.seam.gate_errors` | counter | the same |
| `seamline.seam.escalations` | counter | the same: failed verdicts the ladder sent to a person |
| `seamline.seam.escapes` | counter | the same: artifacts a gate passed that a person then rejected or corrected |
| `seamline.runs` | counter | `gen_ai.workflow.name`, `seamline.gates`, `seamline.run.status` |

A pass is an attempt its seam accepted: a passed verdict, or a finished attempt of a step
without a gate. Escapes are counted where a person says the gate was wrong; against
expected artifacts, escapes are `seamline eval`'s to measure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.metrics import Meter
from opentelemetry.util.types import AttributeValue

from seamline.otel import conventions as c

Attributes = Mapping[str, AttributeValue]


class Meters:
    """The instruments of one meter provider, made once and shared by every run."""

    def __init__(self, meter: Meter) -> None:
        self.tokens = meter.create_histogram(
            c.TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(c.TOKEN_BUCKETS),
        )
        self.duration = meter.create_histogram(
            c.OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(c.DURATION_BUCKETS),
        )
        seam = "{verdict}"
        self.seams = {
            "pass": meter.create_counter(
                c.PASSES, unit=seam, description="Attempts a seam accepted."
            ),
            "catch": meter.create_counter(
                c.CATCHES, unit=seam, description="Failed verdicts: defects a gate caught."
            ),
            "gate_error": meter.create_counter(
                c.GATE_ERRORS, unit=seam, description="Verdicts a broken check failed."
            ),
            "escalation": meter.create_counter(
                c.ESCALATIONS, unit=seam, description="Failed verdicts sent to a person."
            ),
            "escape": meter.create_counter(
                c.ESCAPES,
                unit=seam,
                description="Artifacts a gate passed that a person rejected or corrected.",
            ),
        }
        self.runs = meter.create_counter(
            c.RUNS, unit="{run}", description="Runs that stopped, by status."
        )

    def model_call(
        self,
        attributes: Attributes,
        input_tokens: int,
        output_tokens: int,
        seconds: float,
        error_type: str | None,
    ) -> None:
        if error_type is None:
            for kind, tokens in (("input", input_tokens), ("output", output_tokens)):
                if tokens:
                    self.tokens.record(tokens, {**attributes, c.TOKEN_TYPE: kind})
            self.duration.record(seconds, attributes)
        else:
            self.duration.record(seconds, {**attributes, c.ERROR_TYPE: error_type})

    def seam(self, kind: str, attributes: Attributes) -> None:
        self.seams[kind].add(1, attributes)

    def run(self, attributes: Mapping[str, Any]) -> None:
        self.runs.add(1, attributes)
