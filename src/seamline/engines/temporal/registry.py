"""The pipelines each worker of this process serves, by task queue.

A workflow finds its pipeline here: Temporal creates workflow objects itself, so nothing
can be handed to them, and the pipeline (with its steps' code) is the worker's, loaded
when it started, never taken from the run's history or its store.
"""

from __future__ import annotations

from collections.abc import Mapping

from seamline.exceptions import ConfigError
from seamline.pipeline import Pipeline

_served: dict[str, dict[str, Pipeline]] = {}


def serve(task_queue: str, pipelines: Mapping[str, Pipeline]) -> None:
    """Serve `pipelines` (by name) on `task_queue`, alongside what it serves already."""
    served = _served.setdefault(task_queue, {})
    for name, pipe in pipelines.items():
        if served.get(name, pipe) is not pipe:
            raise ConfigError(
                f"two different pipelines named {name!r} would serve task queue "
                f"{task_queue!r} in this process; give each its own name or queue"
            )
        served[name] = pipe


def stop_serving(task_queue: str, pipelines: Mapping[str, Pipeline]) -> None:
    served = _served.get(task_queue, {})
    for name in pipelines:
        served.pop(name, None)


def pipeline_for(task_queue: str, name: str) -> Pipeline:
    """The pipeline a workflow on `task_queue` runs.

    Raises:
        ConfigError: this process serves no such pipeline there (the workflow task fails
            and Temporal gives it to another worker, or to this one once it has it).
    """
    pipe = _served.get(task_queue, {}).get(name)
    if pipe is None:  # a replay (`worker.replay`) runs on a queue of Temporal's naming
        found = {id(p): p for served in _served.values() for n, p in served.items() if n == name}
        pipe = next(iter(found.values())) if len(found) == 1 else None
    if pipe is None:
        raise ConfigError(
            f"this worker serves no pipeline {name!r} on task queue {task_queue!r} (it serves "
            f"{sorted(_served.get(task_queue, {}))}); start a worker with it: "
            f"seamline worker path/to/pipeline.py:pipe --temporal URL"
        )
    return pipe
