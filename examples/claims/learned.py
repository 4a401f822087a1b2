"""Few-shot examples from approved work: the claims a person signed off, nearest first.

Opt-in, per run: `pipe.run(..., deps=LearnFromApprovals(examples=2))` (or
`sl.evaluate(..., deps=...)`). Without it, the extraction uses the two static examples
of `prompts.py`, as it always has.

Where the examples come from: every claim is signed off at `decision`, downstream of the
extraction. Approving a decision also approves the claim reading it was made from, so
seamline writes that reading, with the document it was read from, to the `claim` step's
examples collection (`examples/claims/claim`); a claim a person edited at an escalation
is written there too (see `seamline.context.learn`). `ctx.examples(k=...)` returns the
ones whose document is nearest to this one. An edited decision writes no claim example:
the person corrected the outcome, not necessarily the reading.

`learning.py` measures what this does on a set split in two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

import seamline as sl

from .models import ClaimDoc, ClaimReading
from .prompts import EXAMPLE_PAIRS, extraction_prompt


@dataclass(frozen=True, slots=True)
class LearnFromApprovals:
    """The claims pipeline's `deps`: how many approved claims to show the model."""

    examples: int = 2


def as_pair(example: sl.Example) -> tuple[str, str] | None:
    """An approved claim as (prompt, answer), in the shape of the static examples; None
    for one that no longer validates (written by an older version of the pipeline)."""
    try:
        doc = ClaimDoc.model_validate(example.inputs.get("doc"))
        reading = ClaimReading.model_validate(
            {k: v for k, v in dict(example.artifact).items() if k in ClaimReading.model_fields}
        )
    except (ValidationError, TypeError, ValueError):
        return None
    return extraction_prompt(doc), reading.model_dump_json()


async def example_pairs(ctx: sl.StepContext[Any]) -> list[tuple[str, str]]:
    """The few-shot examples for this extraction: the static ones, or with
    `LearnFromApprovals` the nearest approved claims (topped up with static ones while
    fewer have been approved)."""
    wanted = ctx.deps.examples if isinstance(ctx.deps, LearnFromApprovals) else 0
    if wanted <= 0:
        return EXAMPLE_PAIRS
    pairs = [p for p in map(as_pair, await ctx.examples(k=wanted)) if p is not None]
    return pairs + EXAMPLE_PAIRS[: max(0, wanted - len(pairs))]
