"""SQLite schema, by version.

Events are keyed by the run's integer `id`, not its `run_id` text: the key is
repeated in every event row and the index, and a 32-character id there would
double the size of a typical store.
"""

from __future__ import annotations

from seamline.store._sql import Migration

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
)
