"""Compare extraction prompt variants on the local model: one call per document, no gates.

    python -m examples.claims.compare_prompts                 # 12 documents, all variants
    python -m examples.claims.compare_prompts --n 48 --variants plain,hints

For each variant it reports how many extractions are fully correct, how many fields
are right, and how many pass every grounding check (and how many of those are still
wrong: the errors only the expected data can see). A development tool for choosing
the prompt `pipeline.py` uses; `seamline eval` measures the gated pipeline itself.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from seamline.models import ModelRequest, get_model

from .checks import CLAIM_CHECKS
from .models import Claim, ClaimTask
from .prompts import EXAMPLES, SYSTEM, extraction_prompt

VARIANTS = ("plain", "examples", "hints", "hints+examples")
FIELDS = ("claimant", "policy_id", "incident_date", "incident_type", "amount")


def request(task: ClaimTask, variant: str, model: str) -> ModelRequest:
    hints = "hints" in variant
    examples = ()
    if "examples" in variant:
        examples = tuple(
            (extraction_prompt(doc, hints=hints), claim.model_dump_json())
            for doc, claim in EXAMPLES
        )
    return ModelRequest(
        model=model,
        prompt=extraction_prompt(task.doc, hints=hints),
        system=SYSTEM,
        output_schema=Claim.model_json_schema(),
        examples=examples,
    )


async def compare(tasks: list[ClaimTask], variants: list[str], model_name: str) -> None:
    model = get_model(model_name)
    for variant in variants:
        correct = fields = grounded = grounded_wrong = invalid = 0
        started = time.perf_counter()
        for task in tasks:
            reply = await model.generate(Claim, request(task, variant, model_name))
            claim, truth = reply.output, task.expected.claim
            if claim is None:
                invalid += 1
                continue
            right = [getattr(claim, f) == getattr(truth, f) for f in FIELDS]
            fields += sum(right)
            correct += all(right)
            passes = all(check(**_args(check, claim, task)) is True for check in CLAIM_CHECKS)
            grounded += passes
            grounded_wrong += passes and not all(right)
        n = len(tasks)
        print(
            f"{variant:16} correct {correct}/{n}  fields {fields}/{len(FIELDS) * n}  "
            f"pass all checks {grounded}/{n} (of which wrong {grounded_wrong})  "
            f"invalid {invalid}  {time.perf_counter() - started:.0f}s",
            flush=True,
        )


def _args(check: object, claim: Claim, task: ClaimTask) -> dict[str, object]:
    names = check.__code__.co_varnames[: check.__code__.co_argcount]  # type: ignore[attr-defined]
    return {name: {"claim": claim, "doc": task.doc}[name] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="documents (every 4th, from the first)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--model", default="local")
    args = parser.parse_args()
    path = Path(__file__).with_name("claims.jsonl")
    tasks = [ClaimTask.model_validate_json(line) for line in path.read_text().splitlines()]
    step = max(1, len(tasks) // args.n)
    asyncio.run(compare(tasks[::step][: args.n], args.variants.split(","), args.model))


if __name__ == "__main__":
    main()
