"""What tracing costs per step: off (nothing configured, the default), and on to an
in-memory exporter, against the plain-asyncio floor of `bench_core.py`, in one process.

    python benchmarks/bench_otel.py [--quick]
    python benchmarks/bench_otel.py --workload off --runs 2000   # for callgrind, see below

1. six no-op steps in a line: µs per step over the floor, tracing off / on / on with metrics
2. one step mapping over 10 items, then a fan-in: µs per item, the same three ways

The variants are interleaved (floor, off, on, on+metrics, repeated), so a busy machine
slows them alike; each figure is the median of the repeats.

Tracing off must cost nothing in the per-step hot path. Wall time cannot show a fraction
of a microsecond on a shared machine; instruction counts can. `--workload off` runs only
the six-step pipeline, untraced, `--runs` times. Counting only what runs inside asyncio
tasks leaves out start-up and imports (which vary by tens of millions of instructions
between two starts), so the total divided by the runs is the per-run count:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect=task_step_impl --callgrind-out-file=/tmp/otel.out \\
        python benchmarks/bench_otel.py --workload off --runs 1000
    grep totals /tmp/otel.out        # / 1000 = instructions per six-step run

Run it again with PYTHONPATH pointing at another checkout's src/ to compare with it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_core import DOC, Item, linear_pipeline, map_pipeline

import seamline as sl


async def timed(fn: Callable[[], Awaitable[object]], n: int) -> tuple[float, float]:
    """(wall, CPU) seconds per call of `fn` over `n` calls. Everything runs on one thread,
    so on a busy machine the CPU time is close to what the wall time is on a quiet one."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await fn()
    return (time.perf_counter() - start) / n, (time.process_time() - cpu) / n


class Tracing:
    """Switches seamline's tracing between off, on (spans to memory), and on with metrics."""

    def __init__(self) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])

    def set(self, mode: str) -> None:
        import seamline.otel

        self.exporter.clear()  # spans kept in memory would grow the heap run after run
        if mode == "off":
            seamline.otel.reset()  # the default: nothing configured, so nothing traced
        else:
            seamline.otel.instrument(
                tracer_provider=self.tracer_provider,
                meter_provider=self.meter_provider if mode == "on+metrics" else None,
            )


async def compare(
    label: str,
    unit: str,
    per: int,
    floor: Callable[[], Awaitable[object]],
    run: Callable[[], Awaitable[object]],
    tracing: Tracing,
    n: int,
    repeats: int,
) -> None:
    modes = ("off", "on", "on+metrics")
    samples: dict[str, list[tuple[float, float]]] = {"floor": [], **{m: [] for m in modes}}
    for mode in modes:  # warm every path once
        tracing.set(mode)
        await run()
    for _ in range(repeats):
        samples["floor"].append(await timed(floor, n))
        for mode in modes:
            tracing.set(mode)
            samples[mode].append(await timed(run, n))
    tracing.set("off")
    print(f"{label} (wall | CPU)")
    f = [statistics.median(x[i] for x in samples["floor"]) for i in (0, 1)]
    print(f"   floor              {f[0] * 1e6:8.1f} | {f[1] * 1e6:8.1f} µs/run")
    for mode in modes:
        s = [statistics.median(x[i] for x in samples[mode]) for i in (0, 1)]
        print(
            f"   tracing {mode:<10} {s[0] * 1e6:8.1f} | {s[1] * 1e6:8.1f} µs/run   overhead "
            f"{(s[0] - f[0]) / per * 1e6:7.1f} | {(s[1] - f[1]) / per * 1e6:7.1f} µs/{unit}"
        )


async def main(quick: bool) -> None:
    n, repeats = (200, 3) if quick else (1000, 7)
    print(
        f"seamline {sl.__version__}, Python {sys.version.split()[0]}, "
        f"{n} runs x {repeats} repeats per variant, interleaved\n"
    )
    tracing = Tracing()
    pipe, floor = linear_pipeline()
    inputs = {"doc": DOC}
    await compare(
        "1. six no-op steps in a line",
        "step",
        6,
        lambda: floor(DOC),
        lambda: pipe.run(inputs),
        tracing,
        n,
        repeats,
    )
    mpipe, mfloor = map_pipeline()
    items = [Item(n=i) for i in range(10)]
    minputs = {"items": items}
    await compare(
        "2. map over 10 items, then fan-in",
        "item",
        10,
        lambda: mfloor(items),
        lambda: mpipe.run(minputs),
        tracing,
        n // 2,
        repeats,
    )


async def workload(runs: int) -> None:
    """The six-step pipeline, untraced, `runs` times: the callgrind workload."""
    pipe, _ = linear_pipeline()
    inputs = {"doc": DOC}
    for _ in range(runs):
        await pipe.run(inputs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for CI smoke runs")
    parser.add_argument(
        "--workload", choices=["off"], help="only run the untraced pipeline (for callgrind)"
    )
    parser.add_argument("--runs", type=int, default=2000, help="runs of --workload")
    args = parser.parse_args()
    if args.workload:
        asyncio.run(workload(args.runs))
    else:
        asyncio.run(main(args.quick))
