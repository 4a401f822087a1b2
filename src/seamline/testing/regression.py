"""Recorded runs as regression tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seamline.exceptions import ReplayDivergence

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.runtime.result import RunResult
    from seamline.store.base import RunStore


async def assert_replays(
    pipe: Pipeline, run_id: str, *, store: str | RunStore, artifacts: bool = True
) -> RunResult:
    """Fail the test unless `run_id` replays offline with the same requests (and, by
    default, the same artifacts) as recorded."""
    from seamline.store import open_store

    opened = await open_store(store)
    try:
        recorded = await opened.load(run_id)
        try:
            replayed = await pipe.replay(run_id, store=opened)
        except ReplayDivergence as e:
            raise AssertionError(f"run {run_id} no longer replays: {e}") from None
    finally:
        if isinstance(store, str):
            await opened.close()
    if artifacts:
        from seamline.events import StepFinished

        def finals(events: list[Any]) -> dict[Any, Any]:
            out = {}
            for e in events:
                if isinstance(e, StepFinished):
                    out[(e.step, e.index)] = (
                        e.artifact
                        if isinstance(e.artifact, dict | list)
                        else e.artifact.model_dump(mode="json")
                    )
            return out

        if finals(recorded) != finals(replayed.events):
            raise AssertionError(f"run {run_id} replays with different artifacts")
    return replayed
