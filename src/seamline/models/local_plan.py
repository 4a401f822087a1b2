"""How the embedded model runs on this machine: engines, threads, slots, waiting.

llama.cpp decodes one token of a sequence per step, and on a few cores the step is short
(SmolLM2-135M: 9-20 ms). Three things decide how much of the machine a pipeline gets:

- **threads per engine.** Threads meet at a barrier after every operation of every layer,
  about a thousand times per token. Woken by the kernel each time (`passive`), a second thread
  costs as much as it brings; spinning (`active`) makes it pay off on an idle machine but
  starves everything else when the cores are shared. Bounded spinning (`spin`) spins for
  about as long as a barrier takes when both threads are running, then sleeps.
- **engines.** Each engine is a llama.cpp server with its own KV cache, serving its own calls;
  engines run in parallel without meeting at any barrier, so under a competing process one
  thread per engine loses only the CPU time it was not given.
- **slots.** One engine can decode several calls in one batch (continuous batching): the
  weights are read once per step for all of them.

`plan_engines()` turns the configuration and the CPUs this process may use into an
`EnginePlan`; unset settings default to one thread per engine and one engine per usable CPU
(at most `MAX_DEFAULT_ENGINES`), which `benchmarks/bench_local.py` measured as within a few
percent of the best configuration on an idle 2-core machine and the best under load. The
concurrency that follows, engines × slots, is how many local calls are in flight at once.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from seamline.models.config import LocalModelConfig

__all__ = ["MAX_DEFAULT_ENGINES", "SPIN_COUNT", "EnginePlan", "plan_engines", "usable_cpus"]

MAX_DEFAULT_ENGINES = 4
"""More engines by default than this would mostly hold KV caches no pipeline fills."""
SPIN_COUNT = 20_000
"""`spin`: busy-wait iterations before sleeping (GOMP_SPINCOUNT), about 0.1-1 ms."""

Wait = Literal["passive", "spin", "active"]


@dataclass(frozen=True, slots=True)
class EnginePlan:
    """The engines the local model runs, and how.

    Attributes:
        cpus: The CPUs this process may use, which the plan was made for.
        engines: llama.cpp engines, started as calls need them.
        threads: CPU threads per engine.
        slots: Calls each engine decodes together.
        wait: How waiting threads wait.
        flash_attention: llama.cpp's flash attention.
        batch_size: Prompt tokens evaluated per step.
        context: Context window per slot.
    """

    cpus: int
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
        return (
            f"{engines} × {threads}{slots} ({self.wait} waits) on {self.cpus} CPUs: "
            f"{self.concurrency} calls at once"
        )


def plan_engines(config: LocalModelConfig, cpus: int | None = None) -> EnginePlan:
    """The plan for `config` on a machine with `cpus` usable CPUs (default: this one's)."""
    cpus = cpus or usable_cpus()
    threads = config.threads or 1
    engines = config.engines or max(1, min(MAX_DEFAULT_ENGINES, cpus // threads))
    auto: Wait = "passive" if threads == 1 else "spin"
    wait: Wait = auto if config.wait == "auto" else config.wait
    return EnginePlan(
        cpus=cpus,
        engines=engines,
        threads=threads,
        slots=config.slots or 1,
        wait=wait,
        flash_attention=config.flash_attention,
        batch_size=config.batch_size,
        context=config.context,
    )


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
