"""SQLite schema, by version.

Events are keyed by the run's integer `id`, not its `run_id` text: the key is
repeated in every event row and the index, and a 32-character id there would
double the size of a typical store.

Version 2 keeps a row per append batch instead of one per event (`log`), in the
compact encoding of `seamline.store._sql.pack`, deflated with a per-pipeline
dictionary (`dictionaries`): about a quarter of the size. Version 1 `events` rows
become one-event `log` rows with their exact times.

Version 3 keys a `log` row by the seq of its *last* event, so that the next seq of a
run is `max(seq) + 1`, read from the primary key. An append is then one statement
that inserts its row only if that still holds (see `seamline.store.sqlite`), instead
of a transaction that also moved a counter in the `runs` row: one page written per
append instead of two, which halves what the WAL must write and fsync. The counter,
`runs.next_seq`, is dropped.

Version 4 records who drives each run: `runs.owner` is the process driving it (NULL
once it stops: finished, waiting, or released), and `processes` holds each driving
process's host, pid and last heartbeat (see `seamline.store.lease`).

Version 5 gives each `log` row and each dictionary a checksum, `crc`: the CRC-32 of its
bytes as stored (a text row's UTF-8). A row whose bytes no longer match (a flipped bit,
an edit by hand) is reported as damaged, naming the run and its seqs, instead of being
decoded into wrong events.
"""

from __future__ import annotations

import sqlite3
import zlib

from seamline.store._sql import Migration


def _events_to_log(conn: sqlite3.Connection) -> None:
    """Version 1 `events` rows as one-event `log` rows (code 0, the exact time)."""
    rows = conn.execute("SELECT run, seq, kind, at, payload FROM events")
    conn.executemany(
        "INSERT INTO log (run, seq, codec, data) VALUES (?, ?, NULL, ?)",
        (
            (run, seq, f'[[0,{float(at)!r},"{kind}",{payload}]]')
            for run, seq, kind, at, payload in rows
        ),
    )
    conn.execute("DROP TABLE events")


def _checksum_rows(conn: sqlite3.Connection) -> None:
    """Every row's and dictionary's checksum, from its bytes as stored."""
    conn.create_function("seamline_crc32", 1, zlib.crc32, deterministic=True)
    conn.execute("UPDATE log SET crc = seamline_crc32(CAST(data AS BLOB))")
    conn.execute("UPDATE dictionaries SET crc = seamline_crc32(data)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        (
            """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL UNIQUE,
                pipeline TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                error TEXT,
                next_seq INTEGER NOT NULL
            )
            """,
            "CREATE INDEX runs_by_created ON runs (created_at)",
            "CREATE INDEX runs_by_status ON runs (status, created_at)",
            """
            CREATE TABLE events (
                run INTEGER NOT NULL REFERENCES runs (id),
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                at REAL NOT NULL,
                payload TEXT NOT NULL,
                PRIMARY KEY (run, seq)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE approvals (
                approval_id TEXT PRIMARY KEY,
                run INTEGER NOT NULL REFERENCES runs (id),
                step TEXT NOT NULL,
                idx INTEGER,
                reason TEXT NOT NULL,
                requested_at REAL NOT NULL,
                timeout_at REAL,
                decided_at REAL
            )
            """,
            # The rowid, implicitly last in every index, orders ties by insertion.
            "CREATE INDEX approvals_pending ON approvals (requested_at) WHERE decided_at IS NULL",
            "CREATE INDEX approvals_by_run ON approvals (run)",
        ),
    ),
    Migration(
        2,
        "a row per batch, compact and deflated",
        (
            """
            CREATE TABLE log (
                run INTEGER NOT NULL REFERENCES runs (id),
                seq INTEGER NOT NULL,  -- the row's first event; the others follow
                codec INTEGER,  -- NULL: JSON text; 0: deflated; else deflated with dictionary
                data BLOB NOT NULL,
                PRIMARY KEY (run, seq)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE dictionaries (
                id INTEGER PRIMARY KEY,
                pipeline TEXT NOT NULL,
                data BLOB NOT NULL
            )
            """,
        ),
        _events_to_log,
    ),
    Migration(
        3,
        "log rows keyed by their last seq; no seq counter in runs",
        (
            """
            CREATE TABLE log_by_last (
                run INTEGER NOT NULL REFERENCES runs (id),
                seq INTEGER NOT NULL,  -- the row's last event; the others precede it
                codec INTEGER,  -- NULL: JSON text; 0: deflated; else deflated with dictionary
                data BLOB NOT NULL,
                PRIMARY KEY (run, seq)
            ) WITHOUT ROWID
            """,
            # A row ends just before the next one starts; a run's last row, just before
            # the run's next seq.
            """
            INSERT INTO log_by_last (run, seq, codec, data)
            SELECT l.run,
                   coalesce(lead(l.seq) OVER (PARTITION BY l.run ORDER BY l.seq), r.next_seq) - 1,
                   l.codec, l.data
            FROM log AS l JOIN runs AS r ON r.id = l.run
            """,
            "DROP TABLE log",
            "ALTER TABLE log_by_last RENAME TO log",
            "ALTER TABLE runs DROP COLUMN next_seq",
        ),
    ),
    Migration(
        4,
        "runs have an owner with a lease",
        (
            "ALTER TABLE runs ADD COLUMN owner TEXT",
            """
            CREATE TABLE processes (
                token TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                beat_at REAL NOT NULL
            )
            """,
            "CREATE INDEX runs_by_owner ON runs (owner) WHERE owner IS NOT NULL",
        ),
    ),
    Migration(
        5,
        "a checksum per log row and per dictionary",
        (
            "ALTER TABLE log ADD COLUMN crc INTEGER",
            "ALTER TABLE dictionaries ADD COLUMN crc INTEGER",
        ),
        _checksum_rows,
    ),
)
