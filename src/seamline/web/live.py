"""What changed in the store, as it happens: for the pages (server-sent events) and webhooks.

Runs are driven by any process that shares the store, so the server cannot wait to be
told: a `Watcher` asks the store every `interval` seconds for approvals requested and
runs whose status changed since it last looked (two indexed queries, whatever the size
of the store), and hands each change to every subscriber and to the webhooks. It starts
from the moment the server starts: what happened before is not news.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from seamline.exceptions import StoreError
from seamline.reliability import measure
from seamline.store.base import RunStore
from seamline.web.trends import LogCache
from seamline.web.webhooks import Webhooks

log = logging.getLogger("seamline.web")
_MARGIN = 2.0  # seconds looked back each time: events from clocks a little behind ours
_BATCH = 500


class Watcher:
    def __init__(
        self,
        store: RunStore,
        *,
        interval: float = 1.0,
        webhooks: Webhooks | None = None,
        cache: LogCache | None = None,
    ) -> None:
        self.store = store
        self.interval = interval
        self.webhooks = webhooks
        self.cache = cache or LogCache()
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._since = time.time()
        self._seen: dict[tuple[Any, ...], float] = {}
        self._primed = False  # the first look only learns what is already there
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Tell every subscriber (a slow one misses messages rather than holding us up)."""
        message = {"event": kind, "data": data}
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)

    async def _loop(self) -> None:
        while True:
            try:
                await self.poll()
            except StoreError as e:  # a busy or unreachable store: the next poll tries again
                log.warning("watching the store: %s", e)
            except Exception:
                log.exception("watching the store")
            await asyncio.sleep(self.interval)

    async def poll(self) -> None:
        """Look once for what changed since the last look."""
        since = self._since - _MARGIN
        newest = self._since
        for a in await self.store.pending_approvals(requested_after=since, limit=_BATCH):
            newest = max(newest, a.requested_at)
            if self._first(("approval", a.approval_id), a.requested_at) and self._primed:
                data = {
                    "approval_id": a.approval_id,
                    "run_id": a.run_id,
                    "pipeline": a.pipeline,
                    "step": a.step,
                    "index": a.index,
                    "reason": a.reason,
                    "requested_at": a.requested_at,
                }
                self.publish("approval", data)
                if self.webhooks is not None:
                    self.webhooks.send("approval_requested", data)
        for r in await self.store.runs(updated_after=since, limit=_BATCH):
            newest = max(newest, r.updated_at)
            if not self._first(("run", r.run_id, r.status.value, r.updated_at), r.updated_at):
                continue
            if not self._primed:
                continue
            data = {
                "run_id": r.run_id,
                "pipeline": r.pipeline,
                "status": r.status.value,
                "updated_at": r.updated_at,
                "error": r.error,
            }
            self.publish("run", data)
            if self.webhooks is not None and r.status.is_final:
                self.webhooks.send("run_finished", data)
                if r.status.value == "failed":
                    self.webhooks.send("run_failed", data)
                if self.webhooks.wants("pass_rate_below"):
                    await self._pass_rate(r.pipeline)
        self._since = newest
        self._primed = True
        for key in [k for k, at in self._seen.items() if at < since - _MARGIN]:
            del self._seen[key]

    def _first(self, key: tuple[Any, ...], at: float) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = at
        return True

    async def _pass_rate(self, pipeline: str) -> None:
        assert self.webhooks is not None
        window = self.webhooks.config.pass_rate_window
        finished = [
            r
            for r in await self.store.runs(pipeline=pipeline, limit=window * 4)
            if r.status.is_final
        ]
        logs = await self.cache.logs(self.store, finished)
        # The last `window` gated runs (newest first), measured alone.
        recent = [events for events in logs.values() if _mode(events) == "on"][:window]
        report = measure(recent).gated if recent else None
        if report is not None:
            e2e = report.end_to_end
            self.webhooks.pass_rate(pipeline, e2e.passed, e2e.tasks)


def _mode(events: list[Any]) -> str:
    options = getattr(events[0], "options", {}) if events else {}
    return str(options.get("gates", "on"))


async def stream(
    queue: asyncio.Queue[dict[str, Any]], stopping: asyncio.Event, *, heartbeat: float = 15.0
) -> AsyncIterator[str]:
    """Server-sent events from a subscriber's queue, with a comment now and then so that
    proxies keep the connection open, until the server stops."""
    stop = asyncio.ensure_future(stopping.wait())
    try:
        while True:
            get = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait(
                {get, stop}, timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
            )
            if get not in done:
                get.cancel()
                if stop in done:
                    return
                yield ": keep-alive\n\n"
                continue
            message = get.result()
            yield f"event: {message['event']}\ndata: {json.dumps(message['data'], default=str)}\n\n"
    finally:
        stop.cancel()


async def run_stream(
    store: RunStore,
    run_id: str,
    stopping: asyncio.Event,
    *,
    interval: float = 0.5,
    heartbeat: float = 15.0,
) -> AsyncIterator[str]:
    """Server-sent events for one run's page: `progress` whenever its log grows or its
    status changes, until the run is final and told so."""
    last: tuple[int, str] | None = None
    quiet = 0.0
    while not stopping.is_set():
        summary = await store.run(run_id)
        events = len(await store.load(run_id)) if summary is not None else 0
        now = (events, summary.status.value if summary is not None else "unknown")
        if now != last:
            last, quiet = now, 0.0
            yield f"event: progress\ndata: {json.dumps({'events': now[0], 'status': now[1]})}\n\n"
            if summary is not None and summary.status.is_final:
                return
        else:
            quiet += interval
            if quiet >= heartbeat:
                quiet = 0.0
                yield ": keep-alive\n\n"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
