"""PostgreSQL for tests: a real server, never a mock.

Tests use the server at $SEAMLINE_TEST_POSTGRES_URL (`.ci/postgres.sh start` prints
one; CI starts it). Each session creates its own database there and drops it at the
end; each test that asks for `postgres_url` starts from an empty schema. Without the
variable those tests are skipped, except under CI, where they fail: CI must never pass
by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("SEAMLINE_TEST_POSTGRES_URL")
    if not url:
        message = (
            "SEAMLINE_TEST_POSTGRES_URL is not set; start a server with "
            'export SEAMLINE_TEST_POSTGRES_URL="$(.ci/postgres.sh start)"'
        )
        if in_ci():
            pytest.fail(message + " (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A database of this session's own, dropped at the end."""
    import psycopg
    from psycopg import sql

    name = f"seamline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(postgres_server)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's database, emptied: every test starts without tables."""
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_database
