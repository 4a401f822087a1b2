"""Runs on Temporal: the same pipelines, log, reports and approvals, past one machine.

    pip install "seamline[temporal]"
    seamline dev-server                        # Temporal's own dev server, on loopback
    seamline worker pipeline.py:pipe --temporal temporal://127.0.0.1:7233 --store sqlite:///runs.db
    await pipe.run(inputs, store="sqlite:///runs.db", engine="temporal://127.0.0.1:7233")

The run's workflow (`workflow.py`) drives seamline's own executor: scheduling, gates'
decisions, ladders and budgets are the local engine's code, deterministic given what its
activities returned. Each unit attempt (the step's code, its model and tool calls, its
gate's checks and judges) is an activity (`activities.py`); so is every append to the run
log, which is written as it is locally, so `seamline runs/show/approvals/eval/ui` and the
reports read Temporal runs unchanged. `seamline approve` on a Temporal run signals its
workflow (`client.py`).
"""

from __future__ import annotations

from typing import Any

from seamline.engines.temporal.target import TemporalTarget, parse_target

__all__ = ["TemporalTarget", "parse_target", "run_worker", "start_dev_server", "temporal_worker"]


def __getattr__(name: str) -> Any:
    # The worker needs the SDK (the `temporal` extra); the URL parser above does not.
    if name in ("run_worker", "temporal_worker"):
        from seamline.engines.temporal import worker

        return getattr(worker, name)
    if name == "start_dev_server":
        from seamline.engines.temporal.devserver import start_dev_server

        return start_dev_server
    raise AttributeError(name)
