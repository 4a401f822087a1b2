"""Engine overhead against a hand-written plain-asyncio pipeline doing the same work.

    python benchmarks/bench_core.py [--quick]

1. six no-op steps in a line: overhead per step (goal <= 10 µs)
2. one step mapping over 10 items, then a fan-in step: overhead per item (goal <= 15 µs)
3. 2,000 concurrent runs of six steps that each await asyncio.sleep(0.01): runs/s
   and peak RSS (goal >= 55% of the floor's runs/s)

Both sides call the very same step functions; only the orchestration differs. Each
figure is the median of several repeats, measured in this one process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

import seamline as sl


class Doc(BaseModel):
    n: int


class Item(BaseModel):
    n: int


class Items(BaseModel):
    items: list[Item]


DOC = Doc(n=1)


def linear_pipeline(sleep: float = 0.0) -> tuple[sl.Pipeline, Callable[[Doc], Awaitable[Doc]]]:
    pipe = sl.Pipeline("linear", inputs={"doc": Doc})

    async def work(prev: Doc) -> Doc:
        if sleep:
            await asyncio.sleep(sleep)
        return prev

    @pipe.step
    async def s1(doc: Doc) -> Doc:
        return await work(doc)

    @pipe.step
    async def s2(s1: Doc) -> Doc:
        return await work(s1)

    @pipe.step
    async def s3(s2: Doc) -> Doc:
        return await work(s2)

    @pipe.step
    async def s4(s3: Doc) -> Doc:
        return await work(s3)

    @pipe.step
    async def s5(s4: Doc) -> Doc:
        return await work(s4)

    @pipe.step
    async def s6(s5: Doc) -> Doc:
        return await work(s5)

    async def floor(doc: Doc) -> Doc:
        a = await s1(doc)
        b = await s2(a)
        c = await s3(b)
        d = await s4(c)
        e = await s5(d)
        return await s6(e)

    return pipe, floor


def map_pipeline() -> tuple[sl.Pipeline, Callable[[list[Item]], Awaitable[Items]]]:
    pipe = sl.Pipeline("fanout", inputs={"items": list[Item]})

    @pipe.step(map="items")
    async def each(items: Item) -> Item:
        return items

    @pipe.step
    async def collect(each: list[Item]) -> Items:
        return Items(items=each)

    async def floor(items: list[Item]) -> Items:
        limit = asyncio.Semaphore(16)

        async def one(item: Item) -> Item:
            async with limit:
                return await each(item)

        results = await asyncio.gather(*(one(i) for i in items))
        return await collect(list(results))

    return pipe, floor


async def per_call(fn: Callable[[], Awaitable[object]], n: int, repeats: int) -> float:
    """Median seconds per call of `fn` over `repeats` batches of `n` calls."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(n):
            await fn()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


async def throughput(fn: Callable[[], Awaitable[object]], runs: int) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(fn() for _ in range(runs)))
    return runs / (time.perf_counter() - start)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(quick: bool) -> None:
    n, repeats = (500, 3) if quick else (5000, 7)
    print(
        f"seamline {sl.__version__}, Python {sys.version.split()[0]}, {n} calls x {repeats} repeats\n"
    )

    pipe, floor = linear_pipeline()
    inputs = {"doc": DOC}
    await pipe.run(inputs)  # warm caches (validation, adapters)
    f = await per_call(lambda: floor(DOC), n, repeats)
    s = await per_call(lambda: pipe.run(inputs), n, repeats)
    per_step = (s - f) / 6 * 1e6
    print("1. six no-op steps in a line")
    print(
        f"   floor {f * 1e6:8.1f} µs/run   seamline {s * 1e6:8.1f} µs/run   "
        f"overhead {per_step:6.1f} µs/step  (goal <= 10)"
    )

    mpipe, mfloor = map_pipeline()
    items = [Item(n=i) for i in range(10)]
    minputs = {"items": items}
    await mpipe.run(minputs)
    f = await per_call(lambda: mfloor(items), n, repeats)
    s = await per_call(lambda: mpipe.run(minputs), n, repeats)
    per_item = (s - f) / 10 * 1e6
    print("2. map over 10 items, then fan-in")
    print(
        f"   floor {f * 1e6:8.1f} µs/run   seamline {s * 1e6:8.1f} µs/run   "
        f"overhead {per_item:6.1f} µs/item  (goal <= 15)"
    )

    spipe, sfloor = linear_pipeline(sleep=0.01)
    runs = 500 if quick else 2000
    rss0 = peak_rss_mb()
    floor_rate = statistics.median([await throughput(lambda: sfloor(DOC), runs) for _ in range(3)])
    rss_floor = peak_rss_mb()
    rates = [await throughput(lambda: spipe.run(inputs), runs) for _ in range(3)]
    seam_rate = statistics.median(rates)
    rss_seam = peak_rss_mb()
    print(f"3. {runs} concurrent runs of six steps awaiting sleep(0.01)")
    print(
        f"   floor {floor_rate:8.0f} runs/s   seamline {seam_rate:8.0f} runs/s   "
        f"ratio {seam_rate / floor_rate:5.1%}  (goal >= 55%)"
    )
    print(
        f"   peak RSS: start {rss0:.0f} MB, after floor {rss_floor:.0f} MB, after seamline {rss_seam:.0f} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for CI smoke runs")
    asyncio.run(main(parser.parse_args().quick))
