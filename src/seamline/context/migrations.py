"""The context store's own schema, numbered, apart from the run store's.

The context tables live in the same database as the runs by default (their names start
with `ctx_`). Their version is the `context_schema_version` key of `seamline_meta`,
the run store's table, which the context store creates by opening the run store first.
Rules as for the run store: a migration is never edited once released.
"""

from __future__ import annotations

from seamline.store._sql import Migration

SQLITE: tuple[Migration, ...] = (
    Migration(
        1,
        "collections, document versions, chunks, FTS5 index",
        (
            """CREATE TABLE ctx_collections (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE,
                embedder TEXT,
                dim INTEGER,
                revision INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL
            )""",
            # One row per revision: when it was committed. A run reads the revision
            # current at its start.
            """CREATE TABLE ctx_revisions (
                collection INTEGER NOT NULL REFERENCES ctx_collections (id),
                revision INTEGER NOT NULL,
                created_at REAL NOT NULL,
                PRIMARY KEY (collection, revision)
            )""",
            # A version is live in revisions [added_rev, removed_rev).
            """CREATE TABLE ctx_versions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                collection INTEGER NOT NULL REFERENCES ctx_collections (id),
                doc_id TEXT NOT NULL,
                version TEXT NOT NULL,
                media_type TEXT NOT NULL,
                title TEXT,
                source TEXT,
                metadata TEXT NOT NULL,
                added_rev INTEGER NOT NULL,
                removed_rev INTEGER,
                added_at REAL NOT NULL
            )""",
            "CREATE INDEX ctx_versions_doc ON ctx_versions (collection, doc_id, added_rev)",
            "CREATE INDEX ctx_versions_rev ON ctx_versions (collection, added_rev)",
            """CREATE TABLE ctx_chunks (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                version INTEGER NOT NULL REFERENCES ctx_versions (id),
                ordinal INTEGER NOT NULL,
                heading TEXT,
                text TEXT NOT NULL,
                vector BLOB
            )""",
            "CREATE INDEX ctx_chunks_version ON ctx_chunks (version)",
            # Contentless (the text is read from ctx_chunks); `coll` holds one token, the
            # collection ("c<id>"), so a search matches within its collection only. It
            # weighs nothing in the ranking.
            """CREATE VIRTUAL TABLE ctx_fts USING fts5(
                text, coll, content='', tokenize='porter unicode61'
            )""",
            "INSERT INTO ctx_fts (ctx_fts, rank) VALUES ('rank', 'bm25(1.0, 0.0)')",
        ),
    ),
)

POSTGRES: tuple[Migration, ...] = (
    Migration(
        1,
        "collections, document versions, chunks, full-text index",
        (
            """CREATE TABLE ctx_collections (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                embedder TEXT,
                dim INTEGER,
                revision BIGINT NOT NULL DEFAULT 0,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE ctx_revisions (
                collection BIGINT NOT NULL REFERENCES ctx_collections (id),
                revision BIGINT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (collection, revision)
            )""",
            """CREATE TABLE ctx_versions (
                id BIGSERIAL PRIMARY KEY,
                collection BIGINT NOT NULL REFERENCES ctx_collections (id),
                doc_id TEXT NOT NULL,
                version TEXT NOT NULL,
                media_type TEXT NOT NULL,
                title TEXT,
                source TEXT,
                metadata JSONB NOT NULL,
                added_rev BIGINT NOT NULL,
                removed_rev BIGINT,
                added_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX ctx_versions_doc ON ctx_versions (collection, doc_id, added_rev)",
            "CREATE INDEX ctx_versions_rev ON ctx_versions (collection, added_rev)",
            # Vectors as float4[]: pgvector, when installed, indexes a copy (see postgres.py).
            """CREATE TABLE ctx_chunks (
                id BIGSERIAL PRIMARY KEY,
                version BIGINT NOT NULL REFERENCES ctx_versions (id),
                ordinal INTEGER NOT NULL,
                heading TEXT,
                text TEXT NOT NULL,
                vector REAL[],
                tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
            )""",
            "CREATE INDEX ctx_chunks_version ON ctx_chunks (version)",
            "CREATE INDEX ctx_chunks_tsv ON ctx_chunks USING GIN (tsv)",
        ),
    ),
)
