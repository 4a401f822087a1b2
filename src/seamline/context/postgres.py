"""The PostgreSQL context store: collections shared by every worker of a team.

Keyword search is PostgreSQL full-text search (`tsvector` with the english
configuration, a GIN index, ranked by `ts_rank_cd`). Vectors are kept as `real[]` and,
by default, scored in each process's memory like SQLite's (exact, loaded once per
revision). When the pgvector extension is installed in the database, a `vector` copy of
each chunk's embedding is written too and nearest neighbours are found in the database
(`<=>`, cosine distance). Both are tested: the fallback on Debian's PostgreSQL, which
has no pgvector package, and pgvector on PGlite with its vector extension
(tests/context/pgvector/), which must rank as the fallback does on the same rows.

A revision is committed under a row lock on its collection, so revisions of one
collection commit in order, and a reader that sees revision r sees all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from seamline.context.migrations import POSTGRES as MIGRATIONS
from seamline.context.records import (
    CollectionInfo,
    CollectionRow,
    NewVersion,
    VersionInfo,
    dump_metadata,
    now,
)
from seamline.context.store import ContextStore
from seamline.exceptions import ConfigError, SchemaMismatch, StoreError

try:
    import psycopg
    from psycopg_pool import AsyncConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ConfigError(
        "the PostgreSQL context store needs psycopg: pip install 'seamline[postgres]'"
    ) from exc

SCHEMA_VERSION = MIGRATIONS[-1].version
_META_KEY = "context_schema_version"
_MIGRATION_LOCK = 0x5EA3_C7E1

_COLLECTION = "SELECT id, name, embedder, dim, revision FROM ctx_collections WHERE name = %s"
_KEYWORD = """
    SELECT c.id, ts_rank_cd(c.tsv, q) AS score
    FROM ctx_chunks AS c JOIN ctx_versions AS v ON v.id = c.version,
         to_tsquery('english', %s) AS q
    WHERE c.tsv @@ q AND v.collection = %s AND v.added_rev <= %s
      AND (v.removed_rev IS NULL OR v.removed_rev > %s) {where}
    ORDER BY score DESC, c.id
    LIMIT %s
"""
_PGVECTOR = """
    SELECT c.id, 1 - (c.embedding <=> %s::vector) AS score
    FROM ctx_chunks AS c JOIN ctx_versions AS v ON v.id = c.version
    WHERE v.collection = %s AND v.added_rev <= %s
      AND (v.removed_rev IS NULL OR v.removed_rev > %s) AND c.embedding IS NOT NULL {where}
    ORDER BY c.embedding <=> %s::vector
    LIMIT %s
"""


class PostgresContextStore(ContextStore):
    """Context collections in PostgreSQL. Open with `open_context("postgresql://...")`."""

    def __init__(self, url: str, pool: AsyncConnectionPool, pgvector: bool, **options: Any):
        super().__init__(**options)
        self.url = url
        self._pool = pool
        self.pgvector = pgvector

    @classmethod
    async def open(cls, url: str, **options: Any) -> PostgresContextStore:
        from seamline.redact import redact_url as _redacted
        from seamline.store import open_store

        runs = await open_store(url)  # creates (or checks) seamline_meta and the run tables
        await runs.close()
        pool = AsyncConnectionPool(
            url, min_size=1, max_size=4, timeout=30, open=False, kwargs={"autocommit": True}
        )
        try:
            await pool.open(wait=True, timeout=30)
            async with pool.connection() as conn:
                pgvector = await _migrate(conn, _redacted(url))
        except PoolTimeout as exc:
            await pool.close()
            raise StoreError(f"cannot connect to {_redacted(url)}") from exc
        except BaseException:
            await pool.close()
            raise
        return cls(_redacted(url), pool, pgvector, **options)

    async def close(self) -> None:
        await self._pool.close()

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def _collection(
        self, name: str, create: tuple[str | None, int | None] | None = None
    ) -> CollectionRow | None:
        found = await self._fetch(_COLLECTION, (name,))
        if not found and create is not None:
            await self._fetch(
                "INSERT INTO ctx_collections (name, embedder, dim, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING id",
                (name, create[0], create[1], now()),
            )
            found = await self._fetch(_COLLECTION, (name,))
        return CollectionRow(*found[0]) if found else None

    async def _live(self, collection: int, doc_ids: Sequence[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        rows = await self._fetch(
            "SELECT doc_id, version FROM ctx_versions WHERE collection = %s "
            "AND removed_rev IS NULL AND doc_id = ANY(%s)",
            (collection, list(doc_ids)),
        )
        return {d: v for d, v in rows}

    async def _reusable(
        self, collection: int, doc_id: str, version: str
    ) -> list[tuple[int, str | None, str, Any]] | None:
        import numpy as np

        rows = await self._fetch(
            "SELECT c.ordinal, c.heading, c.text, c.vector FROM ctx_chunks AS c WHERE c.version = ("
            " SELECT id FROM ctx_versions WHERE collection = %s AND doc_id = %s AND version = %s"
            " ORDER BY id LIMIT 1) ORDER BY c.ordinal",
            (collection, doc_id, version),
        )
        if not rows:
            return None
        return [
            (o, h, t, np.asarray(v, np.float32) if v is not None else None) for o, h, t, v in rows
        ]

    async def _commit(
        self, collection: int, versions: Sequence[NewVersion], removed: Sequence[str]
    ) -> tuple[int, int, int, list[tuple[int, Any]]]:
        try:
            return await self._commit_or_roll_back(collection, versions, removed)
        except _NothingChanged as nothing:
            return nothing.revision, 0, 0, []

    async def _commit_or_roll_back(
        self, collection: int, versions: Sequence[NewVersion], removed: Sequence[str]
    ) -> tuple[int, int, int, list[tuple[int, Any]]]:
        written: list[tuple[int, Any]] = []
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT revision FROM ctx_collections WHERE id = %s FOR UPDATE", (collection,)
            )
            (revision,) = await cur.fetchone() or (0,)
            new = revision + 1
            added = dropped = 0
            for version in versions:
                doc = version.document
                cur = await conn.execute(
                    "SELECT id, version FROM ctx_versions WHERE collection = %s AND doc_id = %s "
                    "AND removed_rev IS NULL",
                    (collection, doc.id),
                )
                current = await cur.fetchone()
                if current is not None and current[1] == doc.version:
                    continue
                if current is not None:
                    await conn.execute(
                        "UPDATE ctx_versions SET removed_rev = %s WHERE id = %s", (new, current[0])
                    )
                written.extend(await self._insert_version(conn, collection, new, version))
                added += 1
            for doc_id in removed:
                cur = await conn.execute(
                    "UPDATE ctx_versions SET removed_rev = %s WHERE collection = %s "
                    "AND doc_id = %s AND removed_rev IS NULL",
                    (new, collection, doc_id),
                )
                dropped += cur.rowcount
            if not added and not dropped:
                raise _NothingChanged(revision)
            await conn.execute(
                "UPDATE ctx_collections SET revision = %s WHERE id = %s", (new, collection)
            )
            await conn.execute(
                "INSERT INTO ctx_revisions (collection, revision, created_at) VALUES (%s, %s, %s)",
                (collection, new, now()),
            )
        return new, added, dropped, written

    async def _insert_version(
        self, conn: Any, collection: int, revision: int, version: NewVersion
    ) -> list[tuple[int, Any]]:
        doc = version.document
        cur = await conn.execute(
            "INSERT INTO ctx_versions (collection, doc_id, version, media_type, title, source, "
            "metadata, added_rev, added_at) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s) "
            "RETURNING id",
            (
                collection,
                doc.id,
                doc.version,
                doc.media_type,
                doc.title,
                doc.source,
                dump_metadata(doc.metadata),
                revision,
                now(),
            ),
        )
        (row_id,) = await cur.fetchone()
        written = []
        for i, chunk in enumerate(version.chunks):
            vector = version.vectors[i] if version.vectors is not None else None
            values = vector.tolist() if vector is not None else None
            if self.pgvector and values is not None:
                cur = await conn.execute(
                    "INSERT INTO ctx_chunks (version, ordinal, heading, text, vector, embedding) "
                    "VALUES (%s, %s, %s, %s, %s, %s::vector) RETURNING id",
                    (row_id, chunk.ordinal, chunk.heading, chunk.text, values, str(values)),
                )
            else:
                cur = await conn.execute(
                    "INSERT INTO ctx_chunks (version, ordinal, heading, text, vector) "
                    "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    (row_id, chunk.ordinal, chunk.heading, chunk.text, values),
                )
            (chunk_id,) = await cur.fetchone()
            written.append((chunk_id, vector))
        return written

    async def _revision_at(self, collection: int, at: float) -> int:
        rows = await self._fetch(
            "SELECT coalesce(max(revision), 0) FROM ctx_revisions "
            "WHERE collection = %s AND created_at <= %s",
            (collection, at),
        )
        return int(rows[0][0])

    async def _keyword(
        self,
        collection: int,
        terms: Sequence[str],
        revision: int,
        where: Mapping[str, list[Any]],
        limit: int,
        live: Any,
    ) -> list[tuple[int, float]]:
        # Words only (\w+), so nothing in the query is tsquery syntax; OR'ed, like FTS5.
        words = [t for t in terms if t.isalnum()]
        if not words:
            return []
        clauses, params = _where_sql(where)
        rows = await self._fetch(
            _KEYWORD.format(where=clauses),
            (" | ".join(words), collection, revision, revision, *params, limit),
        )
        return [(int(cid), float(score)) for cid, score in rows]

    async def _dense_index(
        self, collection: int, vector: Any, revision: int, where: Mapping[str, list[Any]], k: int
    ) -> list[tuple[int, float]] | None:
        if not self.pgvector:
            return None
        clauses, params = _where_sql(where)
        literal = str([float(x) for x in vector])
        rows = await self._fetch(
            _PGVECTOR.format(where=clauses),
            (literal, collection, revision, revision, *params, literal, k),
        )
        return [(int(cid), float(score)) for cid, score in rows]

    async def _chunk_rows(self, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        if not ids:
            return {}
        rows = await self._fetch(
            "SELECT c.id, c.ordinal, c.heading, c.text, v.doc_id, v.version, v.source, v.title, "
            "v.metadata FROM ctx_chunks AS c JOIN ctx_versions AS v ON v.id = c.version "
            "WHERE c.id = ANY(%s)",
            (list(ids),),
        )
        return {row[0]: (*row[1:8], row[8]) for row in rows}

    async def _version_rows(
        self, collection: int
    ) -> list[tuple[int, int, int | None, dict[str, Any]]]:
        rows = await self._fetch(
            "SELECT id, added_rev, removed_rev, metadata FROM ctx_versions "
            "WHERE collection = %s ORDER BY id",
            (collection,),
        )
        return [(i, a, r, m) for i, a, r, m in rows]

    async def _vector_rows(
        self, collection: int, after: int, upto: int
    ) -> list[tuple[int, int, Any]]:
        import numpy as np

        rows = await self._fetch(
            "SELECT c.id, c.version, c.vector FROM ctx_chunks AS c "
            "JOIN ctx_versions AS v ON v.id = c.version "
            "WHERE v.collection = %s AND v.added_rev > %s AND v.added_rev <= %s "
            "AND c.vector IS NOT NULL ORDER BY c.id",
            (collection, after, upto),
        )
        return [(cid, vid, np.asarray(vec, np.float32)) for cid, vid, vec in rows]

    async def collections(self) -> list[CollectionInfo]:
        rows = await self._fetch(
            """
            SELECT c.name, c.revision, c.embedder,
                (SELECT count(*) FROM ctx_versions AS v
                 WHERE v.collection = c.id AND v.removed_rev IS NULL),
                (SELECT count(*) FROM ctx_chunks AS k JOIN ctx_versions AS v ON v.id = k.version
                 WHERE v.collection = c.id AND v.removed_rev IS NULL),
                (SELECT max(created_at) FROM ctx_revisions AS r WHERE r.collection = c.id)
            FROM ctx_collections AS c ORDER BY c.name
            """
        )
        return [
            CollectionInfo(name, docs, chunks, revision, embedder, updated)
            for name, revision, embedder, docs, chunks, updated in rows
        ]

    async def history(self, collection: str, document: str) -> list[VersionInfo]:
        rows = await self._fetch(
            "SELECT v.doc_id, v.version, v.added_rev, v.removed_rev, v.added_at "
            "FROM ctx_versions AS v JOIN ctx_collections AS c ON c.id = v.collection "
            "WHERE c.name = %s AND v.doc_id = %s ORDER BY v.added_rev",
            (collection, document),
        )
        return [VersionInfo(*row) for row in rows]


class _NothingChanged(Exception):
    """Rolls back a commit that found nothing to change."""

    def __init__(self, revision: int) -> None:
        self.revision = revision


def _where_sql(where: Mapping[str, list[Any]]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for key, values in where.items():
        # The key was checked against [A-Za-z_][A-Za-z0-9_]*; values compare as jsonb,
        # which is records.py `matches`: typed (true is not 1, a string not an array).
        clauses.append("AND v.metadata -> %s = ANY(%s::jsonb[])")
        params.append(key)
        params.append([json.dumps(v) for v in values])
    return " ".join(clauses), params


async def _migrate(conn: Any, url: str) -> bool:
    """Create or migrate the context tables; True if pgvector is installed (and used)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cur = await conn.execute("SELECT value FROM seamline_meta WHERE key = %s", (_META_KEY,))
        row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{url}: its context tables are schema {version}, newer than this seamline "
                f"knows ({SCHEMA_VERSION}); upgrade seamline"
            )
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    await conn.execute(statement)
        if version < SCHEMA_VERSION:
            await conn.execute(
                "INSERT INTO seamline_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_META_KEY, str(SCHEMA_VERSION)),
            )
        cur = await conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        pgvector = await cur.fetchone() is not None
        if pgvector:
            await conn.execute("ALTER TABLE ctx_chunks ADD COLUMN IF NOT EXISTS embedding vector")
    return pgvector


__all__ = ["PostgresContextStore", "psycopg"]
