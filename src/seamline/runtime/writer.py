"""The log writer: how one run's events reach its state, its store and its hooks.

Every event a run writes is applied to the run's state (`runtime/state.py`) as it is
recorded, and reaches the store with the next flush, in order, in one batch. A flush
that fails keeps its events: nothing recorded is dropped, the store's error is raised
as itself, and the run is left for another driver to resume (`broken`).

The executor's hottest lines write notes of step attempts straight into the buffer
(`runtime/log.py`) and make the matching state changes inline; everything else goes
through `record`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from seamline.runtime.log import as_events
from seamline.runtime.shape import RunShape
from seamline.runtime.state import Coerce, RunState, apply
from seamline.store import open_store

if TYPE_CHECKING:
    from seamline.events import Event
    from seamline.store.base import RunStore

# Called with (run_id, event) for every event once it is in the store (or, for a run
# that keeps no store, once it is written); may be async.
EventHook = Callable[[str, "Event"], Any]

_logger = logging.getLogger("seamline")


class LogWriter(RunState):
    """One run's log: the run's state (which it extends, so that a run in flight is one
    object for the garbage collector, not two), the events not yet flushed, and where
    they go."""

    __slots__ = (
        "_buffer",
        "_delivered",
        "_flushes",
        "_hooks",
        "_lock",
        "_persist",
        "_store_url",
        "broken",
        "log",
        "store",
    )
    store: RunStore

    def __init__(
        self,
        run_id: str,
        store: RunStore | str,
        hooks: Sequence[EventHook],
        *,
        coerce: Coerce | None = None,
        shape: RunShape | None = None,
        concurrent: bool = True,
    ) -> None:
        """`concurrent`: whether two of the run's flushes can be in flight at once."""
        super().__init__(run_id, coerce, shape)
        self._lock: asyncio.Lock | None = asyncio.Lock() if concurrent else None
        # The log so far, and what is yet to reach the store: events, and notes of
        # step attempts (runtime/log.py).
        self.log: list[Any] = []
        self._buffer: list[Any] = []  # one list for the whole run: callers may hold it
        self._hooks = hooks
        self._delivered = 0  # events of `log` handed to the hooks, for a run without a store
        self.broken: BaseException | None = None  # the store error that stopped the run
        # A URL is opened by `open()`, in the run's own event loop.
        self._store_url = store if isinstance(store, str) else None
        if not isinstance(store, str):
            self._use_store(store)

    def _use_store(self, store: RunStore) -> None:
        self.store = store
        # A store that keeps nothing (the default, private log) is never called: the
        # events go straight into the log the result returns.
        self._persist = not getattr(store, "keeps_nothing", False)
        if not self._persist:
            self.log[:0] = self._buffer
            self._buffer = self.log
        self._flushes = self._persist or bool(self._hooks)
        if getattr(store, "append_never_yields", False):
            self._lock = None

    async def open(self) -> None:
        """Open the store given as a URL (once, in the run's event loop)."""
        if self._store_url is not None:
            self._use_store(await open_store(self._store_url))

    async def close(self) -> None:
        """Close the store this writer opened itself."""
        if self._store_url is not None:
            await self.store.close()

    @property
    def opened_with(self) -> str | None:
        """The URL this run's store was opened from, if it was given as one (in full: a
        PostgreSQL store's own `url` hides the password). Never print it."""
        return self._store_url

    @property
    def state(self) -> RunState:
        """The run's state: this writer is it (see `runtime/state.py`)."""
        return self

    def next_seq(self) -> int:
        """The seq of the next event this run writes."""
        seq = self.seq
        self.seq = seq + 1
        return seq

    def record(self, event: Event) -> None:
        """Add an event to the log and to the run's state; it reaches the store with the
        next flush."""
        self._buffer.append(event)
        apply(self, event)

    def adopt(self, events: list[Event]) -> None:
        """Continue a run whose log already holds `events` (their state is folded)."""
        self.log[:0] = events
        self._delivered = len(events)

    def allow_concurrent_flushes(self) -> None:
        """From now on, flushes may overlap: an agent's approved tool call flushes while
        the turn's other calls record (a run planned without concurrency has no lock).
        Call it before the first such flush, when none is in flight."""
        if self._lock is None and not getattr(self.store, "append_never_yields", False):
            self._lock = asyncio.Lock()

    async def flush(self) -> None:
        """Write what was recorded since the last flush to the store, as one batch."""
        buffer = self._buffer
        if not self._persist:
            if self._hooks and len(self.log) > self._delivered:
                await self._deliver(as_events(self.log)[self._delivered :])
                self._delivered = len(self.log)
            return
        if not buffer:
            return
        if self._lock is None:  # no other flush can be in flight: none can overtake this one
            events = as_events(buffer)
            await self._append(events)
            self.log.extend(events)
            if self._hooks:
                events = events[:]  # the buffer is cleared next
            buffer.clear()
        else:
            # An append that suspends could let a later batch of the run overtake an
            # earlier one; events recorded meanwhile stay in the buffer for the next flush.
            async with self._lock:
                n = len(buffer)
                if not n:
                    return
                events = as_events(buffer[:n])
                await self._append(events)
                self.log.extend(events)
                del buffer[:n]
        if self._hooks:
            await self._deliver(events)

    async def _append(self, events: list[Event]) -> None:
        if self.broken is not None:
            raise self.broken
        try:
            await self.store.append(self.run_id, events)
        except BaseException as e:
            if not isinstance(e, asyncio.CancelledError):
                self.broken = e  # nothing more is written: the error is the run's end
            raise

    async def _deliver(self, events: Sequence[Event]) -> None:
        for hook in self._hooks:
            for event in events:
                try:
                    done = hook(self.run_id, event)
                    if inspect.isawaitable(done):
                        await done
                except Exception:  # an observer must never break the run it observes
                    _logger.exception("seamline: an on_event hook failed on %r", event)

    async def release(self) -> None:
        """Give up the run's lease after a store error left it unfinished: another
        driver may resume it at once."""
        release = getattr(self.store, "release", None)
        if release is None:
            return
        try:
            await release(self.run_id)
        except Exception:
            _logger.warning("seamline: could not release run %s", self.run_id, exc_info=True)
