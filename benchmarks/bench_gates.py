"""Gates: the compounding math, measured, and what a gate costs per seam.

    python benchmarks/bench_gates.py [--runs 5000] [--quick]

1. Six steps, each calling a model whose outputs a seeded fault injector corrupts with
   probability 0.03. Shadow (gates record, never act): the end-to-end pass rate should
   sit near 0.97^6 = 83.3%. Gated with retry(3): at least 99.9%, for at most 1.10x the
   shadow run's model calls per task. Both with 95% Wilson intervals, computed by the
   same code as `seamline eval` (seamline.reliability).
2. Overhead of a gate with three cheap checks on each of six no-op steps, against the
   same pipeline without gates (goal: at most 15 µs per seam).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import BaseModel

import seamline as sl
from seamline.models.base import ModelRequest
from seamline.reliability import measure
from seamline.testing import FaultInjector, ScriptedModel

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import per_call

STEPS = ["intent", "extract", "enrich", "review", "decide", "notify"]


class Work(BaseModel):
    text: str
    step: str


def answer(request: ModelRequest) -> Work:
    step = request.prompt.split(":", 1)[0]
    return Work(text=f"ok from {step}", step=step)


def reliability_pipeline(faults: FaultInjector, gated_retries: int) -> sl.Pipeline:
    model = faults.model(ScriptedModel(answer, name="scripted"))
    pipe = sl.Pipeline("compounding", inputs={"task": Work}, model=model)  # type: ignore[arg-type]
    previous = "task"
    for name in STEPS:
        pipe.step(_model_step(name, previous))
        pipe.gate(name, faults.detects(name), on_fail=sl.retry(gated_retries))
        previous = name
    return pipe


def _model_step(name: str, reads: str):  # type: ignore[no-untyped-def]
    import inspect

    async def step(ctx: sl.StepContext, **upstream: Work) -> Work:
        return await ctx.generate(Work, f"{name}: continue from {upstream[reads].text}")

    step.__name__ = name
    step.__signature__ = inspect.Signature(
        [  # type: ignore[attr-defined]
            inspect.Parameter(reads, inspect.Parameter.KEYWORD_ONLY, annotation=Work),
            inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=sl.StepContext),
        ]
    )
    step.__annotations__ = {reads: Work, "ctx": sl.StepContext, "return": Work}
    return step


async def compounding(runs: int, seed: int) -> None:
    task = {"task": Work(text="a customer email", step="input")}
    logs = []
    for mode in ("shadow", "on"):
        faults = FaultInjector(0.03, seed=seed)
        pipe = reliability_pipeline(faults, gated_retries=3)
        for i in range(runs):
            result = await pipe.run(task, gates=mode, run_id=f"{mode}-{i}", raise_on_failure=False)  # type: ignore[arg-type]
            logs.append(result.events)
        print(f"   {mode:6}: {faults.injected} of {faults.outputs} model outputs corrupted")
    report = measure(logs)
    shadow, gated = report.shadow, report.gated
    assert shadow is not None and gated is not None
    e_s, e_g = shadow.end_to_end, gated.end_to_end
    i_s, i_g = e_s.interval, e_g.interval
    assert e_s.pass_rate is not None and e_g.pass_rate is not None and i_s and i_g
    calls_s, calls_g = e_s.model_calls / e_s.tasks, e_g.model_calls / e_g.tasks
    print(
        f"1. compounding: six steps, each output corrupted with p=0.03 (seeded), {runs} runs per mode"
    )
    print(f"   expected 0.97^6           = {0.97**6:.2%}")
    print(f"   predicted (∏ seam yields) = {e_s.predicted or 0:.2%}")
    print(
        f"   shadow (ungated)          = {e_s.pass_rate:.2%}  95% CI [{i_s.low:.2%}, {i_s.high:.2%}]"
        f"   |Δ vs 83.3%| = {abs(e_s.pass_rate - 0.97**6) * 100:.2f} points (goal <= 1.5)"
    )
    print(
        f"   gated, retry(3)           = {e_g.pass_rate:.2%}  95% CI [{i_g.low:.2%}, {i_g.high:.2%}]   (goal >= 99.9%)"
    )
    print(
        f"   model calls per task: shadow {calls_s:.3f}, gated {calls_g:.3f}, "
        f"ratio {calls_g / calls_s:.3f}x (goal <= 1.10x)"
    )


def overhead_pipeline(gated: bool) -> sl.Pipeline:
    pipe = sl.Pipeline("overhead", inputs={"s0": Work})
    for i in range(1, 7):
        pipe.step(_noop(f"s{i}", f"s{i - 1}"))
        if gated:
            pipe.gate(
                f"s{i}",
                sl.check("has text", _has_text(f"s{i}")),
                sl.check("short", _short(f"s{i}")),
                sl.check("labelled", _labelled(f"s{i}")),
            )
    return pipe


def _noop(name: str, reads: str):  # type: ignore[no-untyped-def]
    import inspect

    async def step(prev: Work) -> Work:
        return prev

    step.__name__ = name
    step.__signature__ = inspect.Signature(
        [inspect.Parameter(reads, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Work)]
    )  # type: ignore[attr-defined]
    step.__annotations__ = {reads: Work, "return": Work}
    return step


def _reading(step: str, predicate):  # type: ignore[no-untyped-def]
    """A check whose one parameter is named after the gated step, as checks must be."""
    import inspect

    def check(**artifacts: Work) -> bool:
        return bool(predicate(artifacts[step]))

    check.__signature__ = inspect.Signature(
        [inspect.Parameter(step, inspect.Parameter.KEYWORD_ONLY)]
    )  # type: ignore[attr-defined]
    return check


def _has_text(step: str):  # type: ignore[no-untyped-def]
    return _reading(step, lambda a: a.text)


def _short(step: str):  # type: ignore[no-untyped-def]
    return _reading(step, lambda a: len(a.text) < 1000)


def _labelled(step: str):  # type: ignore[no-untyped-def]
    return _reading(step, lambda a: a.step != "")


async def overhead(quick: bool) -> None:
    n, repeats = (500, 3) if quick else (5000, 7)
    inputs = {"s0": Work(text="x", step="input")}
    plain, gated = overhead_pipeline(False), overhead_pipeline(True)
    await plain.run(inputs)
    await gated.run(inputs)
    p = await per_call(lambda: plain.run(inputs), n, repeats)
    g = await per_call(lambda: gated.run(inputs), n, repeats)
    print("2. gate overhead: six no-op steps, a gate with three cheap checks on each seam")
    print(
        f"   without gates {p * 1e6:7.1f} µs/run   with gates {g * 1e6:7.1f} µs/run   "
        f"overhead {(g - p) / 6 * 1e6:5.1f} µs per seam (goal <= 15)"
    )


async def main(runs: int, quick: bool, seed: int) -> None:
    await compounding(500 if quick else runs, seed)
    await overhead(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.quick, args.seed))
