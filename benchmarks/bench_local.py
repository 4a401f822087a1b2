"""The embedded model against raw llama.cpp on the demo's requests, idle and under load.

    python benchmarks/bench_local.py [--requests 8] [--concurrency 2] [--quick] [--json out.json]
    python benchmarks/bench_local.py --first-call-only   # section 4 alone

The requests are the demo's: the claims example's extraction request (system prompt, two
few-shot examples, the document) for claims 1..N, and every third one its grounded retry
(enum-constrained, with gate feedback), built by the same code seamline sends them with.

1. The floor: raw llama.cpp (xllamacpp, no seamline) in every configuration of engines ×
   threads × slots × thread waiting that fits this machine, and 0.1's own (one engine,
   flash attention on, passive waits); each in a fresh process (the waiting policy is fixed
   when llama.cpp loads), each slot warmed with the few-shot prefix first. Requests/s with one request at a time and with `--concurrency` in flight; the
   best configuration's figure is the floor. It includes what seamline chooses not to do:
   calls batched in one engine's slots (their answers depend on what else is in flight) and
   `active` waiting (the fastest idle, the slowest under load).
2. seamline's `local` model, configured by nothing but the machine (`local_plan`), on the
   same requests through `Model.generate`, one at a time and concurrently.
3. Both again with a competing CPU-bound process running (one busy loop per CPU / 2, at
   least one), each configuration measured idle then loaded, back to back.
4. First local answer in a fresh process: from the call of `generate` to its reply, engine
   load included (and shown apart), with an empty prefix cache (cold) and after one process has cached the
   prefix; and from the start of the process.

Goals: seamline's concurrent requests/s >= 80% of the best raw configuration, idle and loaded;
first answer after the prefix is cached <= 2 s. Other load on the machine shows in every
figure; the ratios compare configurations measured in the same minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODES = ("single", "concurrent")
GROUNDED_FEEDBACK = (
    "\n\nYour previous answer was rejected:\n- amount 15 does not appear in the document; "
    "the amounts it contains are listed above."
)


# -- the requests ------------------------------------------------------------------------------


def demo_requests(n: int) -> list[Any]:
    """The demo's ModelRequests (and output types) for claims 1..n."""
    from examples.claims.grounded import grounded_claim_type
    from examples.claims.models import Claim, ClaimDoc
    from examples.claims.prompts import EXAMPLE_PAIRS, SYSTEM, extraction_prompt

    from seamline.models import ModelRequest

    tasks = [json.loads(line) for line in (ROOT / "examples/claims/claims.jsonl").open()]
    out: list[Any] = []
    for i in range(n):
        doc = ClaimDoc.model_validate(tasks[i % len(tasks)]["doc"])
        if i % 3 == 2:
            grounded = grounded_claim_type(doc)
            request = ModelRequest(
                model="local",
                prompt=extraction_prompt(doc) + GROUNDED_FEEDBACK,
                system=SYSTEM,
                output_schema=grounded.model_json_schema(),
            )
            out.append((grounded, request))
        else:
            request = ModelRequest(
                model="local",
                prompt=extraction_prompt(doc),
                system=SYSTEM,
                output_schema=Claim.model_json_schema(),
                examples=tuple(EXAMPLE_PAIRS),
            )
            out.append((Claim, request))
    return out


def demo_bodies(n: int) -> list[dict[str, Any]]:
    """The same requests as the chat bodies seamline hands llama.cpp."""
    from seamline.models import LocalModelConfig, chat_wire

    local = LocalModelConfig()
    return [
        chat_wire.chat_body(
            request,
            type_name=output_type.__name__,
            model_name="SmolLM2-135M-Instruct.Q4_1",
            max_tokens=local.max_tokens,
            temperature=local.temperature,
            seed=local.seed,
        )
        for output_type, request in demo_requests(n)
    ]


# -- workers (each in a fresh process) ---------------------------------------------------------


def raw_worker(config: dict[str, Any], requests: int, concurrency: int) -> dict[str, Any]:
    """xllamacpp alone, in the configuration given: requests/s one at a time and concurrently."""
    import secrets

    import xllamacpp  # after the OpenMP variables, which the parent set

    from seamline.models.local import default_gguf

    def engine() -> Any:
        p = xllamacpp.CommonParams()
        p.model.path = str(default_gguf())
        p.n_parallel = config["slots"]
        p.n_ctx = 4096 * config["slots"]
        p.cpuparams.n_threads = p.cpuparams_batch.n_threads = config["threads"]
        p.flash_attn_type = xllamacpp.llama_flash_attn_type(
            1 if config.get("flash_attention") else 0
        )
        p.cache_ram_mib = 256
        p.verbosity = -1
        p.api_keys = [secrets.token_urlsafe(16)]
        p.n_threads_http = 1
        p.ui = False
        p.endpoint_slots = False
        return xllamacpp.Server(p)

    engines = [engine() for _ in range(config["engines"])]
    bodies = demo_bodies(requests)
    with ThreadPoolExecutor(config["engines"] * config["slots"]) as pool:  # warm every slot
        list(
            pool.map(
                lambda i: engines[i % len(engines)].handle_chat_completions(bodies[0]),
                range(config["engines"] * config["slots"]),
            )
        )

    def run(in_flight: int) -> float:
        def one(i: int) -> None:
            engines[i % len(engines)].handle_chat_completions(bodies[i])

        started = time.perf_counter()
        with ThreadPoolExecutor(in_flight) as pool:
            list(pool.map(one, range(requests)))
        return requests / (time.perf_counter() - started)

    return {
        mode: run(1 if mode == "single" else concurrency) for mode in config.get("modes", MODES)
    }


def seamline_worker(requests: int, concurrency: int, cache: str) -> dict[str, Any]:
    """seamline's `local` model, as configured for this machine."""
    import asyncio

    os.environ["SEAMLINE_LOCAL_CACHE"] = cache
    from seamline.models import get_model

    work = demo_requests(requests)
    model: Any = get_model("local")

    async def run(in_flight: int) -> float:
        limit = asyncio.Semaphore(in_flight)

        async def one(output_type: Any, request: Any) -> None:
            async with limit:
                await model.generate(output_type, request)

        started = time.perf_counter()
        await asyncio.gather(*(one(t, r) for t, r in work))
        return requests / (time.perf_counter() - started)

    async def main() -> dict[str, Any]:
        # Warm, as in a long run: the engine for lone calls, then every concurrent engine.
        await model.generate(*work[0])
        single = await run(1)
        await asyncio.gather(*(model.generate(*work[0]) for _ in range(model.pool.concurrency)))
        return {
            "plan": model.pool.plan.describe(),
            "single": single,
            "concurrent": await run(concurrency),
        }

    return asyncio.run(main())


def first_call_worker(cache: str, process_started: float) -> dict[str, Any]:
    """One local call in this fresh process: its latency, and the time since the process began."""
    import asyncio

    imported = time.time()
    os.environ["SEAMLINE_LOCAL_CACHE"] = cache
    from seamline.models import get_model

    output_type, request = demo_requests(1)[0]

    async def main() -> dict[str, Any]:
        started = time.perf_counter()
        model: Any = get_model("local")
        reply = await model.generate(output_type, request)
        engine = model.pool.solo or model.pool.engines[0]
        return {
            "call": time.perf_counter() - started,
            "load": engine.load_seconds,
            "since_start": time.time() - process_started,
            "python_start": imported - process_started,
            "cached_tokens": reply.response["usage"]["cache_read_tokens"],
            "ok": reply.ok,
        }

    return asyncio.run(main())


# -- the parent ---------------------------------------------------------------------------------


def raw_configs(cpus: int, quick: bool) -> list[dict[str, Any]]:
    """Engines x threads x slots x waiting that fit the machine, flash attention off, and 0.1
    as shipped (one engine, a thread per CPU up to 4, flash attention on, passive waits).

    --quick: the four that decide (two one-thread engines; one engine of every thread,
    spinning; one one-thread engine batching two slots; 0.1 as shipped).
    """
    most = min(cpus, 4)
    shipped = {"engines": 1, "threads": most, "slots": 1, "wait": "passive"}
    shipped["flash_attention"] = True
    if quick:
        configs = [
            {"engines": max(1, cpus), "threads": 1, "slots": 1, "wait": "passive"},
            {"engines": 1, "threads": most, "slots": 1, "wait": "spin"},
            {"engines": 1, "threads": 1, "slots": 2, "wait": "passive"},
        ]
        return [*(c for c in configs if c != shipped), shipped]
    configs = []
    for threads in sorted({1, 2, most}):
        if threads > cpus:
            continue
        for engines in sorted({1, max(1, cpus // threads)}):
            for slots in (1, 2, 4):
                waits = ["passive"] if threads == 1 else ["passive", "spin", "active"]
                for wait in waits:
                    configs.append(
                        {"engines": engines, "threads": threads, "slots": slots, "wait": wait}
                    )
    return [*configs, shipped]


def omp_env(wait: str) -> dict[str, str]:
    from seamline.models.local_plan import SPIN_COUNT

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if wait == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    elif wait == "active":
        env["OMP_WAIT_POLICY"] = "ACTIVE"
    else:
        env["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    return env


def child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    env = dict(env or os.environ)
    env["SEAMLINE_BENCH_STARTED"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


class Competitor:
    """CPU-bound busy loops in other processes, for as long as the `with` block lasts."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Competitor:
        code = "while True: pass"
        self._procs = [
            subprocess.Popen([sys.executable, "-c", code]) for _ in range(self.processes)
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="requests in flight (the demo: 2)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer raw configurations")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--first-call-only", action="store_true", help="only section 4 (the fresh-process answer)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:  # a child process
        spec = json.loads(args.worker)
        if spec["kind"] == "raw":
            result = raw_worker(spec["config"], spec["requests"], spec["concurrency"])
        elif spec["kind"] == "seamline":
            result = seamline_worker(spec["requests"], spec["concurrency"], spec["cache"])
        else:
            started = float(os.environ["SEAMLINE_BENCH_STARTED"])
            result = first_call_worker(spec["cache"], started)
        print(json.dumps(result))
        return

    from seamline.models.local_plan import usable_cpus

    cpus = usable_cpus()
    load = max(1, cpus // 2)
    n, c = args.requests, args.concurrency
    print(
        f"bench_local: {n} demo requests, {c} in flight, {cpus} CPUs; loaded = {load} "
        f"competing busy loop(s). Load average now: {os.getloadavg()[0]:.1f}"
    )
    figures: dict[str, Any] = {"cpus": cpus, "requests": n, "concurrency": c, "raw": []}
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "cache")

        def measure(label: str, run: Any) -> dict[str, Any]:
            idle = run()
            with Competitor(load):
                loaded = run()
            row = {"label": label, "idle": idle, "loaded": loaded}
            print(
                f"  {label:44} idle {idle['single']:5.3f} / {idle['concurrent']:5.3f} req/s"
                f"   loaded {loaded['single']:5.3f} / {loaded['concurrent']:5.3f} req/s"
            )
            return row

        if not args.first_call_only:
            sections_1_to_3(args, figures, cache, cpus, measure)
        first_call(tmp, args.quick, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def sections_1_to_3(
    args: argparse.Namespace, figures: dict[str, Any], cache: str, cpus: int, measure: Any
) -> None:
    """Raw llama.cpp's floor, seamline's figures, and their ratios."""
    n, c = args.requests, args.concurrency
    print("1. raw llama.cpp (one at a time / concurrent):")
    for config in raw_configs(cpus, args.quick):
        label = "{engines} engine(s) x {threads} thread(s) x {slots} slot(s), {wait}".format(
            **config
        ) + (", flash attn (0.1)" if config.get("flash_attention") else "")
        spec = {"kind": "raw", "config": config, "requests": n, "concurrency": c}
        figures["raw"].append(
            measure(
                label,
                lambda spec=spec, w=config["wait"]: child(
                    ["--worker", json.dumps(spec)], omp_env(w)
                ),
            )
        )
    print("2. seamline `local` (chosen for this machine):")
    spec = {"kind": "seamline", "requests": n, "concurrency": c, "cache": cache}
    ours = measure("seamline local", lambda: child(["--worker", json.dumps(spec)]))
    print(f"   plan: {ours['idle']['plan']}")
    figures["seamline"] = ours

    print("3. ratios to the best raw configuration (goal: concurrent >= 0.80):")
    for condition in ("idle", "loaded"):
        for mode in ("single", "concurrent"):
            best = max(figures["raw"], key=lambda r: r[condition][mode])
            ratio = ours[condition][mode] / best[condition][mode]
            figures[f"ratio_{condition}_{mode}"] = ratio
            print(
                f"   {condition:6} {mode:10} {ours[condition][mode]:5.3f} / "
                f"{best[condition][mode]:5.3f} = {ratio:4.2f}   (best: {best['label']})"
            )


def first_call(tmp: str, quick: bool, figures: dict[str, Any]) -> None:
    """Section 4: the first answer of fresh processes, cold and with the prefix cached."""
    print("4. first local answer in a fresh process (call / since the process started):")
    fresh = str(Path(tmp) / "fresh")
    first: dict[str, list[dict[str, Any]]] = {"cold": [], "cached": []}
    for _ in range(1 if quick else 3):
        for stale in Path(tmp).glob("fresh*"):
            subprocess.run(["rm", "-rf", str(stale)], check=True)
        # The cold process writes the prefix after answering, before it exits.
        first["cold"].append(child(["--worker", json.dumps({"kind": "first", "cache": fresh})]))
        first["cached"].append(child(["--worker", json.dumps({"kind": "first", "cache": fresh})]))
    for label, rows in first.items():
        call = statistics.median(r["call"] for r in rows)
        whole = statistics.median(r["since_start"] for r in rows)
        load = statistics.median(r["load"] for r in rows)
        cached = rows[0]["cached_tokens"]
        goal = "   (goal <= 2 s)" if label == "cached" else ""
        print(
            f"   {label:6}: {call:5.2f} s / {whole:5.2f} s (engine load {load:4.2f} s of it); "
            f"{cached} prompt tokens from the cache{goal}"
        )
    figures["first_call"] = first


if __name__ == "__main__":
    main()
