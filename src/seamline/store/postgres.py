"""The PostgreSQL store: run logs shared by many workers and machines.

`postgresql://user:password@host:port/dbname?...` (any libpq URL). The tables are
created in the connection's current schema; add `options=-csearch_path%3Dmyschema`
to the URL to keep them apart. Needs the `postgres` extra (psycopg 3 and
psycopg-pool).

An append is one statement, so one round trip, when the batch touches no approval:
the run row's conditional update (which checks the seq and takes the row lock that
serialises writers of the run) and the event inserts are one `WITH ... INSERT`. A
batch that opens or decides an approval runs in a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from seamline.events import Event, RunStatus
from seamline.exceptions import ConfigError, RunBusy, RunCorrupted, SchemaMismatch, StoreError
from seamline.redact import redact_url, register_secret, scrub, url_secrets
from seamline.store import _sql, lease
from seamline.store._sql import Batch, CloseApproval, OpenApproval
from seamline.store.base import Access, ApprovalRecord, PendingApproval, RunSummary
from seamline.store.migrations import POSTGRES as MIGRATIONS
from seamline.store.migrations.postgres import digest_of

try:
    import psycopg
    from psycopg.rows import TupleRow
    from psycopg_pool import AsyncConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ConfigError(
        "the PostgreSQL store needs psycopg: pip install 'seamline[postgres]'"
    ) from exc

SCHEMA_VERSION = MIGRATIONS[-1].version
# A read-only open reads the schema before digests as it is (it cannot migrate).
OLDEST_READABLE = 2
DIGESTS_SINCE = 3
# pg_advisory_xact_lock key for migrations: any constant, the same in every process.
_MIGRATION_LOCK = 0x5EA3_11E0

_Conn = psycopg.AsyncConnection[TupleRow]

# The event rows, joined to the run row `r` the statement's WITH clause produced:
# no row in `r` (a seq conflict) means no event is written.
# Each row's digest is computed by the server, from what it stores (see the migrations).
_INSERT_EVENTS = f"""
    INSERT INTO events (run, seq, kind, at, payload, digest)
    SELECT r.id, e.seq, e.kind, e.at, j.payload, {digest_of("e.seq", "e.at", "e.kind", "j.payload")}
    FROM r, unnest(%s::integer[], %s::text[], %s::double precision[], %s::text[])
        AS e (seq, kind, at, payload),
        LATERAL (SELECT e.payload::jsonb) AS j (payload)
    RETURNING run
"""
_START = (
    """
    WITH r AS (
        INSERT INTO runs (run_id, pipeline, status, created_at, updated_at, error, next_seq, owner)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (run_id) DO NOTHING
        RETURNING id
    )
"""
    + _INSERT_EVENTS
)
_ADVANCE = (
    """
    WITH r AS (
        UPDATE runs SET next_seq = %s WHERE run_id = %s AND next_seq = %s RETURNING id
    )
"""
    + _INSERT_EVENTS
)
_ADVANCE_STATUS = (
    """
    WITH r AS (
        UPDATE runs SET next_seq = %s, status = %s, updated_at = %s, error = %s,
            owner = CASE WHEN %s THEN %s ELSE NULL END
        WHERE run_id = %s AND next_seq = %s
        RETURNING id
    )
"""
    + _INSERT_EVENTS
)
_NEXT_SEQ = "SELECT next_seq FROM runs WHERE run_id = %s"
_OPEN_APPROVALS = """
    INSERT INTO approvals (approval_id, run, step, idx, reason, requested_at, timeout_at)
    SELECT a.approval_id, %s, a.step, a.idx, a.reason, a.requested_at, a.timeout_at
    FROM unnest(
        %s::text[], %s::text[], %s::integer[], %s::text[], %s::double precision[],
        %s::double precision[]
    ) AS a (approval_id, step, idx, reason, requested_at, timeout_at)
    ON CONFLICT (approval_id) DO NOTHING
    RETURNING approval_id
"""
_CLOSE_APPROVAL = """
    UPDATE approvals SET decided_at = %s
    WHERE approval_id = %s AND run = %s AND decided_at IS NULL
"""
_APPROVAL_STATE = """
    SELECT r.run_id, a.decided_at FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.approval_id = %s
"""
# The last column: whether the row still matches its digest (NULL if it has none).
_LOAD = f"""
    SELECT seq, kind, at, payload, digest = {digest_of("seq", "at", "kind", "payload")}
    FROM events
    WHERE run = (SELECT id FROM runs WHERE run_id = %s)
    ORDER BY seq
"""
# A store of schema 2, read without migrating it: its rows have no digests yet.
_LOAD_UNCHECKED = """
    SELECT seq, kind, at, payload, true FROM events
    WHERE run = (SELECT id FROM runs WHERE run_id = %s)
    ORDER BY seq
"""
_RUN_COLUMNS = """
    SELECT r.run_id, r.pipeline, r.status, r.created_at, r.updated_at, r.error,
           p.host, p.pid, p.beat_at
    FROM runs AS r LEFT JOIN processes AS p ON p.token = r.owner
"""
# Paging (`before`: a run id) and `updated_after` are constant clauses whose parameter,
# when None, makes them true; the status and pipeline filters get a statement each, so
# that the status index still serves a status filter.
_PAGE = """
    (%(before)s::text IS NULL OR (r.created_at, r.id) <
        (SELECT created_at, id FROM runs WHERE run_id = %(before)s::text))
    AND (%(updated_after)s::double precision IS NULL OR r.updated_at > %(updated_after)s)
"""
_ORDER = " ORDER BY r.created_at DESC, r.id DESC LIMIT %(limit)s"
# One constant statement per filter combination: (status given, pipeline given).
_RUNS = {
    (False, False): _RUN_COLUMNS + " WHERE " + _PAGE + _ORDER,
    (True, False): _RUN_COLUMNS + " WHERE r.status = %(status)s AND " + _PAGE + _ORDER,
    (False, True): _RUN_COLUMNS + " WHERE r.pipeline = %(pipeline)s AND " + _PAGE + _ORDER,
    (True, True): _RUN_COLUMNS
    + " WHERE r.status = %(status)s AND r.pipeline = %(pipeline)s AND "
    + _PAGE
    + _ORDER,
}
_ONE_RUN = _RUN_COLUMNS + " WHERE r.run_id = %s"
# Every filter is a constant clause that a None parameter makes true. `after` pages by
# (requested_at, id): the order of the partial index of pending approvals. A run's own
# approvals are found through its index instead.
_PENDING_COLUMNS = """
    SELECT a.approval_id, r.run_id, r.pipeline, a.step, a.idx, a.reason, a.requested_at,
           a.timeout_at
    FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.decided_at IS NULL
"""
_PENDING_FILTERS = """
    AND (%(pipeline)s::text IS NULL OR r.pipeline = %(pipeline)s)
    AND (%(step)s::text IS NULL OR a.step = %(step)s)
    AND (%(reason)s::text IS NULL OR a.reason = %(reason)s)
    AND (%(before)s::double precision IS NULL OR a.requested_at < %(before)s)
    AND (%(since)s::double precision IS NULL OR a.requested_at > %(since)s)
    AND (%(after)s::text IS NULL OR (a.requested_at, a.id) >
        (SELECT requested_at, id FROM approvals WHERE approval_id = %(after)s::text))
    ORDER BY a.requested_at, a.id LIMIT %(limit)s
"""
_PENDING_ALL = _PENDING_COLUMNS + _PENDING_FILTERS
_PENDING_RUN = _PENDING_COLUMNS + " AND r.run_id = %(run_id)s" + _PENDING_FILTERS
_OLDEST = "ORDER BY a.requested_at, a.id"
_NEWEST = "ORDER BY a.requested_at DESC, a.id DESC"
_PENDING_NEWEST = {query: query.replace(_OLDEST, _NEWEST) for query in (_PENDING_ALL, _PENDING_RUN)}
_ONE_APPROVAL = """
    SELECT a.approval_id, r.run_id, r.pipeline, a.step, a.idx, a.reason, a.requested_at,
           a.timeout_at, a.decided_at
    FROM approvals AS a JOIN runs AS r ON r.id = a.run
    WHERE a.approval_id = %s
"""
_BEAT = """
    INSERT INTO processes (token, host, pid, beat_at) VALUES (%s, %s, %s, %s)
    ON CONFLICT (token) DO UPDATE SET beat_at = excluded.beat_at
"""
# Two statements, not a join: after waiting for the row lock, a READ COMMITTED statement
# sees the locked row as committed meanwhile but a joined row as it was when the statement
# began, so a join could read a new owner with its heartbeat still missing.
_OWNER = "SELECT id, owner FROM runs WHERE run_id = %s FOR UPDATE"
_PROCESS = "SELECT host, pid, beat_at FROM processes WHERE token = %s"
_TAKE = "UPDATE runs SET owner = %s WHERE id = %s"
_RELEASE = "UPDATE runs SET owner = NULL WHERE run_id = %s AND owner = %s"
_TABLES = """
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_name = ANY(%s)
"""


class PostgresStore:
    """Run logs in PostgreSQL, through a pool of async connections."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        url: str,
        lease_seconds: float = lease.DEFAULT_LEASE_SECONDS,
    ):
        """Use `await PostgresStore.open(url)`."""
        self.url = url
        self._pool = pool
        self._lease = lease_seconds
        self._holds = lease.holds_for(url)
        self._driving: set[str] = set()  # runs started or resumed here, not yet stopped
        self._beat_at = 0.0
        self._beating: asyncio.Task[None] | None = None
        self._closed = False
        self._checksums = True  # False: a schema 2 store, read as it is

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float = 30.0,
        access: Access = "create",
    ) -> PostgresStore:
        """Connect, and create or migrate the tables if needed.

        A server that refuses the connection for good (no such database or role, a
        wrong password, a malformed URL) fails at once; one that cannot be reached yet
        (refused, starting up, too many connections) is retried for `connect_timeout`.

        Args:
            access: "create" and "write" create or migrate the tables; "read" needs a
                seamline store to be there already, changes nothing, and runs every
                statement in a read-only transaction.

        Raises:
            StoreError: the server refused the connection, or cannot be reached within
                `connect_timeout` seconds; with "read", there is no seamline store.
            SchemaMismatch: the tables were written by a newer seamline, or tables of
                the same names exist that are not a seamline store.
        """
        url, lease_for = _lease_option(url)
        shown = redact_url(url)
        for secret in url_secrets(url):
            register_secret(secret)
        probe_error = await _probe(url, shown, connect_timeout)
        pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=connect_timeout,
            open=False,
            kwargs={"autocommit": True},
            configure=_read_only if access == "read" else None,
        )
        try:
            await pool.open(wait=True, timeout=connect_timeout)
            async with pool.connection() as conn:
                if access == "read":
                    version = await _readable_version(conn, shown)
                else:
                    await _migrate(conn, shown)
                    version = SCHEMA_VERSION
        except PoolTimeout as exc:
            await pool.close()
            why = f": {_first_line(probe_error)}" if probe_error else ""
            raise StoreError(f"cannot connect to {shown} within {connect_timeout:g}s{why}") from exc
        except psycopg.Error as exc:
            await pool.close()
            raise StoreError(f"{shown}: {_first_line(str(exc))}") from exc
        except BaseException:
            await pool.close()
            raise
        store = cls(pool, shown, lease_for)
        store._checksums = version >= DIGESTS_SINCE
        return store

    # -- the protocol ---------------------------------------------------------------

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        if not events:
            return
        batch = _sql.plan(run_id, events)
        await self._append(batch)
        if batch.status is not None:  # the run started, resumed or stopped
            if batch.status.status is RunStatus.RUNNING:
                self._driving.add(run_id)
                self._keep_beating()
                if batch.status.at - self._beat_at > self._lease / 3:
                    await self._beat()
            else:
                self._driving.discard(run_id)
                self._holds.drop(run_id)

    async def _append(self, batch: Batch) -> None:
        run_id = batch.run_id
        try:
            async with self._pool.connection() as conn:
                if not batch.approvals:
                    await self._write(conn, batch)
                    return
                async with conn.transaction():
                    run = await self._write(conn, batch)
                    # Runs of consecutive requests go in one statement; decisions one by one.
                    for opening, ops in groupby(
                        batch.approvals, lambda op: type(op) is OpenApproval
                    ):
                        if opening:
                            await self._open_approvals(conn, run, cast(list[OpenApproval], [*ops]))
                        else:
                            for op in cast(Iterator[CloseApproval], ops):
                                await self._close_approval(conn, run, run_id, op)
        except psycopg.errors.UntranslatableCharacter as exc:
            raise StoreError(
                f"run {run_id!r}: PostgreSQL cannot store the NUL character (\\u0000) in "
                "JSONB or text; remove it from the step's artifact or the run's inputs. "
                "Nothing was written."
            ) from exc
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: {exc}") from exc

    async def _open_approvals(self, conn: _Conn, run: int, ops: list[OpenApproval]) -> None:
        columns = (
            [op.approval_id for op in ops],
            [op.step for op in ops],
            [op.index for op in ops],
            [op.reason for op in ops],
            [op.requested_at for op in ops],
            [op.timeout_at for op in ops],
        )
        cur = await conn.execute(_OPEN_APPROVALS, (run, *columns))
        opened = {approval_id for (approval_id,) in await cur.fetchall()}
        for op in ops:
            if op.approval_id not in opened:
                raise _sql.approval_exists(op.approval_id)
            opened.discard(op.approval_id)  # the same id twice in the batch

    async def _close_approval(self, conn: _Conn, run: int, run_id: str, op: CloseApproval) -> None:
        cur = await conn.execute(_CLOSE_APPROVAL, (op.decided_at, op.approval_id, run))
        if cur.rowcount != 1:
            cur = await conn.execute(_APPROVAL_STATE, (op.approval_id,))
            row = await cur.fetchone()
            raise _sql.undecidable(op.approval_id, run_id, (row[0], row[1]) if row else None)

    async def _write(self, conn: _Conn, batch: Batch) -> int:
        """The run row and the events, in one statement. Returns the run's key."""
        rows = batch.rows
        columns = (
            [r.seq for r in rows],
            [r.kind for r in rows],
            [r.at for r in rows],
            [r.payload for r in rows],
        )
        st = batch.status
        if batch.started is not None:
            assert st is not None
            params: tuple[Any, ...] = (
                batch.run_id,
                batch.started.pipeline,
                st.status.value,
                batch.started.at,
                st.at,
                st.error,
                batch.next_seq,
                lease.PROCESS.token,
            )
            query = _START
        elif st is None:
            params = (batch.next_seq, batch.run_id, batch.first_seq)
            query = _ADVANCE
        else:
            params = (
                batch.next_seq,
                st.status.value,
                st.at,
                st.error,
                st.status is RunStatus.RUNNING,
                lease.PROCESS.token,
                batch.run_id,
                batch.first_seq,
            )
            query = _ADVANCE_STATUS
        cur = await conn.execute(query, (*params, *columns))
        inserted = await cur.fetchall()
        if not inserted:
            cur = await conn.execute(_NEXT_SEQ, (batch.run_id,))
            found = await cur.fetchone()
            if batch.started is not None and found is not None:
                raise StoreError(
                    f"run id {batch.run_id!r} is already taken in {self.url}: give the new run "
                    "another id, or resume that run"
                )
            raise _sql.conflict(batch.run_id, batch.first_seq, found[0] if found else None)
        run: int = inserted[0][0]
        return run

    async def load(self, run_id: str) -> list[Event]:
        rows = await self._fetch(_LOAD if self._checksums else _LOAD_UNCHECKED, (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.url}")
        events: list[Event] = []
        for seq, kind, at, payload, intact in rows:
            problem = None
            if intact is not True:
                problem = "its row does not match its digest"
            elif seq != len(events):
                problem = f"its rows skip from seq {len(events) - 1} to {seq}"
            else:
                try:
                    events.append(_sql.decode_row(kind, seq, at, payload))
                except Exception as exc:  # whatever a damaged row decodes into
                    problem = f"its event cannot be decoded ({_sql.describe(exc)})"
            if problem is not None:
                raise RunCorrupted(self.url, run_id, len(events), problem)
        return events

    async def runs(
        self,
        *,
        status: RunStatus | None = None,
        pipeline: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        updated_after: float | None = None,
    ) -> list[RunSummary]:
        # As in SQLite: whether a running run's owner is alive is decided here.
        live = status in (RunStatus.RUNNING, RunStatus.INTERRUPTED)
        stored = RunStatus.RUNNING if live else status
        query = _RUNS[stored is not None, pipeline is not None]
        params = {
            "status": stored.value if stored is not None else None,
            "pipeline": pipeline,
            "before": before,
            "updated_after": updated_after,
            "limit": None if live else limit,
        }
        rows = await self._fetch(query, params)
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

    async def run(self, run_id: str) -> RunSummary | None:
        rows = await self._fetch(_ONE_RUN, (run_id,))
        return self._summary(rows[0], time.time()) if rows else None

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        rows = await self._fetch(_ONE_APPROVAL, (approval_id,))
        return ApprovalRecord(*rows[0]) if rows else None

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
        params = {
            "run_id": run_id,
            "pipeline": pipeline,
            "step": step,
            "reason": reason,
            "before": requested_before,
            "since": requested_after,
            "after": after,
            "limit": limit,
        }
        query = _PENDING_ALL if run_id is None else _PENDING_RUN
        if newest_first:
            query = _PENDING_NEWEST[query]
        rows = await self._fetch(query, params)
        return [PendingApproval(*row) for row in rows]

    async def acquire(self, run_id: str) -> None:
        self._holds.take(run_id)  # RunBusy if another task of this process drives it
        try:
            await self._take(run_id)
        except BaseException:
            self._holds.drop(run_id)
            raise
        self._keep_beating()

    async def _take(self, run_id: str) -> None:
        me = lease.PROCESS
        try:
            async with self._pool.connection() as conn, conn.transaction():
                cur = await conn.execute(_OWNER, (run_id,))
                row = await cur.fetchone()
                if row is None:
                    raise StoreError(f"no run {run_id!r} in {self.url}")
                key, owner = row
                host = pid = beat_at = None
                if owner is not None:
                    cur = await conn.execute(_PROCESS, (owner,))
                    found = await cur.fetchone()
                    if found is not None:
                        host, pid, beat_at = found
                now = time.time()
                if (
                    owner is not None
                    and owner != me.token
                    and lease.alive(host, pid, beat_at, now, self._lease)
                ):
                    raise RunBusy(run_id, lease.describe(owner, host, pid, beat_at, now))
                await conn.execute(_BEAT, (me.token, me.host, me.pid, now))
                await conn.execute(_TAKE, (me.token, key))
                self._beat_at = now
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: {exc}") from exc

    async def release(self, run_id: str) -> None:
        self._holds.drop(run_id)
        self._driving.discard(run_id)
        await self._fetch(_RELEASE, (run_id, lease.PROCESS.token), rows=False)

    async def _beat(self) -> None:
        me = lease.PROCESS
        now = time.time()
        await self._fetch(_BEAT, (me.token, me.host, me.pid, now), rows=False)
        self._beat_at = now

    def _keep_beating(self) -> None:
        """Renew this process's heartbeat every third of the lease while it drives runs."""
        if self._beating is None or self._beating.done():
            self._beating = asyncio.get_running_loop().create_task(self._beat_loop())

    async def _beat_loop(self) -> None:
        while self._driving and not self._closed:
            await asyncio.sleep(self._lease / 3)
            if self._driving and not self._closed:
                with contextlib.suppress(StoreError):  # the next beat tries again
                    await self._beat()

    async def close(self) -> None:
        self._closed = True
        if self._beating is not None:
            self._beating.cancel()
        await self._pool.close()

    async def _fetch(
        self, query: str, params: Sequence[Any] | Mapping[str, Any], *, rows: bool = True
    ) -> list[TupleRow]:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(query, params)
                return await cur.fetchall() if rows else []
        except psycopg.Error as exc:
            raise StoreError(f"{self.url}: {exc}") from exc


async def _version(conn: _Conn, url: str) -> int:
    """The schema version in the current schema: 0 when there are no seamline tables."""
    cur = await conn.execute(
        _TABLES, (["seamline_meta", "runs", "events", "approvals", "processes"],)
    )
    tables = {name for (name,) in await cur.fetchall()}
    if "seamline_meta" not in tables:
        if tables:
            raise SchemaMismatch(
                f"{url} already has tables named {', '.join(sorted(tables))} that are not "
                "a seamline store; they were left untouched. Use another database or "
                "schema (options=-csearch_path%3Dseamline in the URL)."
            )
        return 0
    cur = await conn.execute("SELECT value FROM seamline_meta WHERE key = 'schema_version'")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(_sql.newer_schema(url, version, SCHEMA_VERSION))
    return version


async def _migrate(conn: _Conn, url: str) -> None:
    if await _version(conn, url) == SCHEMA_VERSION:
        return
    async with conn.transaction():
        # Concurrent migrators queue here; each re-reads the version once it has the lock.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        version = await _version(conn, url)
        if version == 0:
            await conn.execute(
                "CREATE TABLE seamline_meta (key text PRIMARY KEY, value text NOT NULL)"
            )
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    await conn.execute(statement)
        if version < SCHEMA_VERSION:
            await conn.execute(
                "INSERT INTO seamline_meta (key, value) VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )


def _lease_option(url: str) -> tuple[str, float]:
    """The URL without seamline's own `lease=` option (libpq would refuse it), and the lease."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    option = next((v for k, v in query if k == "lease"), None)
    rest = urlencode([(k, v) for k, v in query if k != "lease"])
    return urlunsplit(parts._replace(query=rest)), lease.lease_seconds(option)


# Connection errors that trying again will not fix (libpq reports them as text only).
_TRANSIENT = (
    "starting up",
    "shutting down",
    "in recovery",
    "too many",
    "remaining connection slots",
    "connection refused",
    "timeout expired",
    "could not receive",
    "server closed the connection",
)


async def _probe(url: str, shown: str, wait: float) -> str | None:
    """Connect once: a permanent refusal is a `StoreError` at once; a passing one
    (returned, as text) is left to the pool, which retries until its timeout."""
    try:
        conn = await psycopg.AsyncConnection.connect(
            url, connect_timeout=max(1, min(int(wait), 10)), autocommit=True
        )
    except psycopg.ProgrammingError as exc:  # the URL itself is malformed
        raise ConfigError(f"bad PostgreSQL store URL {shown}: {_first_line(str(exc))}") from None
    except psycopg.OperationalError as exc:
        message = _first_line(str(exc))
        if any(word in message.lower() for word in _TRANSIENT):
            return message
        raise StoreError(f"cannot connect to {shown}: {message}{_hint(message)}") from None
    await conn.close()
    return None


def _hint(message: str) -> str:
    lower = message.lower()
    if "database" in lower and "does not exist" in lower:
        return " (create it with createdb, or fix the database name in the store URL)"
    if "role" in lower and "does not exist" in lower:
        return " (fix the user name in the store URL, or create the role)"
    if "password" in lower:
        return " (fix the password in the store URL, or in $PGPASSWORD / ~/.pgpass)"
    return ""


def _first_line(message: str) -> str:
    """psycopg's connection errors span lines; the server's reason is on the first."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return scrub(" ".join(lines[:2]) if lines else message)


async def _read_only(conn: _Conn) -> None:
    await conn.execute("SET default_transaction_read_only = on")


async def _readable_version(conn: _Conn, url: str) -> int:
    version = await _version(conn, url)
    if version == 0:
        raise StoreError(
            f"no seamline store in {url}: the database has no seamline tables. Check "
            "--store (or $SEAMLINE_STORE), and its search_path if the tables live in a schema"
        )
    if version < OLDEST_READABLE:
        raise StoreError(
            f"{url} was written by an older seamline (schema version {version}); a command "
            "that writes (seamline resume, seamline run) upgrades it, then it can be read"
        )
    return version
