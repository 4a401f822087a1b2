"""Starting a run on Temporal from `pipe.run(..., engine=...)`: what cannot work there is
refused at once, with the reason, before anything is sent anywhere."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from seamline.engines.temporal.target import parse_target
from seamline.exceptions import ConfigError, PipelineError

if TYPE_CHECKING:
    from seamline.models.base import Model
    from seamline.pipeline import Pipeline
    from seamline.policies import Budget
    from seamline.runtime.plan import Plan
    from seamline.runtime.result import RunResult
    from seamline.store.base import RunStore


def start_run(
    pipe: Pipeline,
    plan: Plan,
    engine: str,
    store: str | RunStore | None,
    inputs: dict[str, Any],
    gates: str,
    run_id: str,
    model: str | Model | None,
    budget: Budget,
    deps: Any,
    raise_on_failure: bool,
    context: Any = None,
) -> Coroutine[Any, Any, RunResult]:
    """The coroutine that starts the run's workflow and waits for it to settle.

    Raises:
        ConfigError: a malformed engine URL, or the `temporal` extra not installed.
        PipelineError: what this run asks for that cannot cross to the workers.
    """
    target = parse_target(engine)
    if store is None or getattr(store, "keeps_nothing", False):
        raise PipelineError(
            f"engine={engine!r} needs store=...: the workers write the run's log to a store "
            "this process reads too (sqlite:///path.db on one machine, postgresql://... "
            "across machines)"
        )
    url = store if isinstance(store, str) else getattr(store, "url", "")
    if url.startswith("memory://"):
        raise PipelineError(
            f"engine={engine!r} with store {url!r}: a memory:// store lives in one process, "
            "and the workers are others; use sqlite:///path.db or postgresql://..."
        )
    if deps is not None:
        raise PipelineError(
            f"engine={engine!r}: deps= cannot travel to the workers (it is an object of this "
            "process); give each worker its own (`run_worker(..., deps=...)`)"
        )
    if context is not None and not isinstance(context, str):
        raise PipelineError(
            f"engine={engine!r}: context={type(context).__name__} is an object of this "
            "process; pass its URL (context='sqlite:///context.db' or 'postgresql://...'), "
            "which each worker opens, or give the workers' pipeline its context store"
        )
    if (
        model is not None
        and not isinstance(model, str)
        and plan.models.get(model.name) is not model
    ):
        raise PipelineError(
            f"engine={engine!r}: model object {model.name!r} is not registered on the "
            "pipeline, so a worker cannot find it; register it (sl.Pipeline(..., "
            f"models={{{model.name!r}: model}})) or pass a model string"
        )
    try:
        from seamline.engines.temporal.client import run_on_temporal
    except ImportError as e:
        raise ConfigError(
            f"engine={engine!r} needs Temporal's SDK ({e}); install it: "
            'pip install "seamline[temporal]"'
        ) from None
    name = model if model is None or isinstance(model, str) else model.name
    return run_on_temporal(
        pipe,
        target.url,
        store,
        run_id,
        inputs,
        pipe._options(plan, gates, model, budget),
        {"gates": gates, "budget": budget.as_dict(), "model": name, "context": context},
        raise_on_failure,
    )
