"""The SQLite store: the embedded default, one file many processes can share.

`sqlite:///runs.db` is relative to the working directory, `sqlite:////abs/runs.db`
absolute (SQLAlchemy's convention); missing parent directories are created. Query
options: `synchronous=normal|full` (default normal: in WAL mode a power loss can lose
the last commits but never corrupts the file; full fsyncs every append) and
`busy_timeout=SECONDS` (default 30), how long a write waits for other processes.

Calls run on the event loop's thread: an append of a few events costs ~50 µs, a hop
to a worker thread ~150 µs more (benchmarks/bench_store.py). Nothing slow happens
there, though: the connection's busy timeout is zero, and a call that finds the
database locked by another process is retried on a worker thread, which may wait;
SQLite's automatic checkpoint (an fsync, milliseconds) is replaced by one on a worker
thread every few hundred appends; and with `synchronous=full`, whose every commit
waits for an fsync, appends always go to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from seamline.events import Event, RunStatus
from seamline.exceptions import ConfigError, SchemaMismatch, StoreError
from seamline.store import _sql
from seamline.store._sql import Batch, CloseApproval, OpenApproval
from seamline.store.base import PendingApproval, RunSummary
from seamline.store.migrations import SQLITE as MIGRATIONS

T = TypeVar("T")

SCHEMA_VERSION = MIGRATIONS[-1].version
_SQLITE_BUSY = 5
_SQLITE_NOTADB = 26
_SYNCHRONOUS = ("normal", "full")
# Checkpoint every this many appends (each writes a few pages to the WAL): about
# SQLite's default of 1,000 pages for a typical batch.
_CHECKPOINT_EVERY = 250

_INSERT_RUN = """
    INSERT INTO runs (run_id, pipeline, status, created_at, updated_at, error, next_seq)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id) DO NOTHING
    RETURNING id
"""
_ADVANCE_RUN = "UPDATE runs SET next_seq = ? WHERE run_id = ? AND next_seq = ? RETURNING id"
_ADVANCE_RUN_STATUS = """
    UPDATE runs SET next_seq = ?, status = ?, updated_at = ?, error = ?
    WHERE run_id = ? AND next_seq = ?
    RETURNING id
"""
_NEXT_SEQ = "SELECT next_seq FROM runs WHERE run_id = ?"
_INSERT_EVENT = "INSERT INTO events (run, seq, kind, at, payload) VALUES (?, ?, ?, ?, ?)"
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
_LOAD = """
    SELECT seq, kind, at, payload FROM events
    WHERE run = (SELECT id FROM runs WHERE run_id = ?)
    ORDER BY seq
"""
_RUN_COLUMNS = "SELECT run_id, pipeline, status, created_at, updated_at, error FROM runs"
_ORDER = " ORDER BY created_at DESC, id DESC LIMIT ?"
# One constant statement per filter combination: (status given, pipeline given).
_RUNS = {
    (False, False): _RUN_COLUMNS + _ORDER,
    (True, False): _RUN_COLUMNS + " WHERE status = ?" + _ORDER,
    (False, True): _RUN_COLUMNS + " WHERE pipeline = ?" + _ORDER,
    (True, True): _RUN_COLUMNS + " WHERE status = ? AND pipeline = ?" + _ORDER,
}
_PENDING = """
    SELECT a.approval_id, r.run_id, r.pipeline, a.step, a.idx, a.reason, a.requested_at,
           a.timeout_at
    FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.decided_at IS NULL
"""
_PENDING_ALL = _PENDING + " ORDER BY a.requested_at, a.rowid"
_PENDING_RUN = _PENDING + " AND r.run_id = ? ORDER BY a.requested_at, a.rowid"


class SQLiteStore:
    """Run logs in an SQLite file (WAL mode), safe to share between processes."""

    def __init__(
        self, conn: sqlite3.Connection, url: str, *, inline_writes: bool, busy_timeout: float
    ):
        """Use `await SQLiteStore.open(url)`."""
        self.url = url
        self._conn = conn
        self._inline_writes = inline_writes
        self._busy_ms = int(busy_timeout * 1000)
        self._lock = asyncio.Lock()
        self._closed = False
        self._appends = 0

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        synchronous: str | None = None,
        busy_timeout: float | None = None,
    ) -> SQLiteStore:
        """Open (creating and migrating if needed) the store at `sqlite:///path`.

        Raises:
            ConfigError: the URL or an option is malformed.
            SchemaMismatch: the file is not a seamline store, or a newer seamline wrote it.
        """
        path, options = _parse_url(url)
        sync = (synchronous or options.pop("synchronous", "normal")).lower()
        if sync not in _SYNCHRONOUS:
            raise ConfigError(f"{url}: synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        try:
            timeout = float(options.pop("busy_timeout", "30"))
        except ValueError:
            raise ConfigError(f"{url}: busy_timeout must be a number of seconds") from None
        if busy_timeout is not None:
            timeout = busy_timeout
        if options:
            raise ConfigError(
                f"{url}: unknown option {', '.join(options)}; "
                "known: synchronous=normal|full, busy_timeout=SECONDS"
            )
        conn = await asyncio.to_thread(_connect, path, url, sync, timeout)
        return cls(conn, url, inline_writes=sync == "normal", busy_timeout=timeout)

    # -- the protocol ---------------------------------------------------------------

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        if not events:
            return
        batch = _sql.plan(run_id, events)
        self._appends += 1
        if self._appends % _CHECKPOINT_EVERY:
            await self._call(self._append, batch, inline=self._inline_writes)
        else:
            await self._call(self._append_and_checkpoint, batch, inline=False)

    async def load(self, run_id: str) -> list[Event]:
        rows = await self._call(self._fetch, _LOAD, (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.url}")
        return [_sql.decode_row(kind, seq, at, payload) for seq, kind, at, payload in rows]

    async def runs(
        self,
        *,
        status: RunStatus | None = None,
        pipeline: str | None = None,
        limit: int | None = None,
    ) -> list[RunSummary]:
        query = _RUNS[status is not None, pipeline is not None]
        params = [p for p in (status, pipeline) if p is not None]
        rows = await self._call(self._fetch, query, (*params, -1 if limit is None else limit))
        return [
            RunSummary(run_id, pipe, RunStatus(st), created, updated, error)
            for run_id, pipe, st, created, updated, error in rows
        ]

    async def pending_approvals(self, *, run_id: str | None = None) -> list[PendingApproval]:
        if run_id is None:
            rows = await self._call(self._fetch, _PENDING_ALL, ())
        else:
            rows = await self._call(self._fetch, _PENDING_RUN, (run_id,))
        return [PendingApproval(*row) for row in rows]

    async def close(self) -> None:
        if self._closed:
            return
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
                if exc.sqlite_errorcode & 0xFF != _SQLITE_BUSY:  # BUSY or BUSY_*: retry below
                    raise StoreError(f"{self.url}: {exc}") from exc
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
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")

    def _fetch(self, query: str, params: Sequence[Any]) -> list[Any]:
        return self._conn.execute(query, params).fetchall()

    def _append(self, batch: Batch) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock on upgrade
        try:
            run = self._advance(batch)
            conn.executemany(
                _INSERT_EVENT, [(run, r.seq, r.kind, r.at, r.payload) for r in batch.rows]
            )
            for op in batch.approvals:
                if isinstance(op, OpenApproval):
                    self._open_approval(run, batch.run_id, op)
                else:
                    self._close_approval(run, batch.run_id, op)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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

    def _advance(self, batch: Batch) -> int:
        """Create or move the run row forward, checking the seq. Returns the run's key."""
        conn, st = self._conn, batch.status
        if batch.started is not None:
            assert st is not None
            rows = conn.execute(
                _INSERT_RUN,
                (
                    batch.run_id,
                    batch.started.pipeline,
                    st.status,
                    batch.started.at,
                    st.at,
                    st.error,
                    batch.next_seq,
                ),
            ).fetchall()
        elif st is None:
            rows = conn.execute(
                _ADVANCE_RUN, (batch.next_seq, batch.run_id, batch.first_seq)
            ).fetchall()
        else:
            rows = conn.execute(
                _ADVANCE_RUN_STATUS,
                (batch.next_seq, st.status, st.at, st.error, batch.run_id, batch.first_seq),
            ).fetchall()
        if not rows:
            found = conn.execute(_NEXT_SEQ, (batch.run_id,)).fetchall()
            raise _sql.conflict(batch.run_id, batch.first_seq, found[0][0] if found else None)
        run: int = rows[0][0]
        return run

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


# -- opening ----------------------------------------------------------------------


def _parse_url(url: str) -> tuple[Path, dict[str, str]]:
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc or not parts.path.startswith("/"):
        raise ConfigError(
            f"bad SQLite store URL {url!r}: use sqlite:///relative/runs.db "
            "or sqlite:////absolute/runs.db"
        )
    path = parts.path[1:]
    if not path:
        raise ConfigError(f"bad SQLite store URL {url!r}: no file name")
    return Path(path), dict(parse_qsl(parts.query, keep_blank_values=True))


def _connect(path: Path, url: str, synchronous: str, busy_timeout: float) -> sqlite3.Connection:
    if path.exists():
        _check_untouched(path, url)  # refuse before writing a single byte
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        # PRAGMAs take no bound parameters; `synchronous` was checked against _SYNCHRONOUS.
        conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        _migrate(conn, url)
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # see _append_and_checkpoint
        conn.execute("PRAGMA busy_timeout = 0")  # see the module docstring
    except BaseException:
        conn.close()
        raise
    return conn


def _check_untouched(path: Path, url: str) -> None:
    """Refuse a file that is not a seamline store, or is a newer one, without writing."""
    # Without a -wal file, the main file holds everything: read it as immutable, so that
    # no -wal/-shm files are left next to a file that is refused. (The check is repeated
    # inside the migration transaction, which catches what a concurrent writer changed.)
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {url}: {exc}") from exc
    try:
        _check_version(conn, url)
    finally:
        conn.close()


def _check_version(conn: sqlite3.Connection, url: str) -> int:
    """The store's schema version: 0 for an empty database. Raises `SchemaMismatch`."""
    try:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if not tables:
            return 0
        if "seamline_meta" not in tables:
            raise SchemaMismatch(
                f"{url} is an SQLite database but not a seamline store "
                f"(it has tables {', '.join(sorted(tables))}); it was left untouched. "
                "Point the store URL at a new file."
            )
        row = conn.execute(
            "SELECT value FROM seamline_meta WHERE key = 'schema_version'"
        ).fetchone()
    except sqlite3.Error as exc:
        if exc.sqlite_errorcode & 0xFF != _SQLITE_NOTADB:  # locked, unreadable, ...
            raise StoreError(f"cannot read {url}: {exc}") from exc
        raise SchemaMismatch(
            f"{url} is not a seamline store ({exc}); it was left untouched. "
            "Point the store URL at a new file."
        ) from exc
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(_sql.newer_schema(url, version, SCHEMA_VERSION))
    return version


def _migrate(conn: sqlite3.Connection, url: str) -> None:
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; others wait, then see it done
    try:
        version = _check_version(conn, url)
        if version == 0:
            conn.execute("CREATE TABLE seamline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(
                "INSERT OR REPLACE INTO seamline_meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
