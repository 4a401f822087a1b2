"""How the embedded model runs on this machine: engines, threads, slots, waiting.

An engine is one llama.cpp server with its own KV cache. Measured on SmolLM2-135M, 2 cores
(`benchmarks/bench_local.py`, and the figures in issue 14):

- **Threads meet at a barrier** after every operation of every layer, about a thousand times
  per token. Woken by the kernel each time (`passive`), a second thread costs about what it
  brings (20 ms/token against 9 spinning); busy-waiting (`active`) makes it pay on an idle
  machine, but when another process wants the cores a thread that is not running holds up the
  one that is, a thousand times a token (44 ms/token against 20 for one thread). `spin`
  busy-waits about as long as a barrier takes while both threads run, then sleeps.
- **Engines share nothing**: two one-thread engines decode two calls in parallel at the speed
  of one thread each, idle or not.
- **Batching calls in one engine** (llama.cpp's slots) saves little here (the model is
  compute-bound: its 90 MB stay in cache) and changes answers: a batch of two is summed by
  other kernels than a call alone, so what a call answers would depend on what else was in
  flight. seamline gives each engine one slot unless told otherwise.

So `plan_engines()` plans, for a machine with N usable CPUs of which other processes keep
`busy` running when the first local call is made (`busy_cpus()`):

- `engines`: min(N, 4) engines for concurrent calls, N // engines threads each, at most 4 (1 if
  the machine is loaded: `busy` >= N / 2);
- a **solo engine** with a thread per CPU (up to 4) for a call that runs alone, as one
  `seamline run` makes, when the machine is idle and that is more threads. While calls
  overlap they go to the concurrent engines only (see `EnginePool`);
- flash attention off: with it on, a multi-threaded engine sums a call's attention in a
  thread-count-dependent order. Off, every engine answers a request the same way.

The concurrency that follows, engines × slots, is how many local calls are in flight at once.
Every choice has a setting in `LocalModelConfig` and an environment variable.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from seamline.models.config import LocalModelConfig

__all__ = [
    "LOADED",
    "MAX_DEFAULT_ENGINES",
    "MAX_DEFAULT_THREADS",
    "SPIN_COUNT",
    "EnginePlan",
    "busy_cpus",
    "plan_engines",
    "usable_cpus",
]

MAX_DEFAULT_THREADS = 4
"""A small model gains little from more threads per engine than this."""
MAX_DEFAULT_ENGINES = 4
"""More engines than this would mostly hold KV caches (~100 MB each) no pipeline fills."""
SPIN_COUNT = 2_000
"""`spin`: busy-wait iterations before sleeping (libgomp's GOMP_SPINCOUNT), about 0.1 ms."""
LOADED = 0.5
"""Other processes keeping at least this share of the CPUs busy make the machine loaded."""

Wait = Literal["passive", "spin", "active"]


@dataclass(frozen=True, slots=True)
class EnginePlan:
    """The engines the local model runs, and how.

    Attributes:
        cpus: The CPUs this process may use, which the plan was made for.
        busy: How many of them other processes kept busy when it was made.
        engines: Engines for concurrent calls, started as calls need them.
        threads: CPU threads per concurrent engine.
        slots: Calls each engine decodes together in one batch.
        solo_threads: Threads of the engine for a call that runs alone; 0: no such engine.
        wait: How waiting threads wait.
        flash_attention: llama.cpp's flash attention.
        batch_size: Prompt tokens evaluated per step.
        context: Context window per slot.
    """

    cpus: int
    busy: float
    engines: int
    threads: int
    slots: int
    solo_threads: int
    wait: Wait
    flash_attention: bool
    batch_size: int
    context: int

    @property
    def concurrency(self) -> int:
        """Calls the engines serve at once."""
        return self.engines * self.slots

    def environment(self) -> dict[str, str]:
        """The OpenMP variables that make ggml's threads wait as planned."""
        if self.wait == "passive":
            return {"OMP_WAIT_POLICY": "PASSIVE"}
        if self.wait == "active":
            return {"OMP_WAIT_POLICY": "ACTIVE"}
        return {"GOMP_SPINCOUNT": str(SPIN_COUNT)}

    def describe(self) -> str:
        """One line for logs and `seamline demo`: what runs, on how many CPUs."""
        text = f"{_count(self.engines, 'engine')} × {_count(self.threads, 'thread')}"
        if self.slots > 1:
            text += f" × {self.slots} slots"
        if self.solo_threads:
            text += f" and a {self.solo_threads}-thread engine for a lone call"
        busy = f", {self.busy:.1f} busy" if self.busy else ""
        return (
            f"{text} ({self.wait} waits) on {_count(self.cpus, 'CPU')}{busy}: "
            f"{self.concurrency} calls at once"
        )


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def plan_engines(
    config: LocalModelConfig, cpus: int | None = None, busy: float | None = None
) -> EnginePlan:
    """The plan for `config` on a machine with `cpus` usable CPUs, `busy` of them kept busy by
    other processes (default: measured now, if a setting depends on it)."""
    cpus = cpus or usable_cpus()
    if busy is None and (config.threads is None or config.solo is None):
        busy = busy_cpus()
    loaded = (busy or 0.0) >= LOADED * cpus
    engines = config.engines or max(1, min(MAX_DEFAULT_ENGINES, cpus))
    threads = config.threads or (1 if loaded else max(1, min(MAX_DEFAULT_THREADS, cpus // engines)))
    most = min(cpus, MAX_DEFAULT_THREADS)
    # With flash attention on, a call's answer would depend on which engine it went to.
    default_solo = not loaded and most > threads and not config.flash_attention
    solo = config.solo if config.solo is not None else default_solo
    solo_threads = max(most, threads) if solo else 0
    auto: Wait = "spin" if max(threads, solo_threads) > 1 else "passive"
    return EnginePlan(
        cpus=cpus,
        busy=busy or 0.0,
        engines=engines,
        threads=threads,
        slots=config.slots or 1,
        solo_threads=solo_threads,
        wait=auto if config.wait == "auto" else config.wait,
        flash_attention=config.flash_attention,
        batch_size=config.batch_size,
        context=config.context,
    )


def busy_cpus(samples: int = 5, interval: float = 0.005) -> float:
    """How many of this process's CPUs other tasks keep busy right now.

    The median, over a few samples, of the tasks the kernel has runnable (the fourth field of
    /proc/loadavg, machine-wide), less the one asking, in proportion to the CPUs this process
    may use. 0 where /proc/loadavg does not exist.
    """
    counts = []
    for n in range(samples):
        try:
            runnable = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        counts.append(max(0, runnable - 1))
        if n + 1 < samples:
            time.sleep(interval)
    share = usable_cpus() / (os.cpu_count() or 1)
    return statistics.median(counts) * min(1.0, share)


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity, bounded by a cgroup CPU quota."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        count = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        count = min(count, max(1, math.floor(quota)))
    return max(1, count)


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs' worth of time a container may use (cgroup v2 `cpu.max`, v1 CFS quota), if limited."""
    try:
        fields = (root / "cpu.max").read_text().split()
        if len(fields) == 2 and fields[0] != "max":
            return int(fields[0]) / int(fields[1])
        return None
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
