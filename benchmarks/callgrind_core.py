"""Instruction counts of the engine's hot paths, for `valgrind --tool=callgrind`.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python benchmarks/callgrind_core.py WORKLOAD N

Wall-clock figures on a shared machine are noisy; instruction counts are not. Run a
workload with N runs and with 0 runs: the difference divided by N is the cost per run,
repeatable to a fraction of a percent (the lead compares them before and after a change).

Workloads (bench_core.py's pipelines): `linear` (six no-op steps, one run at a time),
`map` (a map over 10 items and a fan-in), `concurrent` (N concurrent runs of six steps
that await sleep(0)); and bench_gates.py's `gated` (six no-op steps, a gate of three
cheap checks on each seam).
"""

from __future__ import annotations

import asyncio
import sys

from bench_core import DOC, Item, linear_pipeline, map_pipeline
from bench_gates import Work, overhead_pipeline


async def main(workload: str, n: int) -> None:
    if workload == "linear":
        pipe, _ = linear_pipeline()
        inputs = {"doc": DOC}
        await pipe.run(inputs)
        for _ in range(n):
            await pipe.run(inputs)
    elif workload == "map":
        pipe, _ = map_pipeline()
        inputs = {"items": [Item(n=i) for i in range(10)]}
        await pipe.run(inputs)
        for _ in range(n):
            await pipe.run(inputs)
    elif workload == "concurrent":
        pipe, _ = linear_pipeline(sleep=1e-9)
        inputs = {"doc": DOC}
        await pipe.run(inputs)
        await asyncio.gather(*(pipe.run(inputs) for _ in range(n)))
    elif workload == "gated":
        pipe = overhead_pipeline(gated=True)
        inputs = {"s0": Work(text="x", step="input")}
        await pipe.run(inputs)
        for _ in range(n):
            await pipe.run(inputs)
    else:
        raise SystemExit(f"unknown workload {workload!r}: linear, map, concurrent or gated")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
