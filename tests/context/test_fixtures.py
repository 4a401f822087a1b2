"""The context fixtures' guard: the pgvector fixture empties only the PGlite server."""

from __future__ import annotations

import pytest


@pytest.mark.postgres
def test_the_pgvector_fixture_refuses_a_real_server(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE keep_me (x int)")
    monkeypatch.setenv("SEAMLINE_TEST_PGVECTOR_URL", postgres_url)
    with pytest.raises(pytest.fail.Exception, match="not the PGlite server"):
        request.getfixturevalue("pgvector_url")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        (kept,) = conn.execute("SELECT to_regclass('public.keep_me')").fetchone()
    assert kept is not None  # nothing was dropped
