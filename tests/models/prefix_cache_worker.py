"""Run in a fresh process by test_local.py: one few-shot extraction on the local model.

Prints one JSON line: the raw output, how many prompt tokens came from the cache, and the
warnings raised (as text), so the test can compare processes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.claims.models import Claim, ClaimDoc
from examples.claims.prompts import EXAMPLE_PAIRS, SYSTEM, extraction_prompt

from seamline.models import ModelRequest, get_model

DOC = ClaimDoc(
    text="Hi, Lena Ortiz here, policy HOM-442019. Hail broke two skylights on 3 May 2024. "
    "The roofer quotes $1,980."
)


async def main() -> dict[str, object]:
    request = ModelRequest(
        model="local",
        prompt=extraction_prompt(DOC),
        system=SYSTEM,
        output_schema=Claim.model_json_schema(),
        examples=tuple(EXAMPLE_PAIRS),
        max_tokens=int(sys.argv[1]) if len(sys.argv) > 1 else None,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reply = await get_model("local").generate(Claim, request)
    return {
        "raw_output": reply.raw_output,
        "cached_tokens": reply.response["usage"]["cache_read_tokens"],
        "input_tokens": reply.input_tokens,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
