"""Reliability over time: the end-to-end pass rate per day, shadow and gated, per pipeline.

Each bucket of finished runs is measured with `seamline.reliability.measure`, the same
definitions as `seamline eval`: a gated task passes when its run succeeded, a shadow task
when its run succeeded and every unit's last verdict passed (what the ungated pipeline
would have shipped). Runs in a store carry no expected results, so these rates are
against the gates, not against correct answers: the eval reports (`seamline eval
--expected`) are where correctness is measured, and the page says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from seamline.events import Event
from seamline.reliability import measure
from seamline.reliability.report import ReliabilityReport
from seamline.store.base import RunStore, RunSummary
from seamline.web.charts import Point

MODE_NAMES = {"shadow": "shadow (gates watch)", "on": "gated", "off": "gates off"}
_EVAL_ID = re.compile(r"^eval-(?P<name>.+)-\d{5}-(?P<mode>on|shadow|off)$")


class LogCache:
    """Logs of finished runs, which never change again, kept for the pages that measure."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._logs: OrderedDict[str, list[Event]] = OrderedDict()

    async def logs(self, store: RunStore, runs: Sequence[RunSummary]) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {}
        for run in runs:
            events = self._logs.get(run.run_id)
            if events is None:
                events = await store.load(run.run_id)
                if run.status.is_final:
                    self._logs[run.run_id] = events
                    if len(self._logs) > self._size:
                        self._logs.popitem(last=False)
            else:
                self._logs.move_to_end(run.run_id)
            out[run.run_id] = events
        return out


@dataclass(slots=True)
class PipelineTrend:
    pipeline: str
    runs: int
    series: dict[str, list[Point]]  # mode label -> points by day
    report: ReliabilityReport  # every run measured together: the per-seam numbers


@dataclass(slots=True)
class EvalGroup:
    name: str
    runs: int
    modes: list[str]


async def trends(
    store: RunStore, cache: LogCache, *, pipeline: str | None = None, limit: int = 2000
) -> list[PipelineTrend]:
    """Per pipeline, the last `limit` finished runs (eval runs left out) by day."""
    summaries = [
        r
        for r in await store.runs(pipeline=pipeline, limit=limit * 2)
        if r.status.is_final and not _EVAL_ID.match(r.run_id)
    ][:limit]
    logs = await cache.logs(store, summaries)
    by_pipeline: dict[str, list[RunSummary]] = {}
    for r in summaries:
        by_pipeline.setdefault(r.pipeline, []).append(r)
    out = []
    for name, runs in sorted(by_pipeline.items()):
        by_day: dict[str, list[list[Event]]] = {}
        for r in runs:
            day = dt.datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d")
            by_day.setdefault(day, []).append(logs[r.run_id])
        series: dict[str, list[Point]] = {}
        for day, day_logs in sorted(by_day.items()):
            for mode in measure(day_logs).modes:
                e2e = mode.end_to_end
                series.setdefault(MODE_NAMES.get(mode.mode, mode.mode), []).append(
                    Point(day, e2e.pass_rate, e2e.interval, e2e.tasks)
                )
        out.append(PipelineTrend(name, len(runs), series, measure([logs[r.run_id] for r in runs])))
    return out


async def eval_groups(store: RunStore, limit: int = 20_000) -> list[EvalGroup]:
    """The evals whose runs are in the store (`seamline eval --store ...`), by name."""
    groups: dict[str, EvalGroup] = {}
    for r in await store.runs(limit=limit):
        found = _EVAL_ID.match(r.run_id)
        if found is None:
            continue
        group = groups.setdefault(found["name"], EvalGroup(found["name"], 0, []))
        group.runs += 1
        if found["mode"] not in group.modes:
            group.modes.append(found["mode"])
    return sorted(groups.values(), key=lambda g: g.name)


async def eval_report(
    store: RunStore, cache: LogCache, name: str, limit: int = 20_000
) -> ReliabilityReport | None:
    runs = [
        r
        for r in await store.runs(limit=limit)
        if (m := _EVAL_ID.match(r.run_id)) is not None and m["name"] == name
    ]
    if not runs:
        return None
    logs = await cache.logs(store, runs)
    return measure([logs[r.run_id] for r in reversed(runs)])
