"""PostgreSQL schema, by version. The same tables as SQLite, with JSONB payloads.

Version 2 records who drives each run (`runs.owner`, `processes`), as SQLite's version 4.

Version 3 gives each event row a digest, `events.digest`: the first 8 bytes of the SHA-256
of its seq, time, kind and payload (`digest_of`), computed by the server when the row is
written and again when it is read. A row that no longer matches its digest (a damaged
page, an edit by hand) is reported as damaged, naming the run and the seq.
"""

from __future__ import annotations

from seamline.store._sql import Migration


def digest_of(seq: str, at: str, kind: str, payload: str) -> str:
    """The SQL expression of an event row's digest, over the given column expressions.

    Binary forms (`int4send`, `float8send`) and jsonb's canonical text keep it the same
    whatever the session's settings (`extra_float_digits` changes the text of a float).
    Never change it: every stored row is checked with it.
    """
    return (
        f"substr(sha256(int4send({seq}) || float8send({at}) || "
        f"convert_to({kind} || ' ' || ({payload})::text, 'UTF8')), 1, 8)"
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        (
            """
            CREATE TABLE runs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id text NOT NULL UNIQUE,
                pipeline text NOT NULL,
                status text NOT NULL,
                created_at double precision NOT NULL,
                updated_at double precision NOT NULL,
                error text,
                next_seq integer NOT NULL
            )
            """,
            "CREATE INDEX runs_by_created ON runs (created_at)",
            "CREATE INDEX runs_by_status ON runs (status, created_at)",
            """
            CREATE TABLE events (
                run bigint NOT NULL REFERENCES runs (id),
                seq integer NOT NULL,
                kind text NOT NULL,
                at double precision NOT NULL,
                payload jsonb NOT NULL,
                PRIMARY KEY (run, seq)
            )
            """,
            """
            CREATE TABLE approvals (
                id bigint GENERATED ALWAYS AS IDENTITY,  -- insertion order, for ties
                approval_id text PRIMARY KEY,
                run bigint NOT NULL REFERENCES runs (id),
                step text NOT NULL,
                idx integer,
                reason text NOT NULL,
                requested_at double precision NOT NULL,
                timeout_at double precision,
                decided_at double precision
            )
            """,
            "CREATE INDEX approvals_pending ON approvals (requested_at, id) WHERE decided_at IS NULL",
            "CREATE INDEX approvals_by_run ON approvals (run)",
        ),
    ),
    Migration(
        2,
        "runs have an owner with a lease",
        (
            "ALTER TABLE runs ADD COLUMN owner text",
            """
            CREATE TABLE processes (
                token text PRIMARY KEY,
                host text NOT NULL,
                pid integer NOT NULL,
                beat_at double precision NOT NULL
            )
            """,
            "CREATE INDEX runs_by_owner ON runs (owner) WHERE owner IS NOT NULL",
        ),
    ),
    Migration(
        3,
        "a digest per event row",
        (
            "ALTER TABLE events ADD COLUMN digest bytea",
            "UPDATE events SET digest = " + digest_of("seq", "at", "kind", "payload"),
        ),
    ),
)
