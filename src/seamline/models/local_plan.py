"""How the embedded model runs on this machine: engines, threads, slots, waiting.

llama.cpp decodes one token of every sequence in a batch per step; on a few cores a step of
SmolLM2-135M takes 9-20 ms. What decides how much of the machine a pipeline gets:

- **threads per engine.** An engine's threads meet at a barrier after every operation of every
  layer, about a thousand times per token. Woken by the kernel each time (`passive`), a second
  thread costs about what it brings; busy-waiting (`active`) makes it pay on an idle machine,
  but when another process wants the cores, a thread that is not running holds up the one that
  is, a thousand times a token. `spin` busy-waits for about as long as a barrier takes while
  both threads run (~0.1 ms), then sleeps.
- **slots.** An engine decodes its slots' calls together, one batch per step, reading the
  weights once for all of them: two calls cost little more than one.
- **engines.** Each engine is a llama.cpp server with its own KV cache; engines run in parallel
  without meeting at any barrier.

SmolLM2 on a CPU is compute-bound (its 90 MB of weights stay in cache): a batch of two costs
about what two calls cost apart, so batching pays for barriers, not for compute. On an idle
machine one engine with a thread per CPU (up to `MAX_DEFAULT_THREADS`), bounded spinning and
two slots is fastest, for one call and for several; with other processes competing for the
CPUs, one one-thread engine per CPU is (`benchmarks/bench_local.py` measures both).
`plan_engines()` makes that choice when the first engine starts, from the tasks other processes
keep runnable at that moment (`busy_cpus()`); set `threads` (`SEAMLINE_LOCAL_THREADS`) to fix it.
Flash attention is off, so an answer does not depend on the thread count or on which calls were
batched together (see `LocalModelConfig.flash_attention`).

The concurrency that follows, engines × slots, is how many local calls are in flight at once.
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
    "DEFAULT_SLOTS",
    "MAX_DEFAULT_ENGINES",
    "MAX_DEFAULT_THREADS",
    "SPIN_COUNT",
    "EnginePlan",
    "busy_cpus",
    "plan_engines",
    "usable_cpus",
]

MAX_DEFAULT_THREADS = 4
"""A small model gains little from more threads per engine than this; more CPUs get engines."""
MAX_DEFAULT_ENGINES = 4
"""More engines than this would mostly hold KV caches (~100 MB a slot) no pipeline fills."""
DEFAULT_SLOTS = 2
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
        engines: llama.cpp engines, started as calls need them.
        threads: CPU threads per engine.
        slots: Calls each engine decodes together.
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
        engines = "1 engine" if self.engines == 1 else f"{self.engines} engines"
        threads = "1 thread" if self.threads == 1 else f"{self.threads} threads"
        slots = "" if self.slots == 1 else f" × {self.slots} slots"
        busy = f", {self.busy:.1f} busy" if self.busy else ""
        return (
            f"{engines} × {threads}{slots} ({self.wait} waits) on {self.cpus} CPUs{busy}: "
            f"{self.concurrency} calls at once"
        )


def plan_engines(
    config: LocalModelConfig, cpus: int | None = None, busy: float | None = None
) -> EnginePlan:
    """The plan for `config` on a machine with `cpus` usable CPUs, `busy` of them kept busy by
    other processes (default: measured now)."""
    cpus = cpus or usable_cpus()
    if config.threads is not None:
        threads = config.threads
    else:
        busy = busy_cpus() if busy is None else busy
        threads = 1 if busy >= LOADED * cpus else min(cpus, MAX_DEFAULT_THREADS)
    engines = config.engines or max(1, min(MAX_DEFAULT_ENGINES, cpus // threads))
    # Batching amortizes the barriers of several threads; a one-thread engine has none, and
    # its calls compute about as much together as apart: engines give it concurrency.
    slots = config.slots or (1 if threads == 1 else DEFAULT_SLOTS)
    auto: Wait = "passive" if threads == 1 else "spin"
    wait: Wait = auto if config.wait == "auto" else config.wait
    return EnginePlan(
        cpus=cpus,
        busy=busy or 0.0,
        engines=engines,
        threads=threads,
        slots=slots,
        wait=wait,
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
