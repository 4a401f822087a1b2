"""The pipelines `bench_temporal.py` runs, on the local engine and on Temporal workers
(`seamline worker benchmarks/temporal_pipeline.py:pipe`)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from pydantic import BaseModel

import seamline as sl


class Doc(BaseModel):
    n: int
    trace: str = ""  # where the takeover pipeline notes its attempts


# Six steps in a line, each awaiting 10 ms (a stand-in for a model or tool call), the
# third one gated: bench_core.py's third workload, with a seam.
pipe = sl.Pipeline("bench_temporal", inputs={"doc": Doc})


async def work(prev: Doc) -> Doc:
    await asyncio.sleep(0.01)
    return Doc(n=prev.n + 1)


@pipe.step
async def s1(doc: Doc) -> Doc:
    return await work(doc)


@pipe.step
async def s2(s1: Doc) -> Doc:
    return await work(s1)


@pipe.step
async def s3(s2: Doc) -> Doc:
    return await work(s2)


pipe.gate("s3", sl.check("counted", lambda s3, doc: s3.n == doc.n + 3))


@pipe.step
async def s4(s3: Doc) -> Doc:
    return await work(s3)


@pipe.step
async def s5(s4: Doc) -> Doc:
    return await work(s4)


@pipe.step
async def s6(s5: Doc) -> Doc:
    return await work(s5)


# One long step, noting when each attempt starts: the takeover time after a worker dies.
takeover = sl.Pipeline("bench_takeover", inputs={"doc": Doc})


@takeover.step
async def long(doc: Doc) -> Doc:
    with (Path(doc.trace) / f"{doc.n}.starts").open("a") as f:
        f.write(f"{os.getpid()} {time.time()}\n")
    await asyncio.sleep(2.0)
    return doc
