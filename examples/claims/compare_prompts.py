"""Compare variants of the first extraction call on the local model: one call per document, no gates.

    python -m examples.claims.compare_prompts                      # 12 dev documents, all variants
    python -m examples.claims.compare_prompts --set synthetic --n 48 --variants free+hints,choices+hints

For each variant: how many readings are fully correct, how many fields are right, how
many pass every claim check (and how many of those are still wrong: the errors only the
expected data can see), and the model's input tokens and seconds per call. A tool for
choosing the prompt `pipeline.py` uses; `benchmark.py` measures the gated pipeline.
Also shown: the parser's top candidate per field with no model at all, the floor the
model's reading should beat.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import time

from pydantic import BaseModel

from seamline.models import ModelRequest, get_model

from .checks import CLAIM_CHECKS
from .datasets import load_set
from .grounded import as_claim, candidate_claim_type, top_candidates
from .models import Claim, ClaimReading, ClaimTask
from .prompts import EXAMPLES, SYSTEM, extraction_prompt

# "free": the model writes every field (ClaimReading); "choices": each field is one of the
# document's own values that is not a decoy (what pipeline.py asks on a first reading).
VARIANTS = ("free+hints", "choices+hints", "choices+hints+examples")
FIELDS = ("claimant", "policy_id", "incident_date", "incident_type", "amount", "currency")


def output_type(task: ClaimTask, variant: str) -> type[BaseModel]:
    return candidate_claim_type(task.doc) if "choices" in variant else ClaimReading


def request(task: ClaimTask, variant: str, model: str) -> ModelRequest:
    hints = "hints" in variant
    examples: tuple[tuple[str, str], ...] = ()
    if "examples" in variant:
        examples = tuple(
            (extraction_prompt(doc, hints=hints), claim.model_dump_json())
            for doc, claim in EXAMPLES
        )
    return ModelRequest(
        model=model,
        prompt=extraction_prompt(task.doc, hints=hints),
        system=SYSTEM,
        output_schema=output_type(task, variant).model_json_schema(),
        examples=examples,
    )


def score(claim: Claim | None, task: ClaimTask) -> tuple[int, bool, bool]:
    """(fields right, fully right, passes every check)."""
    if claim is None:
        return 0, False, False
    truth = task.expected.claim
    right = [getattr(claim, f) == getattr(truth, f) for f in FIELDS]
    passes = all(_call(check, claim, task) is True for check in CLAIM_CHECKS)
    return sum(right), all(right), passes


def _call(check: object, claim: Claim, task: ClaimTask) -> object:
    names = inspect.signature(check).parameters  # type: ignore[arg-type]
    return check(**{n: {"claim": claim, "doc": task.doc}[n] for n in names})  # type: ignore[operator]


def _line(name: str, rows: list[tuple[int, bool, bool]], n: int, extra: str = "") -> str:
    fields = sum(r[0] for r in rows)
    correct = sum(r[1] for r in rows)
    passes = sum(r[2] for r in rows)
    wrong_passing = sum(r[2] and not r[1] for r in rows)
    return (
        f"{name:16} correct {correct}/{n}  fields {fields}/{len(FIELDS) * n}  "
        f"pass every check {passes}/{n} (wrong {wrong_passing}){extra}"
    )


async def compare(tasks: list[ClaimTask], variants: list[str], model_name: str) -> None:
    print(
        _line("parser's top", [score(top_candidates(t.doc), t) for t in tasks], len(tasks)),
        flush=True,
    )
    model = get_model(model_name)
    for variant in variants:
        rows, tokens, seconds = [], 0, 0.0
        started = time.perf_counter()
        for task in tasks:
            reply = await model.generate(
                output_type(task, variant), request(task, variant, model_name)
            )
            tokens += reply.input_tokens
            seconds += reply.seconds
            rows.append(score(as_claim(reply.output, task.doc) if reply.output else None, task))
        n = len(tasks)
        extra = (
            f"  {tokens / n:.0f} input tokens and {seconds / n:.1f} s per call "
            f"({time.perf_counter() - started:.0f} s)"
        )
        print(_line(variant, rows, n, extra), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev", help="dev, synthetic, or a folder")
    parser.add_argument("--n", type=int, default=12, help="documents (evenly spread)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--model", default="local")
    args = parser.parse_args()
    tasks = load_set(args.set)
    step = max(1, len(tasks) // args.n)
    asyncio.run(compare(tasks[::step][: args.n], args.variants.split(","), args.model))


if __name__ == "__main__":
    main()
