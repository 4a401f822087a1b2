"""The SQLite store: the embedded default, one file many processes can share.

`sqlite:///runs.db` is relative to the working directory, `sqlite:////abs/runs.db`
absolute (SQLAlchemy's convention). Opened to run pipelines, a missing file and its
missing parent directories are created; opened to resume or decide, the file must
exist; opened to read, it must exist and is opened read-only (see
`seamline.store.sqlite_file`). Query options: `synchronous=normal|full` (default normal: in WAL mode a power loss can lose
the last commits but never corrupts the file; full fsyncs every append) and
`busy_timeout=SECONDS` (default 30), how long a write waits for other processes, and
`lease=SECONDS` (default 30, or $SEAMLINE_LEASE_SECONDS), how long a run's owner may go
without a heartbeat before its run counts as interrupted (see `seamline.store.lease`).

Calls run on the event loop's thread: an append of a few events costs ~35 µs, a hop
to a worker thread ~150 µs more (benchmarks/bench_store.py). Nothing slow happens
there, though: the connection's busy timeout is zero, and a call that finds the
database locked by another process is retried on a worker thread, which may wait;
SQLite's automatic checkpoint (an fsync, milliseconds) is replaced by one on a worker
thread every thousand appends. With `synchronous=full` every commit waits for an
fsync: where the disk does that in a few milliseconds, appends stay on the loop too
(a hop would cost more than the fsync); when the median of the recent commits took
longer than `_SLOW_COMMIT`, appends go to a worker thread until they are fast again,
so a slow disk never holds the loop. The median, not the mean: on a shared disk one
fsync in ten takes ten times the others, and a mean would send appends off the loop
for every such outlier.

An append is one row in `log`, its events in the compact encoding of `_sql.pack`
(times kept to the millisecond), deflated when that makes it smaller, keyed by the
seq of its last event. Most appends (a step's attempt) are a single INSERT that
writes the row only if the run's log ends just before it, so a writer that fell
behind another process writes nothing and gets a conflict; an append that also
changes the run's status or an approval is a transaction. The first run of a
pipeline to finish (not failed or cancelled; waiting for an approval counts) gives its
rows to that pipeline's deflate dictionary: a row in `dictionaries`, never changed
once written, which the rows deflated with it name. The later runs of the pipeline
then store little more than what differs from that first one.

Each row and each dictionary carries a checksum of its bytes (`crc`, schema 5): a row
that fails it, or that does not decode, is a `RunCorrupted` naming the run and the
row's seqs; the store's other runs and its listings stay readable.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import sqlite3
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from seamline.events import Event, RunFinished, RunStatus
from seamline.exceptions import RunBusy, RunCorrupted, StoreError
from seamline.store import _sql, lease
from seamline.store._sql import Batch, CloseApproval, OpenApproval
from seamline.store.base import Access, ApprovalRecord, PendingApproval, RunSummary
from seamline.store.sqlite_file import (
    CHECKSUMS_SINCE,
    SCHEMA_VERSION,
    connect,
    error_code,
    parse_url,
)

T = TypeVar("T")

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

_SQLITE_BUSY = 5
# Checkpoint every this many appends. An append writes two or three 1 KB pages to the
# WAL, so it stays under ~4 MB. A checkpoint's cost is mostly its two fsyncs, whatever
# it copies: every 250 appends cost 6 µs per append, every 1,000 3 µs (1 KB pages;
# with 4 KB pages, 9 and 6).
_CHECKPOINT_EVERY = 1000
# Deflate: a 4 KB window keeps a compressor's state small (copying a primed one costs
# a few µs; the default 32 KB one, ~100). Rows are read with the largest window.
_WBITS = 12
_DICTIONARY_SIZE = (1 << _WBITS) - 262  # the most of a dictionary deflate can refer to
_KNOWN_RUNS = 10_000  # runs remembered at most (see _run)
_PLAIN_UP_TO = 128  # without a dictionary, a row this short is not worth deflating
# A run that stopped like this may have stopped early: no dictionary from it.
_NOT_TYPICAL = (RunStatus.FAILED, RunStatus.CANCELLED)
# synchronous=full: appends whose commits (an fsync each) take longer than this on average
# leave the event loop for a worker thread. A hop costs ~0.15-1.5 ms itself.
_SLOW_COMMIT = 0.005
_RECENT_COMMITS = 9  # commits whose median decides

_INSERT_RUN = """
    INSERT INTO runs (run_id, pipeline, status, created_at, updated_at, error, owner)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id) DO NOTHING
    RETURNING id
"""
_RUN = "SELECT id, pipeline, created_at FROM runs WHERE run_id = ?"
# A run that stops being driven (finished, or waiting for a person) has no owner.
_SET_STATUS = """
    UPDATE runs SET status = ?, updated_at = ?, error = ?,
        owner = CASE WHEN ?4 THEN ?5 ELSE NULL END
    WHERE id = ?6
"""
_BEAT = """
    INSERT INTO processes (token, host, pid, beat_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (token) DO UPDATE SET beat_at = excluded.beat_at
"""
_OWNER = """
    SELECT r.id, r.owner, p.host, p.pid, p.beat_at
    FROM runs AS r LEFT JOIN processes AS p ON p.token = r.owner
    WHERE r.run_id = ?
"""
_TAKE = "UPDATE runs SET owner = ? WHERE id = ?"
_RELEASE = "UPDATE runs SET owner = NULL WHERE run_id = ? AND owner = ?"
# A row is keyed by its last event's seq (schema 3), so the run's next seq is
# max(seq) + 1: the row goes in only if its first event is that one (?5 = first - 1).
_INSERT_ROW = """
    INSERT INTO log (run, seq, codec, data, crc)
    SELECT ?1, ?2, ?3, ?4, ?6 WHERE (SELECT coalesce(max(seq), -1) FROM log WHERE run = ?1) = ?5
"""
_NEXT_SEQ = "SELECT coalesce(max(seq), -1) + 1 FROM log WHERE run = ?"
_RUN_ROWS = "SELECT codec, data FROM log WHERE run = ? ORDER BY seq"
_DICTIONARY_FOR = """
    SELECT id, data, crc FROM dictionaries WHERE pipeline = ? ORDER BY id DESC LIMIT 1
"""
_DICTIONARY = "SELECT data, crc FROM dictionaries WHERE id = ?"
_DICTIONARY_UNCHECKED = "SELECT data, NULL FROM dictionaries WHERE id = ?"  # schema 4
_INSERT_DICTIONARY = "INSERT INTO dictionaries (pipeline, data, crc) VALUES (?, ?, ?) RETURNING id"
_OPEN_APPROVAL = """
    INSERT INTO approvals (approval_id, run, step, idx, reason, requested_at, timeout_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (approval_id) DO NOTHING
"""
_CLOSE_APPROVAL = """
    UPDATE approvals SET decided_at = ?
    WHERE approval_id = ? AND run = ? AND decided_at IS NULL
"""
_APPROVAL_STATE = """
    SELECT r.run_id, a.decided_at FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.approval_id = ?
"""
# As bytes, whatever the row's type: a damaged text row need not be valid UTF-8.
_LOAD = """
    SELECT r.created_at, l.seq, l.codec, CAST(l.data AS BLOB), l.crc
    FROM runs AS r JOIN log AS l ON l.run = r.id
    WHERE r.run_id = ?
    ORDER BY l.seq
"""
# A store of schema 4, read without migrating it: its rows have no checksums yet.
_LOAD_UNCHECKED = _LOAD.replace("l.crc", "NULL")
_RUN_COLUMNS = """
    SELECT r.run_id, r.pipeline, r.status, r.created_at, r.updated_at, r.error,
           p.host, p.pid, p.beat_at
    FROM runs AS r LEFT JOIN processes AS p ON p.token = r.owner
"""
# Paging (`before`: a run id) and `updated_after` are constant clauses whose parameter,
# when None, makes them true; the status and pipeline filters get a statement each, so
# that the status index still serves a status filter.
_PAGE = """
    (?1 IS NULL OR (r.created_at, r.id) < (SELECT created_at, id FROM runs WHERE run_id = ?1))
    AND (?2 IS NULL OR r.updated_at > ?2)
"""
_ORDER = " ORDER BY r.created_at DESC, r.id DESC LIMIT ?3"
# One constant statement per filter combination: (status given, pipeline given).
_RUNS = {
    (False, False): _RUN_COLUMNS + " WHERE " + _PAGE + _ORDER,
    (True, False): _RUN_COLUMNS + " WHERE r.status = ?4 AND " + _PAGE + _ORDER,
    (False, True): _RUN_COLUMNS + " WHERE r.pipeline = ?5 AND " + _PAGE + _ORDER,
    (True, True): _RUN_COLUMNS + " WHERE r.status = ?4 AND r.pipeline = ?5 AND " + _PAGE + _ORDER,
}
_ONE_RUN = _RUN_COLUMNS + " WHERE r.run_id = ?"
_APPROVAL_COLUMNS = """
    SELECT a.approval_id, r.run_id, r.pipeline, a.step, a.idx, a.reason, a.requested_at,
           a.timeout_at
    FROM approvals AS a JOIN runs AS r ON r.id = a.run
"""
# Every filter is a constant clause that a None parameter makes true. `after` pages by
# (requested_at, rowid): the order of the partial index of pending approvals. A run's
# own approvals (?1) are found through its index instead.
_PENDING_FILTERS = """
    AND (?2 IS NULL OR r.pipeline = ?2)
    AND (?3 IS NULL OR a.step = ?3)
    AND (?4 IS NULL OR a.reason = ?4)
    AND (?5 IS NULL OR a.requested_at < ?5)
    AND (?6 IS NULL OR a.requested_at > ?6)
    AND (?7 IS NULL OR (a.requested_at, a.rowid) >
        (SELECT requested_at, rowid FROM approvals WHERE approval_id = ?7))
    ORDER BY a.requested_at, a.rowid LIMIT ?8
"""
_PENDING_ALL = _APPROVAL_COLUMNS + " WHERE a.decided_at IS NULL AND ?1 IS NULL" + _PENDING_FILTERS
_PENDING_RUN = (
    _APPROVAL_COLUMNS + " WHERE a.decided_at IS NULL AND r.run_id = ?1" + _PENDING_FILTERS
)
_OLDEST = "ORDER BY a.requested_at, a.rowid"
_NEWEST = "ORDER BY a.requested_at DESC, a.rowid DESC"
_PENDING_NEWEST = {query: query.replace(_OLDEST, _NEWEST) for query in (_PENDING_ALL, _PENDING_RUN)}
_ONE_APPROVAL = """
    SELECT a.approval_id, r.run_id, r.pipeline, a.step, a.idx, a.reason, a.requested_at,
           a.timeout_at, a.decided_at
    FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.approval_id = ?
"""


class SQLiteStore:
    """Run logs in an SQLite file (WAL mode), safe to share between processes."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        url: str,
        *,
        inline_writes: bool,
        busy_timeout: float,
        lease_seconds: float = lease.DEFAULT_LEASE_SECONDS,
        identity: str = "",
    ):
        """Use `await SQLiteStore.open(url)`."""
        self.url = url
        self._conn = conn
        self._lease = lease_seconds
        # The runs this process drives through this file, shared by its store objects.
        self._holds = lease.holds_for(identity or url)
        self._driving: set[str] = set()  # runs started or resumed here, not yet stopped
        self._beat_at = 0.0  # when this store object last renewed this process's heartbeat
        self._beating: asyncio.Task[None] | None = None
        self._inline_writes = inline_writes
        # synchronous=full: how long the latest appends' commits took, in seconds.
        self._recent_commits: collections.deque[float] = collections.deque(maxlen=_RECENT_COMMITS)
        self._busy_ms = int(busy_timeout * 1000)
        self._lock = asyncio.Lock()
        self._closed = False
        self._appends = 0
        # Per running run: its key, pipeline and start (ms); dropped when it stops.
        self._known: dict[str, tuple[int, str, int]] = {}
        # Per pipeline: its dictionary's id and a compressor primed with it, or None
        # (none yet: looked for again when a run of it starts). Dictionaries by id.
        self._compressors: dict[str, tuple[int, Any] | None] = {}
        self._dictionaries: dict[int, bytes] = {}
        # Dictionaries whose bytes fail their checksum, and why: rows deflated with one
        # cannot be read.
        self._damaged: dict[int, str] = {}
        self._read_only = False
        self._checksums = True  # False: a schema 4 store, read as it is

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        synchronous: str | None = None,
        busy_timeout: float | None = None,
        access: Access = "create",
    ) -> SQLiteStore:
        """Open the store at `sqlite:///path`.

        Args:
            access: "create" makes the file if needed and migrates it; "write" needs the
                file to exist, and migrates it; "read" needs it to exist and writes nothing.

        Raises:
            ConfigError: the URL or an option is malformed.
            StoreError: the file does not exist (unless `access="create"`), or cannot
                be opened as `access` needs; the message says what to change.
            SchemaMismatch: the file is not a seamline store, or a newer seamline wrote it.
        """
        options = parse_url(url)
        if synchronous is not None:
            options = dataclasses.replace(options, synchronous=synchronous.lower())
        if busy_timeout is not None:
            options = dataclasses.replace(options, busy_timeout=busy_timeout)
        conn, version = await asyncio.to_thread(connect, options, url, access)
        store = cls(
            conn,
            url,
            inline_writes=options.synchronous == "normal",
            busy_timeout=options.busy_timeout,
            lease_seconds=options.lease_seconds,
            identity=str(options.path.resolve()),
        )
        store._read_only = access == "read"
        store._checksums = version >= CHECKSUMS_SINCE
        return store

    # -- the protocol ---------------------------------------------------------------

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        if not events:
            return
        batch = _sql.plan(run_id, events, rows=False)
        self._appends += 1
        if self._appends % _CHECKPOINT_EVERY:
            if self._inline_writes:
                await self._call(self._append, batch)
            else:  # synchronous=full
                await self._call(self._timed_append, batch, inline=not self._commits_are_slow())
        else:
            await self._call(self._append_and_checkpoint, batch, inline=False)
        if batch.status is not None:  # the run started, resumed or stopped
            if batch.status.status is RunStatus.RUNNING:
                self._driving.add(run_id)
                self._keep_beating()
            else:
                self._driving.discard(run_id)
                self._holds.drop(run_id)

    async def run(self, run_id: str) -> RunSummary | None:
        rows = await self._call(self._fetch, _ONE_RUN, (run_id,))
        return self._summary(rows[0], time.time()) if rows else None

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        rows = await self._call(self._fetch, _ONE_APPROVAL, (approval_id,))
        return ApprovalRecord(*rows[0]) if rows else None

    async def acquire(self, run_id: str) -> None:
        self._holds.take(run_id)  # RunBusy if another task of this process drives it
        try:
            await self._call(self._take, run_id, time.time())
        except BaseException:
            self._holds.drop(run_id)
            raise
        self._keep_beating()

    async def release(self, run_id: str) -> None:
        self._holds.drop(run_id)
        self._driving.discard(run_id)
        await self._call(self._execute, _RELEASE, (run_id, lease.PROCESS.token))

    async def load(self, run_id: str) -> list[Event]:
        rows = await self._call(self._fetch_log, run_id)
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.url}")
        base = _sql.to_ms(rows[0][0])
        events: list[Event] = []
        for _, last_seq, codec, data, crc in rows:
            first = len(events)
            problem = self._damage(codec, data, crc)
            if problem is None:
                try:
                    events += _sql.unpack(self._inflate(codec, data), first, base)
                except Exception as exc:  # whatever damaged bytes decode into
                    problem = f"its events cannot be decoded ({_sql.describe(exc)})"
            if problem is None and (len(events) == first or events[-1].seq != last_seq):
                problem = (
                    f"its row is keyed by seq {last_seq} but holds events up to seq "
                    f"{len(events) - 1}"
                )
            if problem is not None:
                raise RunCorrupted(self.url, run_id, (first, max(first, last_seq)), problem)
        return events

    def _damage(self, codec: int | None, data: bytes, crc: int | None) -> str | None:
        """Why a row cannot be read (its checksum, its dictionary), or None."""
        if self._checksums and (crc is None or zlib.crc32(data) != crc):
            return "its stored bytes fail their checksum"
        if codec:
            if codec in self._damaged:
                return self._damaged[codec]
            if codec not in self._dictionaries:
                return f"the deflate dictionary {codec} it was written with is missing"
        return None

    async def runs(
        self,
        *,
        status: RunStatus | None = None,
        pipeline: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        updated_after: float | None = None,
    ) -> list[RunSummary]:
        # Whether a running run's owner is alive is decided here, not in SQL (a dead pid
        # on this host counts at once): running and interrupted are both read as running.
        live = status in (RunStatus.RUNNING, RunStatus.INTERRUPTED)
        stored = RunStatus.RUNNING if live else status
        query = _RUNS[stored is not None, pipeline is not None]
        sql_limit = -1 if limit is None or live else limit
        params: list[Any] = [before, updated_after, sql_limit]
        if stored is not None:
            params.append(stored.value)
        if pipeline is not None:
            params += [None] * (4 - len(params)) + [pipeline]
        rows = await self._call(self._fetch, query, params)
        now = time.time()
        found = [self._summary(row, now) for row in rows]
        if live:
            found = [s for s in found if s.status is status][:limit]
        return found

    def _summary(self, row: Sequence[Any], now: float) -> RunSummary:
        run_id, pipe, st, created, updated, error, host, pid, beat_at = row
        status = RunStatus(st)
        if status is RunStatus.RUNNING and not (
            run_id in self._driving or lease.alive(host, pid, beat_at, now, self._lease)
        ):
            status = RunStatus.INTERRUPTED
        return RunSummary(run_id, pipe, status, created, updated, error)

    async def pending_approvals(
        self,
        *,
        run_id: str | None = None,
        limit: int | None = None,
        pipeline: str | None = None,
        step: str | None = None,
        reason: str | None = None,
        requested_before: float | None = None,
        requested_after: float | None = None,
        after: str | None = None,
        newest_first: bool = False,
    ) -> list[PendingApproval]:
        params = (
            run_id,
            pipeline,
            step,
            reason,
            requested_before,
            requested_after,
            after,
            -1 if limit is None else limit,
        )
        query = _PENDING_ALL if run_id is None else _PENDING_RUN
        if newest_first:
            query = _PENDING_NEWEST[query]
        rows = await self._call(self._fetch, query, params)
        return [PendingApproval(*row) for row in rows]

    async def close(self) -> None:
        if self._closed:
            return
        if self._beating is not None:
            self._beating.cancel()
        async with self._lock:
            self._closed = True
            # The last connection to close checkpoints and removes the WAL: off the loop.
            await asyncio.to_thread(self._conn.close)

    # -- running calls ---------------------------------------------------------------

    async def _call(self, fn: Callable[..., T], *args: Any, inline: bool = True) -> T:
        """Run `fn(*args)` on the connection: here if it is free, else on a worker thread."""
        if self._closed:
            raise StoreError(f"{self.url} is closed")
        if inline and not self._lock.locked():
            # Nothing else uses the connection, and nothing can until this returns.
            try:
                return fn(*args)
            except sqlite3.Error as exc:
                if error_code(exc) != _SQLITE_BUSY:  # BUSY or BUSY_*: retry below
                    raise StoreError(f"{self.url}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise StoreError(_damaged(self.url)) from exc
        await self._lock.acquire()
        try:
            if self._closed:
                raise StoreError(f"{self.url} is closed")
            loop = asyncio.get_running_loop()
            done = loop.run_in_executor(None, functools.partial(self._waiting, fn, *args))
        except BaseException:
            self._lock.release()
            raise
        # The thread owns the connection until it returns, even if our caller is
        # cancelled meanwhile: only then is the lock released.
        done.add_done_callback(self._release)
        return await asyncio.shield(done)

    def _release(self, done: asyncio.Future[Any]) -> None:
        if not done.cancelled():
            done.exception()  # retrieved here: a cancelled caller will never look
        self._lock.release()

    def _waiting(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on a worker thread, waiting up to the busy timeout for locks."""
        # PRAGMAs take no bound parameters; the value is an int of ours.
        self._conn.execute(f"PRAGMA busy_timeout = {self._busy_ms:d}")
        try:
            return fn(*args)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.url}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise StoreError(_damaged(self.url)) from exc
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")

    def _fetch(self, query: str, params: Sequence[Any]) -> list[Any]:
        return self._conn.execute(query, params).fetchall()

    def _execute(self, query: str, params: Sequence[Any]) -> None:
        self._conn.execute(query, params)

    # -- leases ----------------------------------------------------------------------

    def _take(self, run_id: str, now: float) -> None:
        """Make this process the run's owner, unless a live one holds it."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(_OWNER, (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id!r} in {self.url}")
            key, owner, host, pid, beat_at = row
            me = lease.PROCESS.token
            if (
                owner is not None
                and owner != me
                and lease.alive(host, pid, beat_at, now, self._lease)
            ):
                raise RunBusy(run_id, lease.describe(owner, host, pid, beat_at, now))
            self._beat_in(conn, now)
            conn.execute(_TAKE, (me, key))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _beat_in(self, conn: sqlite3.Connection, now: float) -> None:
        process = lease.PROCESS
        conn.execute(_BEAT, (process.token, process.host, process.pid, now))
        self._beat_at = now

    def _keep_beating(self) -> None:
        """Renew this process's heartbeat every third of the lease while it drives runs."""
        if self._beating is None or self._beating.done():
            self._beating = asyncio.get_running_loop().create_task(self._beat_loop())

    async def _beat_loop(self) -> None:
        while self._driving and not self._closed:
            await asyncio.sleep(self._lease / 3)
            if self._driving and not self._closed:
                with contextlib.suppress(
                    StoreError
                ):  # a busy or failing store: the next beat tries again
                    await self._call(self._beat_now)

    def _beat_now(self) -> None:
        self._beat_in(self._conn, time.time())

    def _fetch_log(self, run_id: str) -> list[Any]:
        """The run's rows, having fetched the dictionaries they need that we lack."""
        query = _LOAD if self._checksums else _LOAD_UNCHECKED
        rows = self._conn.execute(query, (run_id,)).fetchall()
        for _, _, codec, _, _ in rows:
            if codec and codec not in self._dictionaries and codec not in self._damaged:
                dictionary = _DICTIONARY if self._checksums else _DICTIONARY_UNCHECKED
                found = self._conn.execute(dictionary, (codec,)).fetchone()
                if found is not None:
                    self._dictionary(codec, *found)
        return rows

    def _dictionary(self, dictionary_id: int, data: bytes, crc: int | None) -> bytes | None:
        """Keep a dictionary read from the store, if its checksum holds."""
        if self._checksums and (
            not isinstance(data, bytes) or crc is None or zlib.crc32(data) != crc
        ):
            self._damaged[dictionary_id] = (
                f"the deflate dictionary {dictionary_id} it was written with fails its checksum"
            )
            return None
        self._dictionaries[dictionary_id] = data
        return data

    def _append(self, batch: Batch) -> None:
        if batch.started is None and batch.status is None and not batch.approvals:
            # Most appends (a step's attempt): one statement, its own transaction.
            self._insert_row(*self._run(batch), batch)
            return
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock on upgrade
        try:
            self._append_in_transaction(batch)
            made = None
            last = batch.events[-1]
            if isinstance(last, RunFinished):
                run, pipeline, _ = self._known.pop(batch.run_id)
                if last.status not in _NOT_TYPICAL and self._compressors.get(pipeline) is None:
                    made = self._make_dictionary(run, pipeline)
            conn.execute("COMMIT")
            if made is not None:  # only once committed: rows may name it from now on
                self._compressors[pipeline] = self._primed(*made, checked=True)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # A run row created in this transaction is gone with it, and its key may
            # go to another run: forget it.
            self._known.pop(batch.run_id, None)
            raise

    def _timed_append(self, batch: Batch) -> None:
        """An append that remembers how long its commit took."""
        started = time.perf_counter()
        try:
            self._append(batch)
        finally:
            self._recent_commits.append(time.perf_counter() - started)

    def _commits_are_slow(self) -> bool:
        recent = self._recent_commits
        return bool(recent) and sorted(recent)[len(recent) // 2] > _SLOW_COMMIT

    def _append_in_transaction(self, batch: Batch) -> None:
        """The run row's changes, the log row and the approvals' rows of a batch."""
        conn, st = self._conn, batch.status
        if batch.started is not None:
            assert st is not None
            started = batch.started
            me = lease.PROCESS.token
            created = conn.execute(
                _INSERT_RUN,
                (batch.run_id, started.pipeline, st.status, started.at, st.at, st.error, me),
            ).fetchone()
            if created is None:
                raise StoreError(
                    f"run id {batch.run_id!r} is already taken in {self.url}: give the new run "
                    "another id, or resume that run"
                )
            if st.at - self._beat_at > self._lease / 3:
                self._beat_in(conn, st.at)
            known = self._remember(batch.run_id, created[0], started.pipeline, started.at)
        else:
            known = self._run(batch)
            if st is not None:
                running = st.status is RunStatus.RUNNING
                me = lease.PROCESS.token
                conn.execute(_SET_STATUS, (st.status, st.at, st.error, running, me, known[0]))
                if running and st.at - self._beat_at > self._lease / 3:
                    self._beat_in(conn, st.at)
        self._insert_row(*known, batch)
        for op in batch.approvals:
            if isinstance(op, OpenApproval):
                self._open_approval(known[0], batch.run_id, op)
            else:
                self._close_approval(known[0], batch.run_id, op)

    def _insert_row(self, run: int, pipeline: str, created_ms: int, batch: Batch) -> None:
        codec, data, crc = self._deflate(batch, pipeline, _sql.pack(batch.events, created_ms))
        cursor = self._conn.execute(
            _INSERT_ROW, (run, batch.next_seq - 1, codec, data, batch.first_seq - 1, crc)
        )
        if cursor.rowcount != 1:
            raise self._conflict(batch)

    def _run(self, batch: Batch) -> tuple[int, str, int]:
        """The run's key, pipeline and start (ms), remembered while it runs (they never
        change)."""
        known = self._known.get(batch.run_id)
        if known is None:
            row = self._conn.execute(_RUN, (batch.run_id,)).fetchone()
            if row is None:
                raise _sql.conflict(batch.run_id, batch.first_seq, None)
            known = self._remember(batch.run_id, *row)
        return known

    def _remember(
        self, run_id: str, run: int, pipeline: str, created_at: float
    ) -> tuple[int, str, int]:
        if len(self._known) >= _KNOWN_RUNS:  # runs that stopped without a RunFinished here
            self._known.clear()
        known = self._known[run_id] = (run, pipeline, _sql.to_ms(created_at))
        return known

    def _conflict(self, batch: Batch) -> StoreError:
        """Why a batch did not fit its run's log (the statements that found it wrote nothing)."""
        self._known.pop(batch.run_id, None)
        row = self._conn.execute(_RUN, (batch.run_id,)).fetchone()
        if row is None:
            return _sql.conflict(batch.run_id, batch.first_seq, None)
        (next_seq,) = self._conn.execute(_NEXT_SEQ, (row[0],)).fetchone()
        return _sql.conflict(batch.run_id, batch.first_seq, next_seq)

    def _append_and_checkpoint(self, batch: Batch) -> None:
        """Append, then copy the WAL back into the database (on a worker thread).

        SQLite's automatic checkpoint is off on this connection: it would run inside
        an append on the event loop, writing and fsyncing megabytes (stalls of up to
        ~30 ms measured). Every `_CHECKPOINT_EVERY`-th append does it here instead,
        the way SQLite would, only off the loop. PASSIVE: it never waits for others.
        """
        self._append(batch)
        with contextlib.suppress(sqlite3.Error):  # the append is committed: never fail it
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # -- compression -----------------------------------------------------------------

    def _deflate(
        self, batch: Batch, pipeline: str, text: bytes
    ) -> tuple[int | None, str | bytes, int]:
        """(codec, data, checksum) for a row: NULL and the JSON text, 0 and it deflated,
        or the id of the pipeline's dictionary and it deflated with that."""
        # None yet: look again when a run starts (another process may have made one).
        if (batch.started is not None or pipeline not in self._compressors) and (
            self._compressors.get(pipeline) is None
        ):
            found = self._conn.execute(_DICTIONARY_FOR, (pipeline,)).fetchone()
            self._compressors[pipeline] = None if found is None else self._primed(*found)
        primed = self._compressors[pipeline]
        if primed is not None:
            codec, compressor = primed
            deflate = compressor.copy()
            data = deflate.compress(text) + deflate.flush()
            return codec, data, zlib.crc32(data)
        if len(text) > _PLAIN_UP_TO:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = deflate.compress(text) + deflate.flush()
            if len(data) < len(text):
                return 0, data, zlib.crc32(data)
        return None, text.decode(), zlib.crc32(text)

    def _primed(
        self,
        dictionary_id: int,
        dictionary: bytes,
        crc: int | None = None,
        *,
        checked: bool = False,
    ) -> tuple[int, Any] | None:
        """A compressor primed with a dictionary; None if the stored one is damaged."""
        if not checked and self._dictionary(dictionary_id, dictionary, crc) is None:
            return None
        self._dictionaries[dictionary_id] = dictionary
        compressor = zlib.compressobj(9, zlib.DEFLATED, -_WBITS, 2, zdict=dictionary)
        return dictionary_id, compressor

    def _inflate(self, codec: int | None, data: str | bytes) -> str | bytes:
        if codec is None:
            return data
        if not isinstance(data, bytes):
            raise ValueError("a deflated row holds text")
        if codec == 0:
            return zlib.decompress(data, -15)
        inflate = zlib.decompressobj(-15, zdict=self._dictionaries[codec])
        return inflate.decompress(data) + inflate.flush()

    def _make_dictionary(self, run: int, pipeline: str) -> tuple[int, bytes] | None:
        """Write the pipeline's dictionary, made of this run's rows, if it has none yet."""
        if self._conn.execute(_DICTIONARY_FOR, (pipeline,)).fetchone() is not None:
            return None  # another process made one: picked up when a run starts
        rows = self._conn.execute(_RUN_ROWS, (run,)).fetchall()
        try:
            texts = [self._inflate(codec, data) for codec, data in rows]
        except (zlib.error, KeyError, ValueError):  # a damaged row: no dictionary from it
            return None
        joined = b"".join(t.encode() if isinstance(t, str) else t for t in texts)
        # Deflate refers back at most a window: keep the end, where the last steps are.
        dictionary = joined[-_DICTIONARY_SIZE:]
        (dictionary_id,) = self._conn.execute(
            _INSERT_DICTIONARY, (pipeline, dictionary, zlib.crc32(dictionary))
        ).fetchone()
        return dictionary_id, dictionary

    def _open_approval(self, run: int, run_id: str, op: OpenApproval) -> None:
        cur = self._conn.execute(
            _OPEN_APPROVAL,
            (op.approval_id, run, op.step, op.index, op.reason, op.requested_at, op.timeout_at),
        )
        if cur.rowcount != 1:
            raise _sql.approval_exists(op.approval_id)

    def _close_approval(self, run: int, run_id: str, op: CloseApproval) -> None:
        cur = self._conn.execute(_CLOSE_APPROVAL, (op.decided_at, op.approval_id, run))
        if cur.rowcount != 1:
            found = self._conn.execute(_APPROVAL_STATE, (op.approval_id,)).fetchall()
            raise _sql.undecidable(op.approval_id, run_id, found[0] if found else None)


def _damaged(url: str) -> str:
    # Python's sqlite3 decodes SQLite's own error messages, and TEXT cells, as UTF-8: a
    # damaged file can yield neither.
    return (
        f"{url} is damaged: SQLite read bytes that are not text where text belongs. Restore "
        "the file from a backup, or check it with `sqlite3 FILE 'PRAGMA integrity_check'`"
    )
